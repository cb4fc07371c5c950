"""``LanguageModel``: embedding → deep recurrent layer → softmax over the vocabulary."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn import GRU, LSTM, RNN
from rnnkit.tasks.lm.config import LMConfig
from rnnkit.tasks.lm.loss import softmax_cross_entropy

_LAYERS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


class LanguageModel(nn.Module):
    """A recurrent language model (the lectures' text generator).

        E_t = embed(x_t)                         x_t a token id, E_t ∈ R^E
        H_t = RNN(E_t, H_{t−1})                  rnnkit LSTM/GRU/RNN, L layers, H units
        O_t = H_t W_ho + b_o,  P(x_{t+1} | x_≤t) = softmax(O_t)

    Shapes: x (B, T) int64 → logits (B, T, V); state a NamedTuple of (L, B, H) tensors.
    Dropout (``cfg.dropout``) on E_t, between layers and on H_t before the output layer.
    With ``tie_weights`` W_ho = embedᵀ (Press & Wolf 2017; Inan et al. 2017). The training
    loss goes through :func:`~rnnkit.tasks.lm.loss.softmax_cross_entropy` (hand backward).
    """

    def __init__(self, cfg: LMConfig, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size, self.tied = vocab_size, cfg.tie_weights
        self.embed = nn.Embedding(vocab_size, cfg.embed_size)
        self.drop = nn.Dropout(cfg.dropout)
        kw = {"reset_after": True} if cfg.cell == "gru" else {}
        self.rnn = _LAYERS[cfg.cell](cfg.embed_size, cfg.hidden, num_layers=cfg.layers,
                                     dropout=cfg.dropout, backend=cfg.backend, **kw)
        self.W_ho = None if cfg.tie_weights else nn.Parameter(torch.empty(cfg.hidden, vocab_size))
        self.b_o = nn.Parameter(torch.zeros(vocab_size))
        if self.W_ho is not None:
            nn.init.uniform_(self.W_ho, -cfg.hidden ** -0.5, cfg.hidden ** -0.5)
        if cfg.init_scale > 0:
            for p in self.parameters():
                nn.init.uniform_(p, -cfg.init_scale, cfg.init_scale)

    @property
    def output_weight(self) -> Tensor:
        """W_ho (H, V)."""
        return self.embed.weight.t() if self.W_ho is None else self.W_ho

    def hidden(self, x: Tensor, state=None):
        """Top-layer states after dropout: x (B, T) → (B, T, H), state."""
        h, state = self.rnn(self.drop(self.embed(x)), state=state)  # (B, T, H)
        return self.drop(h), state

    def forward(self, x: Tensor, state=None, targets: Tensor | None = None):
        """Logits (B, T, V) and the final state; with ``targets`` (B, T) the mean next-token
        cross-entropy (scalar) instead of the logits (the training path, through DDP too)."""
        h, state = self.hidden(x, state)  # (B, T, H)
        h2 = h.reshape(-1, h.shape[-1])  # (B·T, H)
        if targets is not None:
            return softmax_cross_entropy(h2, self.output_weight, self.b_o, targets.reshape(-1),
                                         inplace=self.training), state
        return torch.addmm(self.b_o, h2, self.output_weight).view(*x.shape, self.vocab_size), state

    def step(self, token: Tensor, state=None):
        """One generation step: token (B,) → logits (B, V), state."""
        h, state = self.rnn.step(self.embed(token), state)  # (B, H)
        return torch.addmm(self.b_o, h, self.output_weight), state  # (B, V)
