"""Layer kernels on torch's threads: ``autograd.Function``s over ``team_lstm``, ``team_rnn``, ``team_gru``.

``LSTMTeamKernel.apply(X, W_x, b, W_h, h0, c0, mask, threads)`` computes one direction of
one LSTM layer, input projection included, and its backward pass is the hand-derived BPTT of
``team_lstm``: the recursion on P threads (each a block of sequences), then the weight
gradients on P threads (each a block of time steps, ``team_grads``) as one GEMM per weight and
thread, and ∂E/∂X only when X needs a gradient (torch's CPU kernel always computes it; for a
first layer fed with data it is a sixth of the backward's matmul work at D = H/2).
``RNNTeamKernel.apply(X, W_x, b, W_h, h0, mask, f_name, threads)`` does the same for the
simple RNN (``team_rnn``), and ``GRUTeamKernel.apply(X, W_x, b, W_h, b_hn, h0, mask,
reset_after, threads)`` for the GRU, the lecture's or torch's (``reset_after``) (``team_gru``).
They are the fused backend's layers on CPU in float32/64 wherever torch's MKL and GNU OpenMP
are found (``threads_for``), except small problems, which run ``fused_numba``'s whole loops.

Shapes: X (T, B, D) time-major and contiguous, W_x (D, G·H), b (G·H,) or None, W_h (H, G·H)
(LSTM gates I F O C̃, G = 4; GRU R Z H̃, G = 3; RNN G = 1), h0, c0 (B, H), mask (T, B, 1) (True = t < length)
or None → outputs (T, B, H) (zero at pads), final H (and C) (B, H).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnnkit.nn import blas, team, team_grads, team_gru, team_lstm, team_rnn
from rnnkit.nn import fused_numba as nb

# Smallest problems for the layer kernels; below, ``fused_numba``'s whole loops are faster (LSTM,
# T = 100, D = 32, fused backend: (B, H) = (8, 32) 4.80 against 5.55 ms, (16, 32) 7.55 against
# 5.83 ms; BENCHMARKS.md)
MIN_BATCH, MIN_STEP_WORK = 8, 1 << 16  # B, and B·G·H·H multiply-adds per step


def threads_for(x: Tensor, G: int, H: int) -> int:
    """Threads for a layer kernel with G gates on input x (B, T, D), or 0 where it does not
    run: off CPU, outside float32/64 (autocast included), without torch's MKL GEMM or GNU
    OpenMP entry (``blas``, ``team``), and for problems below ``MIN_BATCH`` or ``MIN_STEP_WORK``."""
    dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
    B = x.shape[0]
    if not (blas.AVAILABLE and team.AVAILABLE and x.device.type == "cpu"
            and dtype in (torch.float32, torch.float64)) or B < MIN_BATCH or B * G * H * H < MIN_STEP_WORK:
        return 0
    return team.size(B)


def _x_side(X: Tensor, dGx: Tensor, W_x: Tensor, need_dx: bool, P: int):
    """``team_grads.x_side`` on P threads: (∂E/∂X or None, ∂E/∂W_x, ∂E/∂b)."""
    D, Gx = X.shape[2], dGx.shape[2]
    dWx, db = X.new_empty(P, D, Gx), X.new_empty(P, Gx)
    dX = torch.empty_like(X) if need_dx else X.new_empty(1)
    team.run(team.entry(team_grads.ENTRIES, ("x_side", X.element_size())), P, nb.np_of(X), dGx.numpy(),
             nb.np_of(W_x), dWx.numpy(), db.numpy(), dX.numpy(), need_dx)
    return (dX if need_dx else None), dWx.sum(0), db.sum(0)


def _h_side(A: Tensor, dGh: Tensor, P: int, c: int = 0, w: int | None = None) -> Tensor:
    """``team_grads.h_side`` on P threads: Σ_t A_tᵀ dGh_t[:, c:c+w] (K, w)."""
    w = dGh.shape[2] - c if w is None else w
    dWh = A.new_empty(P, A.shape[2], w)
    team.run(team.entry(team_grads.ENTRIES, ("h_side", A.element_size())), P, A.numpy(), dGh.numpy(), c, dWh.numpy())
    return dWh.sum(0)


def _start_backward(d_out: Tensor, d_hT: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """Output gradients (T, B, H), zero at pads and contiguous, and DH (2, B, H) with
    ∂E/∂H_{T−1} in its slot (the loops' two alternating slots)."""
    d_out = (d_out if mask is None else d_out * mask).contiguous()
    T, B, H = d_out.shape
    DH = d_out.new_empty(2, B, H)
    torch.add(d_out[T - 1], d_hT, out=DH[1 - (T - 1) % 2])
    return d_out, DH


class LSTMTeamKernel(torch.autograd.Function):
    """I, F, O = σ(X_t W_x + H_{t−1} W_h + b), C̃ = tanh(·); C_t = F⊙C_{t−1} + I⊙C̃;
    H_t = O⊙tanh(C_t) (module docstring for shapes)."""

    @staticmethod
    def forward(ctx, X: Tensor, W_x: Tensor, b: Tensor | None, W_h: Tensor, h0: Tensor, c0: Tensor,
                mask: Tensor | None, threads: int):
        T, B, _ = X.shape
        H = W_h.shape[0]
        Hs, Cs = X.new_empty(T + 1, B, H), X.new_empty(T + 1, B, H)  # H_0..H_T, C_0..C_T
        TC, gates = X.new_empty(T, B, H), X.new_empty(T, B, 4 * H)  # tanh(C_t); activated I F O C̃
        Hs[0], Cs[0] = h0, c0
        lens = nb.lengths_of(mask, B, T)
        bias = b.detach() if b is not None else W_h.new_zeros(4 * H)
        team.run(team.entry(team_lstm.ENTRIES, ("forward", X.element_size())), threads, nb.np_of(X), nb.np_of(W_x),
                 nb.np_of(bias), nb.np_of(W_h), Hs.numpy(), Cs.numpy(), TC.numpy(), gates.numpy(), lens,
                 not bool(h0.any()))
        ctx.threads, ctx.lens, ctx.has_bias = threads, lens, b is not None
        ctx.save_for_backward(X, W_x, W_h, Hs, Cs, TC, gates, mask)
        out = Hs[1:] if mask is None else Hs[1:] * mask
        return out, Hs[-1].clone(), Cs[-1].clone()

    @staticmethod
    @once_differentiable  # the BPTT runs in compiled code: no graph for a second derivative
    def backward(ctx, d_out: Tensor, d_hT: Tensor, d_cT: Tensor):
        X, W_x, W_h, Hs, Cs, TC, gates, mask = ctx.saved_tensors
        d_out, DH = _start_backward(d_out, d_hT, mask)
        dc, dG = d_cT.clone(memory_format=torch.contiguous_format), torch.empty_like(gates)
        need_dh0 = ctx.needs_input_grad[4]
        team.run(team.entry(team_lstm.ENTRIES, ("backward", X.element_size())), ctx.threads, gates.numpy(),
                 Cs.numpy(), TC.numpy(), DH.numpy(), dc.numpy(), d_out.numpy(), dG.numpy(), ctx.lens,
                 nb.np_of(W_h), need_dh0)
        dX, dW_x, db = _x_side(X, dG, W_x, ctx.needs_input_grad[0], ctx.threads)
        dW_h = _h_side(Hs, dG, ctx.threads)
        return dX, dW_x, db if ctx.has_bias else None, dW_h, DH[0] if need_dh0 else None, dc, None, None


class RNNTeamKernel(torch.autograd.Function):
    """H_t = f(X_t W_x + H_{t−1} W_h + b), f one of ``team_rnn.ACTIVATIONS``; shapes as
    ``LSTMTeamKernel``'s with one gate (no C)."""

    @staticmethod
    def forward(ctx, X: Tensor, W_x: Tensor, b: Tensor | None, W_h: Tensor, h0: Tensor, mask: Tensor | None,
                f_name: str, threads: int):
        T, B, _ = X.shape
        H = W_h.shape[0]
        Hs = X.new_empty(T + 1, B, H)  # H_0..H_T
        Hs[0] = h0
        lens, act = nb.lengths_of(mask, B, T), team_rnn.ACTIVATIONS.index(f_name)
        bias = b.detach() if b is not None else W_h.new_zeros(H)
        team.run(team.entry(team_rnn.ENTRIES, ("forward", X.element_size())), threads, nb.np_of(X), nb.np_of(W_x),
                 nb.np_of(bias), nb.np_of(W_h), Hs.numpy(), lens, act, not bool(h0.any()))
        ctx.threads, ctx.lens, ctx.act, ctx.has_bias = threads, lens, act, b is not None
        ctx.save_for_backward(X, W_x, W_h, Hs, mask)
        return (Hs[1:] if mask is None else Hs[1:] * mask), Hs[-1].clone()

    @staticmethod
    @once_differentiable  # the BPTT runs in compiled code: no graph for a second derivative
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        X, W_x, W_h, Hs, mask = ctx.saved_tensors
        d_out, DH = _start_backward(d_out, d_hT, mask)
        dZ, need_dh0 = torch.empty_like(d_out), ctx.needs_input_grad[4]
        team.run(team.entry(team_rnn.ENTRIES, ("backward", X.element_size())), ctx.threads, Hs.numpy(), DH.numpy(),
                 d_out.numpy(), dZ.numpy(), ctx.lens, nb.np_of(W_h), ctx.act, need_dh0)
        dX, dW_x, db = _x_side(X, dZ, W_x, ctx.needs_input_grad[0], ctx.threads)
        dW_h = _h_side(Hs, dZ, ctx.threads)
        return dX, dW_x, db if ctx.has_bias else None, dW_h, DH[0] if need_dh0 else None, None, None, None


class GRUTeamKernel(torch.autograd.Function):
    """R, Z = σ(·), H̃ = tanh(X_t W_xh + (R⊙H_{t−1}) W_hh + b_h) (lecture) or tanh(X_t W_xh +
    b_h + R⊙(H_{t−1} W_hh + b_hn)) (``reset_after``); H_t = Z⊙H_{t−1} + (1 − Z)⊙H̃
    (``team_gru``). W_h (H, 3H) holds W_rz and W_hh side by side; b_hn (H,) or None
    (``reset_after`` only). Shapes as ``LSTMTeamKernel``'s with 3 gates and no C."""

    @staticmethod
    def forward(ctx, X: Tensor, W_x: Tensor, b: Tensor | None, W_h: Tensor, b_hn: Tensor | None, h0: Tensor,
                mask: Tensor | None, reset_after: bool, threads: int):
        T, B, _ = X.shape
        H = W_h.shape[0]
        Hs, gates = X.new_empty(T + 1, B, H), X.new_empty(T, B, 3 * H)  # H_0..H_T; R Z H̃
        aux = X.new_empty(T, B, 3 * H if reset_after else H)  # H_{t−1} W_h (+ b_hn), or R⊙H_{t−1}
        Hs[0] = h0
        lens, zero_h0 = nb.lengths_of(mask, B, T), not bool(h0.any())
        bias = b.detach() if b is not None else W_h.new_zeros(3 * H)
        arrays = (nb.np_of(X), nb.np_of(W_x), nb.np_of(bias))
        if reset_after:
            hn = b_hn.detach() if b_hn is not None else W_h.new_zeros(H)
            team.run(team.entry(team_gru.ENTRIES, ("forward_torch", X.element_size())), threads, *arrays,
                     nb.np_of(W_h), nb.np_of(hn), Hs.numpy(), gates.numpy(), aux.numpy(), lens, zero_h0)
        else:
            team.run(team.entry(team_gru.ENTRIES, ("forward_lecture", X.element_size())), threads, *arrays,
                     nb.np_of(W_h[:, :2 * H]), nb.np_of(W_h[:, 2 * H:]), Hs.numpy(), gates.numpy(), aux.numpy(),
                     lens, zero_h0)
        ctx.threads, ctx.lens, ctx.reset_after = threads, lens, reset_after
        ctx.has_bias, ctx.has_b_hn = b is not None, b_hn is not None
        ctx.save_for_backward(X, W_x, W_h, Hs, gates, aux, mask)
        return (Hs[1:] if mask is None else Hs[1:] * mask), Hs[-1].clone()

    @staticmethod
    @once_differentiable  # the BPTT runs in compiled code: no graph for a second derivative
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        X, W_x, W_h, Hs, gates, aux, mask = ctx.saved_tensors
        H, P, size = W_h.shape[0], ctx.threads, X.element_size()
        d_out, DH = _start_backward(d_out, d_hT, mask)
        dG, need_dh0 = torch.empty_like(gates), ctx.needs_input_grad[5]
        if ctx.reset_after:
            dGh = torch.empty_like(gates)  # ∂E/∂(H_{t−1} W_h + b_hn)
            team.run(team.entry(team_gru.ENTRIES, ("backward_torch", size)), P, gates.numpy(), aux.numpy(), Hs.numpy(),
                     DH.numpy(), d_out.numpy(), dG.numpy(), dGh.numpy(), ctx.lens, nb.np_of(W_h), need_dh0)
            dW_h = _h_side(Hs, dGh, P)
            db_hn = dGh[:, :, 2 * H:].sum((0, 1)) if ctx.has_b_hn else None
        else:
            d_rh = X.new_empty(X.shape[1], H)  # scratch: ∂E/∂(R⊙H_{t−1}) of one step
            team.run(team.entry(team_gru.ENTRIES, ("backward_lecture", size)), P, gates.numpy(), Hs.numpy(),
                     DH.numpy(), d_out.numpy(), dG.numpy(), d_rh.numpy(), ctx.lens, nb.np_of(W_h[:, :2 * H]),
                     nb.np_of(W_h[:, 2 * H:]), need_dh0)
            dW_h = torch.cat([_h_side(Hs, dG, P, 0, 2 * H), _h_side(aux, dG, P, 2 * H, H)], 1)  # [W_rz, W_hh]
            db_hn = None
        dX, dW_x, db = _x_side(X, dG, W_x, ctx.needs_input_grad[0], P)
        return (dX, dW_x, db if ctx.has_bias else None, dW_h, db_hn, DH[0] if need_dh0 else None,
                None, None, None)
