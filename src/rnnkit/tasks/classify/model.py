"""Many-to-one sequence model: (embedding) → rnnkit recurrent layer → pooling → dense head.

    H = RNN(X)                    (B, T, H·dirs)     X (B, T, D) values, or embedded tokens
    h = pool(H, lengths)          (B, H·dirs)
    O = MLP(h)                    (B, K) class logits, or (B, 1) a regression value

Shape legend: B batch, T time, D input features, H hidden, K classes.
"""

from __future__ import annotations

from torch import Tensor, nn

from rnnkit.nn import GRU, LSTM, MLP, RNN
from rnnkit.tasks.classify.pooling import Pool

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class SequenceModel(nn.Module):
    """See module docstring. ``vocab_size`` > 0 means integer tokens (B, T) are embedded first."""

    def __init__(self, *, input_size: int, n_outputs: int, cell: str, hidden: int, layers: int,
                 bidirectional: bool, pool: str, dropout: float, vocab_size: int = 0,
                 embed_dim: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0) if vocab_size else None
        d_in = embed_dim if vocab_size else input_size
        self.rnn = CELLS[cell](d_in, hidden, num_layers=layers, bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0)
        feats = hidden * (2 if bidirectional else 1)
        self.pool = Pool(pool, feats, bidirectional)
        self.drop = nn.Dropout(dropout)
        self.head = MLP([feats, feats, n_outputs], activation="relu")

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        if self.embed is not None:
            x = self.embed(x)  # (B, T, E)
        out, _ = self.rnn(x, lengths=lengths)  # (B, T, H·dirs)
        return self.head(self.drop(self.pool(out, lengths)))  # (B, K)
