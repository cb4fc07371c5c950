"""rnnkit.nn: the lecture's building blocks.

Activations, the dense network, RNN/LSTM/GRU cells (one step each), the one time loop
``Recurrent``, ``Bidirectional``, deep layers, the output layer, torch interop, gradient
clipping, explicit BPTT and gradient diagnostics.
"""

from rnnkit.nn.activations import ACTIVATIONS, Maxout, activation
from rnnkit.nn.bptt import bptt_backward, bptt_backward_paths, bptt_forward, jacobian_product_norms
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.clip import clip_grad_norm
from rnnkit.nn.diagnostics import gradient_norms_per_step, plot_gradient_norms, record_hidden_states
from rnnkit.nn.interop import from_torch, to_torch
from rnnkit.nn.layers import GRU, LSTM, RNN, RecurrentLayer
from rnnkit.nn.masking import reverse_padded, time_mask
from rnnkit.nn.mlp import MLP, Dense
from rnnkit.nn.readout import Readout
from rnnkit.nn.recurrent import Bidirectional, Recurrent
from rnnkit.nn.state import LSTMState, RNNState

__all__ = [
    "ACTIVATIONS", "GRU", "LSTM", "MLP", "RNN", "Bidirectional", "Dense", "GRUCell", "LSTMCell",
    "LSTMState", "Maxout", "RNNCell", "RNNState", "Readout", "Recurrent", "RecurrentLayer",
    "activation", "bptt_backward", "bptt_backward_paths", "bptt_forward", "clip_grad_norm",
    "from_torch", "gradient_norms_per_step", "jacobian_product_norms", "plot_gradient_norms",
    "record_hidden_states", "reverse_padded", "time_mask", "to_torch",
]
