"""Recurrent state as NamedTuples.

For a cell each tensor is (B, H). For a layer each is (L·dirs, B, H) in torch's order
(layer 0 forward, layer 0 backward, layer 1 forward, …).
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor


class RNNState(NamedTuple):
    """State of an RNN or GRU: the hidden state ``h``."""

    h: Tensor


class LSTMState(NamedTuple):
    """State of an LSTM: hidden state ``h`` and cell state ``c``."""

    h: Tensor
    c: Tensor


State = RNNState | LSTMState
