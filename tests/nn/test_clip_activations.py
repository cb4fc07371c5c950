"""clip_grad_norm equals torch's; the activations are the lecture's; MLP and Readout shapes."""

from __future__ import annotations

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.nn import MLP, Maxout, Readout, activation, clip_grad_norm


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e3])
def test_clip_equals_torch(max_norm):
    a = [torch.randn(3, 4, requires_grad=True), torch.randn(5, requires_grad=True)]
    b = [p.detach().clone().requires_grad_() for p in a]
    for ps in (a, b):
        (ps[0].sum() * 3 + (ps[1] ** 2).sum()).backward()
    n1 = clip_grad_norm(a, max_norm)
    n2 = torch.nn.utils.clip_grad_norm_(b, max_norm)
    torch.testing.assert_close(n1, n2)
    for p, q in zip(a, b, strict=True):
        torch.testing.assert_close(p.grad, q.grad)


def test_activations_known_values():
    x = torch.tensor([-2.0, 0.0, 3.0])
    assert activation("leaky_relu")(x).tolist() == pytest.approx([-0.2, 0.0, 3.0])
    assert activation("relu")(x).tolist() == [0.0, 0.0, 3.0]
    assert activation("elu")(x).tolist() == pytest.approx([torch.expm1(torch.tensor(-2.0)).item(), 0.0, 3.0])
    assert activation("sigmoid")(torch.tensor([0.0])).item() == 0.5
    with pytest.raises(ConfigError, match="maxout"):
        activation("maxout")


def test_maxout_is_max_of_pieces():
    m = Maxout(3, 2, k=3)
    x = torch.randn(4, 3)
    pieces = torch.stack([x @ m.W[j] + m.b[j] for j in range(3)])
    torch.testing.assert_close(m(x), pieces.max(0).values)


def test_mlp_and_readout():
    net = MLP([4, 8, 8, 2], activation="maxout")
    assert net(torch.randn(5, 4)).shape == (5, 2)
    r = Readout(6, 3, "sigmoid")
    h = torch.randn(2, 7, 6)
    torch.testing.assert_close(r(h), torch.sigmoid(h @ r.W_ho + r.b_o))
    with pytest.raises(ConfigError):
        MLP([4])
