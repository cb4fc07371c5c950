"""BiLSTM tagger: word embeddings + a character BiLSTM per word → deep BiLSTM → softmax.

    e_i = [E_w[w_i] ; BiLSTM_char(chars(w_i))_final]            (B, T, D_w + 2·H_c)
    H   = BiLSTM(e)                                              (B, T, 2H)
    p(t_i | w) = softmax(H_i W_ho + b_o)                         (B, T, K)

Shape legend: B sentences, T tokens, C characters per token, K tags.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn import LSTM, Readout


class BiLSTMTagger(nn.Module):
    """See module docstring. ``chars`` (B, T, C) and ``char_lengths`` (B, T) (0 at pad tokens)."""

    def __init__(self, n_words: int, n_chars: int, n_tags: int, *, word_dim: int, char_dim: int,
                 char_hidden: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.word_emb = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.char_emb = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.char_rnn = LSTM(char_dim, char_hidden, bidirectional=True)
        self.rnn = LSTM(word_dim + 2 * char_hidden, hidden, num_layers=layers, bidirectional=True,
                        dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.out = Readout(2 * hidden, n_tags)

    def char_features(self, chars: Tensor, char_lengths: Tensor) -> Tensor:
        """Final forward and backward char-LSTM states of every real token: (B, T, 2H_c)."""
        B, T, C = chars.shape
        valid = char_lengths > 0  # (B, T)
        flat = chars[valid]  # (N, C) the real tokens only
        x = self.char_emb(flat)  # (N, C, D_c)
        _, state = self.char_rnn(x, lengths=char_lengths[valid])
        feats = torch.cat([state.h[0], state.h[1]], dim=-1)  # (N, 2H_c)
        out = feats.new_zeros(B, T, feats.shape[-1])
        out[valid] = feats
        return out

    def forward(self, words: Tensor, chars: Tensor, lengths: Tensor, char_lengths: Tensor) -> Tensor:
        e = torch.cat([self.word_emb(words), self.char_features(chars, char_lengths)], -1)  # (B, T, ·)
        h, _ = self.rnn(self.drop(e), lengths=lengths)  # (B, T, 2H)
        return self.out(self.drop(h))  # (B, T, K) logits
