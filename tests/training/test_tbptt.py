"""Truncated BPTT: the stream layout, BPTT(k1, k2) windows, the carried state and its rules."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnkit.errors import DataError
from rnnkit.training import (
    CarriedState,
    StepOutput,
    StreamBatches,
    TrainConfig,
    Window,
    fit,
    run_window,
)
from rnnkit.training.tbptt import as_window


def test_zaremba_layout():
    stream = torch.arange(103)
    b = StreamBatches(stream, batch_size=4, bptt=7)
    data = stream[:100].view(4, 25)
    xs, ys = zip(*(b.get(0, i) for i in range(len(b))), strict=True)
    assert torch.equal(torch.cat(xs, 1), data[:, :-1]) and torch.equal(torch.cat(ys, 1), data[:, 1:])
    assert [x.shape[1] for x in xs] == [7, 7, 7, 3]
    assert torch.equal(b.get(0, 2)[0], b.get(5, 2)[0])  # same window in every epoch (deterministic)


@pytest.mark.parametrize("k1, k2", [(3, 5), (1, 4), (4, 4), (2, 7)])
def test_every_target_scored_once_and_windows_span_k2(k1, k2):
    stream = torch.arange(203)
    b = StreamBatches(stream, batch_size=4, bptt=k2, stride=k1)
    scored = []
    for i in range(len(b)):
        w = as_window(b.get(0, i))
        assert w.x.shape[1] <= k2 and torch.equal(w.y, w.x + 1)
        assert w.x[0, 0].item() == i * k1  # window i starts at column i·k1
        scored += w.y[0, w.loss_from:].tolist()
    assert scored == list(range(1, 50))


def test_run_window_split_equals_one_pass_and_carries_mid_state():
    torch.manual_seed(0)
    rnn = nn.GRU(3, 5, batch_first=True)
    x = torch.randn(2, 7, 3)  # (B, T, D)
    carried = CarriedState()
    out = run_window(lambda xx, h: rnn(xx, h), Window(x, x, 2, 3), carried)
    full, _ = rnn(x)
    _, h3 = rnn(x[:, :3])
    assert torch.allclose(out, full, atol=1e-6) and torch.allclose(carried.get(), h3, atol=1e-6)
    assert not carried.get().requires_grad  # detached: backward never crosses windows


def test_fit_resets_state_each_epoch_and_carries_within():
    starts = []
    carried = CarriedState()
    rnn = nn.RNN(1, 2, batch_first=True)

    def step(m, batch):
        x, y = batch
        starts.append(carried.get() is None)
        out, h = m(x.unsqueeze(-1).float(), carried.get())
        carried.set(h)
        return StepOutput(out.pow(2).mean(), y.numel())

    b = StreamBatches(torch.arange(60), batch_size=3, bptt=5)
    fit(rnn, step, b, TrainConfig(epochs=2, quiet=True), carried=carried)
    assert starts == ([True] + [False] * (len(b) - 1)) * 2


def test_named_tuple_state_round_trip_and_bad_stream():
    NT = Window  # an rnnkit named tuple stands in for LSTMState
    c = CarriedState()
    c.set(NT(torch.ones(2), torch.zeros(2), 1, 2))
    d = CarriedState()
    d.load_state_dict(c.state_dict())
    assert type(d.get()) is NT and torch.equal(d.get().x, torch.ones(2))
    with pytest.raises(DataError):
        StreamBatches(torch.arange(5), batch_size=4, bptt=3)
