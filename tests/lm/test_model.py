"""The language model: hand-backward loss against autograd, carried state, single steps, sampling."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from rnnkit.tasks.lm import (
    LanguageModel,
    LMConfig,
    SampleConfig,
    filter_logits,
    generate,
    next_token,
)
from rnnkit.tasks.lm.api import evaluate_stream
from rnnkit.tasks.lm.loss import softmax_cross_entropy


def test_softmax_ce_gradcheck_float64():
    h = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    W = torch.randn(4, 7, dtype=torch.float64, requires_grad=True)
    b = torch.randn(7, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 6, 3, 3, 1, 2])
    assert torch.autograd.gradcheck(lambda h, W, b: softmax_cross_entropy(h, W, b, y), (h, W, b))


@pytest.mark.parametrize("inplace", [False, True])
def test_softmax_ce_equals_autograd_and_survives_two_forwards(inplace):
    h, W, b = torch.randn(20, 8, requires_grad=True), torch.randn(8, 50, requires_grad=True), torch.randn(50)
    b.requires_grad_(True)
    y1, y2 = torch.randint(0, 50, (20,)), torch.randint(0, 50, (20,))
    ours = (softmax_cross_entropy(h, W, b, y1, inplace=inplace)  # two buffers alive at once
            + 2 * softmax_cross_entropy(h, W, b, y2, inplace=inplace))
    ours.backward()
    got = [t.grad.clone() for t in (h, W, b)]
    for t in (h, W, b):
        t.grad = None
    ref = F.cross_entropy(h @ W + b, y1) + 2 * F.cross_entropy(h @ W + b, y2)
    ref.backward()
    torch.testing.assert_close(ours, ref)
    for g, t in zip(got, (h, W, b), strict=True):
        torch.testing.assert_close(g, t.grad, atol=1e-6, rtol=1e-5)


def test_softmax_ce_under_cpu_autocast_matches_bfloat16_autograd():
    """--amp on CPU: the matmuls in bfloat16 (float32 results), the softmax in float32."""
    h = torch.randn(30, 16, requires_grad=True)
    W, b = torch.randn(16, 40, requires_grad=True), torch.zeros(40, requires_grad=True)
    y = torch.randint(0, 40, (30,))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours = softmax_cross_entropy(h.to(torch.bfloat16), W, b, y, inplace=True)  # h as an LSTM gives it
    ours.backward()
    got = [t.grad.clone() for t in (h, W, b)]
    for t in (h, W, b):
        t.grad = None
    hb, Wb = h.to(torch.bfloat16), W.to(torch.bfloat16)
    ref = F.cross_entropy((hb @ Wb).float() + b, y)
    ref.backward()
    assert got[0].dtype == torch.float32 and got[1].dtype == torch.float32
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    for g, t in zip(got, (h, W, b), strict=True):  # backward matmuls in bfloat16 too
        torch.testing.assert_close(g, t.grad, atol=2e-2, rtol=2e-2)
    exact = F.cross_entropy(h.detach() @ W.detach() + b.detach(), y)
    assert abs(float(ours.detach()) - float(exact)) < 0.1  # and still close to float32


def test_inplace_backward_twice_raises_not_wrong():
    h, W, b = (torch.randn(5, 3, requires_grad=True), torch.randn(3, 9, requires_grad=True),
               torch.randn(9, requires_grad=True))
    loss = softmax_cross_entropy(h, W, b, torch.tensor([1, 2, 3, 4, 5]), inplace=True)
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="inplace"):
        loss.backward()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_carried_windows_equal_one_pass(cell):
    cfg = LMConfig(cell=cell, layers=2, hidden=16, embed=8)
    net = LanguageModel(cfg, 30).eval()
    ids = torch.randint(0, 30, (41,))
    with torch.no_grad():
        full, _ = net(ids[None, :-1], targets=ids[None, 1:])
    windows = evaluate_stream(net, ids, rows=1, bptt=7)  # 6 windows, state carried
    assert windows["tokens"] == 40
    assert math.isclose(windows["loss"], float(full), rel_tol=1e-5)


def test_step_equals_forward_and_tied_weights_share():
    cfg = LMConfig(cell="lstm", layers=2, hidden=12, tie_weights=True)
    net = LanguageModel(cfg, 25).eval()
    assert net.output_weight.data_ptr() == net.embed.weight.data_ptr()
    ids = torch.randint(0, 25, (3, 6))
    with torch.no_grad():
        logits, _ = net(ids)  # (3, 6, 25)
        state = None
        for t in range(6):
            step, state = net.step(ids[:, t], state)
            torch.testing.assert_close(step, logits[:, t], atol=1e-5, rtol=0)


def test_filter_logits_known_answers():
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    keep = lambda out: torch.isfinite(out)[0].tolist()  # noqa: E731
    assert keep(filter_logits(logits, top_k=2)) == [True, True, False, False]
    assert keep(filter_logits(logits, top_p=0.7)) == [True, True, False, False]
    assert keep(filter_logits(logits, top_p=0.85)) == [True, True, True, False]
    assert keep(filter_logits(logits, top_p=0.4)) == [True, False, False, False]


def _greedy(net, prime, n):
    ids = list(prime)
    with torch.no_grad():
        for _ in range(n):
            logits, _ = net(torch.tensor(ids)[None])
            ids.append(int(logits[0, -1].argmax()))
    return ids[len(prime):]


def test_temperature_zero_is_greedy_and_seed_reproduces():
    torch.manual_seed(1)
    net = LanguageModel(LMConfig(hidden=16, layers=2), 12).eval()
    prime = [3, 1, 4]
    greedy = _greedy(net, prime, 15)
    assert list(generate(net, prime, 15, SampleConfig(temperature=0))) == greedy
    assert list(generate(net, prime, 15, SampleConfig(temperature=1e-4, seed=5))) == greedy
    assert list(generate(net, prime, 15, SampleConfig(top_k=1, seed=9))) == greedy
    a = list(generate(net, prime, 30, SampleConfig(temperature=1.5, seed=7)))
    assert a == list(generate(net, prime, 30, SampleConfig(temperature=1.5, seed=7)))
    assert a != list(generate(net, prime, 30, SampleConfig(temperature=1.5, seed=8)))


def test_banned_tokens_never_sampled():
    logits = torch.zeros(200, 5)
    logits[:, 0] = 10.0
    ids = next_token(logits, SampleConfig(), torch.Generator().manual_seed(0), banned=[0])
    assert (ids != 0).all()
    assert next_token(logits, SampleConfig(temperature=0), banned=[0]).ne(0).all()


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="tie_weights"):
        LMConfig(tie_weights=True, embed=10, hidden=20)
    with pytest.raises(ValueError, match="temperature"):
        SampleConfig(temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        replace(SampleConfig(), top_p=0)


def test_time_budget_stops_training():
    from rnnkit.tasks.lm import api
    from rnnkit.training import TrainConfig

    ids = torch.randint(0, 10, (5000,))
    cfg = LMConfig(hidden=8, layers=1, bptt=5, train=TrainConfig(epochs=1000, batch_size=2, max_seconds=0.3, quiet=True))
    _, info = api.train(cfg, _data(ids))
    assert 1 <= info["steps"] < 500 * 1000  # stopped by the clock, long before 1000 epochs
    assert info["train_seconds"] < 5


def _data(ids):
    from rnnkit.data.tokenizers import CharTokenizer
    from rnnkit.tasks.lm import LMData

    return LMData(CharTokenizer([str(i) for i in range(9)]), ids, ids[:100], None)


def test_same_seed_same_weights():
    from rnnkit.tasks.lm import api
    from rnnkit.training import TrainConfig

    ids = torch.randint(0, 9, (3000,))
    cfg = LMConfig(hidden=8, layers=2, dropout=0.2, bptt=6,
                   train=TrainConfig(max_steps=20, batch_size=4, quiet=True, seed=3))
    a, _ = api.train(cfg, _data(ids))
    torch.manual_seed(123)  # whatever happened before, the seed decides
    b, _ = api.train(cfg, _data(ids))
    for (k, p), q in zip(a.net.state_dict().items(), b.net.state_dict().values(), strict=True):
        assert torch.equal(p, q), k


def test_curves_need_two_training_points(tmp_path):
    from rnnkit.tasks.lm.plots import plot_curves

    one = [{"kind": "step", "step": 50, "train_loss": 2.0}, {"kind": "epoch", "step": 60, "train_loss": 2.0}]
    assert plot_curves(tmp_path / "a.png", one, "char") is False and not (tmp_path / "a.png").exists()
    two = [*one, {"kind": "step", "step": 100, "train_loss": 1.5}]
    assert plot_curves(tmp_path / "b.png", two, "word") is True and (tmp_path / "b.png").stat().st_size > 1000


def test_reported_valid_loss_is_that_of_the_returned_weights():
    from dataclasses import replace as dc_replace

    from rnnkit.tasks.lm import api
    from rnnkit.training import TrainConfig

    ids = torch.randint(0, 9, (3000,))
    for restore in (True, False):
        cfg = LMConfig(hidden=8, layers=1, bptt=6, train=TrainConfig(epochs=3, batch_size=4, quiet=True))
        cfg = dc_replace(cfg, train=dc_replace(cfg.train, restore_best=restore))
        data = _data(ids)
        t, info = api.train(cfg, data)
        again = evaluate_stream(t.net, data.valid, rows=cfg.eval_batch_size, bptt=cfg.bptt)["loss"]
        assert math.isclose(info["valid_loss"], again, rel_tol=1e-6)
