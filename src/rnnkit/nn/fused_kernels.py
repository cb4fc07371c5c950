"""Fused time loops with hand-derived BPTT (``torch.autograd.Function``), one per cell type.

Shape legend: B batch, T time, D input, H hidden, G gates (LSTM 4, GRU 3, RNN 1).
Each kernel receives the input projection for all steps at once, ``XW = X W_x + b`` (B, T, G·H)
(one large matmul, done by the caller through autograd), the recurrent weight ``W_h`` (H, G·H),
the initial state and a step mask (B, T, 1) (True = t < length; None = all valid). Inside the
loop only ``H_{t−1} W_h`` is computed. The backward pass runs the lecture's recursion
backwards in time, writing each step's gate gradients into one buffer dG (B, T, G·H); the
weight gradient is then a single matmul, dW_h = Σ_t H_{t−1}ᵀ dG_t. Steps past a sequence's
length leave the state unchanged (forward) and pass gradients straight through (backward).
Outputs are zero at padded steps.

Gate order: LSTM (i, f, o, c) — I, F, O, C̃; GRU (r, z, h) — R, Z, H̃; RNN (h).
Small problems (B·G·H² ≤ ``fused_numba.SMALL_STEP_WORK``; RNN tanh/relu, GRU ``reset_after``)
run the same loops compiled by numba (``rnnkit.nn.fused_numba``): per-op overhead dominates there.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.nn import fused_numba as nb


def _masked(m: Tensor | None, t: int, new: Tensor, old: Tensor) -> Tensor:
    return new if m is None else torch.where(m[:, t], new, old)


class LSTMKernel(torch.autograd.Function):
    """I, F, O = σ(·), C̃ = tanh(·); C_t = F⊙C_{t−1} + I⊙C̃; H_t = O⊙tanh(C_t)."""

    @staticmethod
    def forward(ctx, XW: Tensor, W_h: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | None):
        B, T, G4 = XW.shape
        H = G4 // 4
        Hs = XW.new_empty(B, T + 1, H)  # H_0..H_T (states after masking)
        Cs = XW.new_empty(B, T + 1, H)
        gates = XW.new_empty(B, T, G4)  # activated I F O C̃
        Hs[:, 0], Cs[:, 0] = h0, c0
        h, c = h0, c0
        for t in range(T):
            g = torch.addmm(XW[:, t], h, W_h)  # (B, 4H)
            ifo = torch.sigmoid(g[:, :3 * H])  # (B, 3H)
            ct = torch.tanh(g[:, 3 * H:])  # (B, H)
            gates[:, t, :3 * H], gates[:, t, 3 * H:] = ifo, ct
            c_new = torch.addcmul(ifo[:, H:2 * H] * c, ifo[:, :H], ct)  # (B, H)
            h_new = ifo[:, 2 * H:] * torch.tanh(c_new)  # (B, H)
            h, c = _masked(mask, t, h_new, h), _masked(mask, t, c_new, c)
            Hs[:, t + 1], Cs[:, t + 1] = h, c
        out = Hs[:, 1:] if mask is None else Hs[:, 1:] * mask  # (B, T, H)
        ctx.save_for_backward(W_h, Hs, Cs, gates, mask)
        return out, h, c

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor, d_cT: Tensor):
        W_h, Hs, Cs, gates, mask = ctx.saved_tensors
        B, T, G4 = gates.shape
        H = G4 // 4
        dG = gates.new_empty(B, T, G4)
        dh, dc = d_hT.clone(), d_cT.clone()  # (B, H)
        if mask is not None:
            d_out = d_out * mask
        W_hT = W_h.t()
        for t in reversed(range(T)):
            I, F, O, Ct = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
            dh_t = dh + d_out[:, t]  # (B, H)
            tc = torch.tanh(Cs[:, t + 1])
            dc_t = dc + dh_t * O * (1 - tc * tc)  # (B, H)
            d = dG[:, t]
            d[:, :H] = dc_t * Ct * I * (1 - I)
            d[:, H:2 * H] = dc_t * Cs[:, t] * F * (1 - F)
            d[:, 2 * H:3 * H] = dh_t * tc * O * (1 - O)
            d[:, 3 * H:] = dc_t * I * (1 - Ct * Ct)
            dh_prev, dc_prev = d @ W_hT, dc_t * F  # (B, H)
            if mask is not None:
                m = mask[:, t]
                d.mul_(m)
                dh_prev, dc_prev = torch.where(m, dh_prev, dh_t), torch.where(m, dc_prev, dc)
            dh, dc = dh_prev, dc_prev
        dW_h = Hs[:, :-1].reshape(-1, H).t() @ dG.reshape(-1, G4)  # (H, 4H): one matmul
        return dG, dW_h, dh, dc, None


class GRUKernel(torch.autograd.Function):
    """R, Z = σ(·); H̃ = tanh(XW_h + (R⊙H) W_hh) (lecture) or tanh(XW_h + R⊙(H W_hh + b_hn))
    (``reset_after``); H_t = Z⊙H_{t−1} + (1−Z)⊙H̃. ``b_hn`` is None for the lecture variant."""

    @staticmethod
    def forward(ctx, XW: Tensor, W_h: Tensor, b_hn: Tensor | None, h0: Tensor,
                mask: Tensor | None, reset_after: bool):
        B, T, G3 = XW.shape
        H = G3 // 3
        ctx.lens = None
        if reset_after and nb.use_numba(XW, H):  # small problem: one compiled loop
            return GRUKernel._forward_numba(ctx, XW, W_h, b_hn, h0, mask)
        Hs = XW.new_empty(B, T + 1, H)
        gates = XW.new_empty(B, T, G3)  # R, Z, H̃
        aux = XW.new_empty(B, T, H)  # lecture: R⊙H_{t−1}; reset_after: H_{t−1} W_hh + b_hn
        Hs[:, 0] = h0
        h = h0
        for t in range(T):
            if reset_after:
                hw = h @ W_h  # (B, 3H)
                rz = torch.sigmoid(XW[:, t, :2 * H] + hw[:, :2 * H])
                hn = hw[:, 2 * H:] if b_hn is None else hw[:, 2 * H:] + b_hn
                aux[:, t] = hn
                n = torch.tanh(torch.addcmul(XW[:, t, 2 * H:], rz[:, :H], hn))
            else:
                rz = torch.sigmoid(torch.addmm(XW[:, t, :2 * H], h, W_h[:, :2 * H]))  # (B, 2H)
                rh = rz[:, :H] * h
                aux[:, t] = rh
                n = torch.tanh(torch.addmm(XW[:, t, 2 * H:], rh, W_h[:, 2 * H:]))  # (B, H)
            gates[:, t, :2 * H], gates[:, t, 2 * H:] = rz, n
            z = rz[:, H:]
            h_new = n + z * (h - n)  # Z⊙H + (1−Z)⊙H̃
            h = _masked(mask, t, h_new, h)
            Hs[:, t + 1] = h
        out = Hs[:, 1:] if mask is None else Hs[:, 1:] * mask
        ctx.save_for_backward(W_h, Hs, gates, aux, mask)
        ctx.reset_after, ctx.has_b_hn = reset_after, b_hn is not None
        return out, h

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        W_h, Hs, gates, aux, mask = ctx.saved_tensors
        if ctx.lens is not None:
            return GRUKernel._backward_numba(ctx, d_out, d_hT)
        B, T, G3 = gates.shape
        H = G3 // 3
        dG = gates.new_empty(B, T, G3)  # ∂E/∂(pre-activations), x side
        dA = gates.new_empty(B, T, H)  # lecture: ∂E/∂(R⊙H)·… ; reset_after: ∂E/∂hn
        dh = d_hT.clone()
        if mask is not None:
            d_out = d_out * mask
        W_rz_T, W_hh_T = W_h[:, :2 * H].t(), W_h[:, 2 * H:].t()
        for t in reversed(range(T)):
            R, Z, N = (gates[:, t, k * H:(k + 1) * H] for k in range(3))
            h_prev = Hs[:, t]
            dh_t = dh + d_out[:, t]
            dn = dh_t * (1 - Z) * (1 - N * N)  # ∂E/∂pre_n
            d = dG[:, t]
            d[:, H:2 * H] = dh_t * (h_prev - N) * Z * (1 - Z)
            d[:, 2 * H:] = dn
            if ctx.reset_after:
                hn = aux[:, t]
                d[:, :H] = dn * hn * R * (1 - R)
                dA[:, t] = dn * R
                dh_prev = dh_t * Z + torch.cat([d[:, :2 * H], dA[:, t]], 1) @ W_h.t()
            else:
                d_rh = dn @ W_hh_T  # (B, H)
                d[:, :H] = d_rh * h_prev * R * (1 - R)
                dA[:, t] = dn
                dh_prev = dh_t * Z + d_rh * R + d[:, :2 * H] @ W_rz_T
            if mask is not None:
                m = mask[:, t]
                d.mul_(m)
                dA[:, t].mul_(m)
                dh_prev = torch.where(m, dh_prev, dh_t)
            dh = dh_prev
        return GRUKernel._weight_grads(ctx, Hs, dG, dA, aux, dh)

    @staticmethod
    def _forward_numba(ctx, XW, W_h, b_hn, h0, mask):
        B, T, G3 = XW.shape
        ctx.lens = nb.lengths_of(mask, B, T)
        bn = nb.np_of(b_hn) if b_hn is not None else XW.new_zeros(G3 // 3).numpy()
        Hs, gates, aux = (torch.from_numpy(a) for a in nb.gru_forward(
            nb.np_of(XW), nb.np_of(W_h), bn, nb.np_of(h0), ctx.lens))
        ctx.save_for_backward(W_h, Hs, gates, aux, mask)
        ctx.reset_after, ctx.has_b_hn = True, b_hn is not None
        out = Hs[:, 1:] if mask is None else Hs[:, 1:] * mask  # (B, T, H)
        return out, Hs[:, -1].clone()

    @staticmethod
    def _backward_numba(ctx, d_out, d_hT):
        W_h, Hs, gates, aux, mask = ctx.saved_tensors
        if mask is not None:
            d_out = d_out * mask
        dG, dA, dh = (torch.from_numpy(a) for a in nb.gru_backward(
            Hs.numpy(), gates.numpy(), aux.numpy(), nb.np_of(d_out), nb.np_of(d_hT),
            nb.np_of(W_h), ctx.lens))
        return GRUKernel._weight_grads(ctx, Hs, dG, dA, aux, dh)

    @staticmethod
    def _weight_grads(ctx, Hs, dG, dA, aux, dh):
        B, T, G3 = dG.shape
        H = G3 // 3
        Hp = Hs[:, :-1].reshape(-1, H)  # (B·T, H)
        dW_rz = Hp.t() @ dG[:, :, :2 * H].reshape(-1, 2 * H)  # (H, 2H)
        if ctx.reset_after:
            dW_hh = Hp.t() @ dA.reshape(-1, H)
            db_hn = dA.sum((0, 1)) if ctx.has_b_hn else None
        else:
            dW_hh = aux.reshape(-1, H).t() @ dA.reshape(-1, H)  # (R⊙H)ᵀ ∂E/∂pre_n
            db_hn = None
        return dG, torch.cat([dW_rz, dW_hh], 1), db_hn, dh, None, None


def _act_grad(name: str, h: Tensor) -> Tensor:
    """f′ expressed through the output h = f(z)."""
    if name == "tanh":
        return 1 - h * h
    if name == "sigmoid":
        return h * (1 - h)
    if name == "relu":
        return (h > 0).to(h.dtype)
    if name == "leaky_relu":
        return torch.where(h > 0, 1.0, 0.1).to(h.dtype)
    if name == "elu":
        return torch.where(h > 0, torch.ones_like(h), h + 1)
    return torch.ones_like(h)  # identity


class RNNKernel(torch.autograd.Function):
    """H_t = f(XW_t + H_{t−1} W_hh); f one of tanh, sigmoid, relu, leaky_relu, elu, identity."""

    @staticmethod
    def forward(ctx, XW: Tensor, W_h: Tensor, h0: Tensor, mask: Tensor | None, f_name: str):
        from rnnkit.nn.activations import activation

        f = activation(f_name)
        B, T, H = XW.shape
        ctx.f_name, ctx.lens = f_name, None
        if f_name in nb.NUMBA_RNN_ACTIVATIONS and nb.use_numba(XW, H):  # one compiled loop
            ctx.lens = nb.lengths_of(mask, B, T)
            Hs, A = (torch.from_numpy(a) for a in nb.rnn_forward(
                nb.np_of(XW), nb.np_of(W_h), nb.np_of(h0), ctx.lens, f_name == "relu"))
            ctx.save_for_backward(W_h, Hs, A, mask)
            out = Hs[:, 1:] if mask is None else Hs[:, 1:] * mask  # (B, T, H)
            return out, Hs[:, -1].clone()
        Hs = XW.new_empty(B, T + 1, H)
        A = XW.new_empty(B, T, H)  # unmasked activations f(z_t)
        Hs[:, 0] = h0
        h = h0
        for t in range(T):
            a = f(torch.addmm(XW[:, t], h, W_h))  # (B, H)
            A[:, t] = a
            h = _masked(mask, t, a, h)
            Hs[:, t + 1] = h
        out = Hs[:, 1:] if mask is None else Hs[:, 1:] * mask
        ctx.save_for_backward(W_h, Hs, A, mask)
        return out, h

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        W_h, Hs, A, mask = ctx.saved_tensors
        B, T, H = A.shape
        if ctx.lens is not None:
            d_out = d_out if mask is None else d_out * mask
            dZ, dh = (torch.from_numpy(a) for a in nb.rnn_backward(
                A.numpy(), nb.np_of(d_out), nb.np_of(d_hT), nb.np_of(W_h), ctx.lens, ctx.f_name == "relu"))
            return dZ, Hs[:, :-1].reshape(-1, H).t() @ dZ.reshape(-1, H), dh, None, None
        dZ = _act_grad(ctx.f_name, A)  # (B, T, H) f′, filled with ∂E/∂z below
        if mask is not None:
            d_out = d_out * mask
            dZ = dZ * mask
        dh, W_hT = d_hT.clone(), W_h.t()
        for t in reversed(range(T)):
            dh_t = dh + d_out[:, t]
            dz = dZ[:, t].mul_(dh_t)  # (B, H)
            dh_prev = dz @ W_hT
            dh = dh_prev if mask is None else torch.where(mask[:, t], dh_prev, dh_t)
        dW_h = Hs[:, :-1].reshape(-1, H).t() @ dZ.reshape(-1, H)
        return dZ, dW_h, dh, None, None
