"""Fused time loops with hand-derived BPTT (``torch.autograd.Function``), one per cell type.

Shape legend: B batch, T time, D input, H hidden, G gates (LSTM 4, GRU 3, RNN 1).
Kernels work time-major, so that one step's data is contiguous: each receives the input
projection for all steps at once, ``XW = X W_x + b`` (T, B, G·H) (one large matmul, done by
the caller through autograd), the recurrent weight ``W_h`` (H, G·H), the initial state and a
step mask (T, B, 1) (True = t < length; None = all valid), and returns outputs (T, B, H).
Inside the loop only ``H_{t−1} W_h`` is computed, into preallocated buffers (``step_matmul``:
oneDNN's GEMM for large steps on CPU, ``addmm`` elsewhere). The backward
pass runs the lecture's recursion backwards in time, writing each step's gate gradients into
one buffer dG (T, B, G·H); the weight gradient is then a single matmul,
dW_h = Σ_t H_{t−1}ᵀ dG_t. Steps past a sequence's length leave the state unchanged (forward)
and pass gradients straight through (backward). Outputs are zero at padded steps.

Gate order: LSTM (i, f, o, c) — I, F, O, C̃; GRU (r, z, h) — R, Z, H̃; RNN (h).
The element-wise part of each LSTM/GRU backward step is compiled (``fused_steps``) on CPU.
Small problems (B·G·H² ≤ ``fused_numba.SMALL_STEP_WORK``; LSTM, GRU, RNN with tanh/relu) run
whole loops compiled by numba (``fused_numba``; the LSTM and ``reset_after`` GRU backward
loops are ``fused_steps``'): per-op overhead dominates there. Both loops fill the same buffers.
On CPU in float32/64 the layers that ``team_kernels`` takes (B ≥ 8, ``threads_for``) run there
instead, whole; these kernels serve the rest: CUDA, reduced precision, small batches, and
torch builds without MKL or GNU OpenMP.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.nn import fused_numba as nb
from rnnkit.nn import fused_steps as steps
from rnnkit.nn.step_matmul import StepMatmul


def _masked(m: Tensor | None, t: int, new: Tensor, old: Tensor) -> Tensor:
    return new if m is None else torch.where(m[t], new, old)


def _outputs(Hs: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
    """From the states H_0..H_T (T+1, B, H): outputs (T, B, H), zero at pads, and the final H."""
    return (Hs[1:] if mask is None else Hs[1:] * mask), Hs[-1].clone()


def _masked_grad(d_out: Tensor, mask: Tensor | None) -> Tensor:
    """Output gradients with padded steps zeroed (the outputs there are constants)."""
    return d_out if mask is None else d_out * mask


def _compiled(*ts: Tensor) -> bool:
    """Whether the backward element-wise steps can run compiled (CPU float32/float64)."""
    return all(t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64) for t in ts)


def _backward_setup(ctx, d_out: Tensor, d_hT: Tensor, H: int):
    """Output gradients zeroed at pads (T, B, H), and DH (2, B, H), two alternating slots for
    ∂E/∂H_t (slot 1 − t % 2 while step t runs) and ∂E/∂H_{t−1} (slot t % 2)."""
    mask = ctx.saved_tensors[-1]
    d_out = _masked_grad(d_out, mask).contiguous()
    T, B, _ = d_out.shape
    DH = d_out.new_empty(2, B, H)
    torch.add(d_out[T - 1], d_hT, out=DH[1 - (T - 1) % 2])
    return d_out, DH, mask


def _run_backward_steps(compiled, torch_step, bufs, *, mask, dG: Tensor, W_h: Tensor, DH: Tensor) -> None:
    """The BPTT loop from T−1 down to 0: each step's element-wise part (``fused_steps``:
    compiled on CPU, torch operators elsewhere) fills dG_t and sets DH[t % 2] to ∂E/∂out_{t−1};
    then one matmul adds dG_t W_hᵀ, completing ∂E/∂H_{t−1}. ``compiled`` is the pair (step,
    whole loop) of compiled functions; small problems run the whole loop compiled."""
    T, B, _ = dG.shape
    W_hT = W_h.detach().t()  # (G·H, H), a view
    if not _compiled(*bufs):
        mm = StepMatmul(W_hT, B)
        for t in reversed(range(T)):
            torch_step(t, *bufs, mask)
            mm.add_into(DH[t % 2], dG[t])  # + dG_t W_hᵀ
        return
    step, loop = compiled
    arrays, lens = [b.numpy() for b in bufs], nb.lengths_of(mask, B, T)
    if nb.use_numba(dG, W_h.shape[0]):
        loop(*arrays, lens, W_hT.contiguous().numpy())
        return
    mm = StepMatmul(W_hT, B)
    for t in reversed(range(T)):
        step(t, *arrays, lens)
        mm.add_into(DH[t % 2], dG[t])  # + dG_t W_hᵀ


class LSTMKernel(torch.autograd.Function):
    """I, F, O = σ(·), C̃ = tanh(·); C_t = F⊙C_{t−1} + I⊙C̃; H_t = O⊙tanh(C_t)."""

    @staticmethod
    def forward(ctx, XW: Tensor, W_h: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | None):
        T, B, G4 = XW.shape
        H = G4 // 4
        if nb.use_numba(XW, H):  # small problem: one compiled loop, same buffers
            Hs, Cs, TC, gates = (torch.from_numpy(a) for a in nb.lstm_forward(
                nb.np_of(XW), nb.np_of(W_h), nb.np_of(h0), nb.np_of(c0), nb.lengths_of(mask, B, T)))
            return _lstm_finish(ctx, W_h, Hs, Cs, TC, gates, mask)
        Hs = XW.new_empty(T + 1, B, H)  # H_0..H_T (states after masking)
        Cs = XW.new_empty(T + 1, B, H)  # C_0..C_T
        TC = XW.new_empty(T, B, H)  # tanh(C_t), kept for the backward pass
        gates = XW.new_empty(T, B, G4)  # activated I F O C̃
        Hs[0], Cs[0] = h0, c0
        mm = StepMatmul(W_h, B)
        for t in range(T):
            g = mm.into(gates[t], Hs[t], add=XW[t])  # (B, 4H) pre-activations
            g[:, :3 * H].sigmoid_()  # I F O
            g[:, 3 * H:].tanh_()  # C̃
            I, F, O, Ct = g.split(H, 1)
            c = torch.mul(F, Cs[t], out=Cs[t + 1]).addcmul_(I, Ct)  # (B, H)
            h = torch.mul(O, torch.tanh(c, out=TC[t]), out=Hs[t + 1])  # (B, H)
            if mask is not None:  # padded steps keep the state
                torch.where(mask[t], h, Hs[t], out=h)
                torch.where(mask[t], c, Cs[t], out=c)
        return _lstm_finish(ctx, W_h, Hs, Cs, TC, gates, mask)

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor, d_cT: Tensor):
        W_h, Hs, Cs, TC, gates, _ = ctx.saved_tensors
        T, B, G4 = gates.shape
        H = G4 // 4
        d_out, DH, mask = _backward_setup(ctx, d_out, d_hT, H)
        dG = torch.empty_like(gates)  # ∂E/∂(pre-activations)
        dc = d_cT.clone(memory_format=torch.contiguous_format)  # (B, H) ∂E/∂C_t
        _run_backward_steps((steps.lstm_backward_step, steps.lstm_backward_loop), steps.lstm_backward_step_torch,
                            (gates, Cs, TC, DH, dc, d_out, dG), mask=mask, dG=dG, W_h=W_h, DH=DH)
        dW_h = Hs[:-1].reshape(-1, H).t() @ dG.view(-1, G4)  # (H, 4H): one matmul
        return dG, dW_h, DH[0], dc, None


def _lstm_finish(ctx, W_h, Hs, Cs, TC, gates, mask):
    """Save the forward buffers; outputs (T, B, H) zero at pads, final H and C (B, H)."""
    ctx.save_for_backward(W_h, Hs, Cs, TC, gates, mask)
    return (*_outputs(Hs, mask), Cs[-1].clone())


class GRUKernel(torch.autograd.Function):
    """R, Z = σ(·); H̃ = tanh(XW_h + (R⊙H) W_hh) (lecture) or tanh(XW_h + R⊙(H W_hh + b_hn))
    (``reset_after``); H_t = Z⊙H_{t−1} + (1−Z)⊙H̃. ``b_hn`` is None for the lecture variant."""

    @staticmethod
    def forward(ctx, XW: Tensor, W_h: Tensor, b_hn: Tensor | None, h0: Tensor,
                mask: Tensor | None, reset_after: bool):
        T, B, G3 = XW.shape
        H = G3 // 3
        ctx.reset_after, ctx.has_b_hn = reset_after, b_hn is not None
        if not reset_after:
            return _gru_lecture_forward(ctx, XW, W_h, h0, mask)
        if nb.use_numba(XW, H):  # small problem: one compiled loop
            return GRUKernel._forward_numba(ctx, XW, W_h, b_hn, h0, mask)
        Hs = XW.new_empty(T + 1, B, H)  # H_0..H_T
        gates = XW.new_empty(T, B, G3)  # R, Z, H̃
        HW = XW.new_empty(T, B, G3)  # H_{t−1} W_h (+ b_hn on the H̃ block)
        Hs[0] = h0
        mm = StepMatmul(W_h, B)
        for t in range(T):
            hw = mm.into(HW[t], Hs[t])  # (B, 3H)
            if b_hn is not None:
                hw[:, 2 * H:].add_(b_hn)
            rz, n = gates[t, :, :2 * H], gates[t, :, 2 * H:]
            torch.add(XW[t, :, :2 * H], hw[:, :2 * H], out=rz).sigmoid_()
            torch.addcmul(XW[t, :, 2 * H:], rz[:, :H], hw[:, 2 * H:], out=n).tanh_()
            h = torch.lerp(n, Hs[t], rz[:, H:], out=Hs[t + 1])  # Z⊙H + (1−Z)⊙H̃
            if mask is not None:
                torch.where(mask[t], h, Hs[t], out=h)
        ctx.save_for_backward(W_h, Hs, gates, HW, mask)
        return _outputs(Hs, mask)

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        if not ctx.reset_after:
            return _gru_lecture_backward(ctx, d_out, d_hT)
        W_h, Hs, gates, HW, _ = ctx.saved_tensors
        T, B, G3 = gates.shape
        H = G3 // 3
        d_out, DH, mask = _backward_setup(ctx, d_out, d_hT, H)
        dGx = torch.empty_like(gates)  # ∂E/∂XW_t
        dGh = torch.empty_like(gates)  # ∂E/∂(H_{t−1} W_h + b)
        _run_backward_steps((steps.gru_backward_step, steps.gru_backward_loop), steps.gru_backward_step_torch,
                            (gates, HW, Hs, DH, d_out, dGx, dGh), mask=mask, dG=dGh, W_h=W_h, DH=DH)
        dW_h = Hs[:-1].reshape(-1, H).t() @ dGh.view(-1, G3)  # (H, 3H): one matmul
        db_hn = dGh[:, :, 2 * H:].sum((0, 1)) if ctx.has_b_hn else None
        return dGx, dW_h, db_hn, DH[0], None, None

    @staticmethod
    def _forward_numba(ctx, XW, W_h, b_hn, h0, mask):
        T, B, G3 = XW.shape
        bn = nb.np_of(b_hn) if b_hn is not None else XW.new_zeros(G3 // 3).numpy()
        Hs, gates, HW = (torch.from_numpy(a) for a in nb.gru_forward(
            nb.np_of(XW), nb.np_of(W_h), bn, nb.np_of(h0), nb.lengths_of(mask, B, T)))
        ctx.save_for_backward(W_h, Hs, gates, HW, mask)
        return _outputs(Hs, mask)


def _gru_lecture_forward(ctx, XW, W_h, h0, mask):
    """The lecture's GRU (reset before the matmul): H̃ = tanh(XW_h + (R⊙H_{t−1}) W_hh)."""
    T, B, G3 = XW.shape
    H = G3 // 3
    ctx.lens = None
    if nb.use_numba(XW, H):  # small problem: one compiled loop, same buffers
        ctx.lens = nb.lengths_of(mask, B, T)
        Hs, gates, aux = (torch.from_numpy(a) for a in nb.gru_lecture_forward(
            nb.np_of(XW), nb.np_of(W_h[:, :2 * H]), nb.np_of(W_h[:, 2 * H:]), nb.np_of(h0), ctx.lens))
        ctx.save_for_backward(W_h, Hs, gates, aux, mask)
        return _outputs(Hs, mask)
    Hs = XW.new_empty(T + 1, B, H)
    gates = XW.new_empty(T, B, G3)  # R, Z, H̃
    aux = XW.new_empty(T, B, H)  # R⊙H_{t−1}
    Hs[0] = h0
    mm_rz, mm_hh = StepMatmul(W_h[:, :2 * H], B), StepMatmul(W_h[:, 2 * H:], B)
    for t in range(T):
        rz = mm_rz.into(gates[t, :, :2 * H], Hs[t], add=XW[t, :, :2 * H]).sigmoid_()  # (B, 2H)
        rh = torch.mul(rz[:, :H], Hs[t], out=aux[t])  # (B, H)
        n = mm_hh.into(gates[t, :, 2 * H:], rh, add=XW[t, :, 2 * H:]).tanh_()  # (B, H)
        h = torch.lerp(n, Hs[t], rz[:, H:], out=Hs[t + 1])  # Z⊙H + (1−Z)⊙H̃
        if mask is not None:
            torch.where(mask[t], h, Hs[t], out=h)
    ctx.save_for_backward(W_h, Hs, gates, aux, mask)
    return _outputs(Hs, mask)


def _gru_lecture_backward(ctx, d_out, d_hT):
    W_h, Hs, gates, aux, mask = ctx.saved_tensors
    T, B, G3 = gates.shape
    H = G3 // 3
    d_out = _masked_grad(d_out, mask)
    if ctx.lens is not None:  # the compiled loop ran forward: run its backward too
        dG, dA, dh = (torch.from_numpy(a) for a in nb.gru_lecture_backward(
            gates.numpy(), aux.numpy(), Hs.numpy(), nb.np_of(d_out), nb.np_of(d_hT),
            nb.np_of(W_h[:, :2 * H].t()), nb.np_of(W_h[:, 2 * H:].t()), ctx.lens))
        return _gru_lecture_weight_grads(Hs, dG, dA, aux, dh)
    dG = torch.empty_like(gates)  # ∂E/∂(pre-activations), x side
    dA = torch.empty_like(aux)  # ∂E/∂pre_H̃, the (R⊙H) W_hh side
    dh = d_hT.clone()
    mm_rz_T, mm_hh_T = StepMatmul(W_h[:, :2 * H].t(), B), StepMatmul(W_h[:, 2 * H:].t(), B)
    for t in reversed(range(T)):
        R, Z, N = gates[t].split(H, 1)  # each (B, H)
        h_prev = Hs[t]
        dh_t = dh + d_out[t]
        dn = dh_t * (1 - Z) * (1 - N * N)  # ∂E/∂pre_n
        d = dG[t]
        d[:, H:2 * H] = dh_t * (h_prev - N) * Z * (1 - Z)
        d[:, 2 * H:] = dn
        d_rh = mm_hh_T(dn)  # (B, H)
        d[:, :H] = d_rh * h_prev * R * (1 - R)
        dA[t] = dn
        dh_prev = mm_rz_T.add_into(dh_t * Z + d_rh * R, d[:, :2 * H])  # (B, H)
        if mask is not None:
            m = mask[t]
            d.mul_(m)
            dA[t].mul_(m)
            dh_prev = torch.where(m, dh_prev, dh_t)
        dh = dh_prev
    return _gru_lecture_weight_grads(Hs, dG, dA, aux, dh)


def _gru_lecture_weight_grads(Hs, dG, dA, aux, dh):
    """The lecture GRU's dW_h = [H_{t−1}ᵀ dG_rz, (R⊙H_{t−1})ᵀ ∂E/∂pre_H̃] summed over (T, B)."""
    T, B, G3 = dG.shape
    H = G3 // 3
    dW_rz = Hs[:-1].reshape(-1, H).t() @ dG[:, :, :2 * H].reshape(-1, 2 * H)  # (H, 2H)
    dW_hh = aux.reshape(-1, H).t() @ dA.reshape(-1, H)  # (H, H)
    return dG, torch.cat([dW_rz, dW_hh], 1), None, dh, None, None


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
        T, B, H = XW.shape
        ctx.f_name, ctx.lens = f_name, None
        if f_name in nb.NUMBA_RNN_ACTIVATIONS and nb.use_numba(XW, H):  # one compiled loop
            ctx.lens = nb.lengths_of(mask, B, T)
            Hs, A = (torch.from_numpy(a) for a in nb.rnn_forward(
                nb.np_of(XW), nb.np_of(W_h), nb.np_of(h0), ctx.lens, f_name == "relu"))
            ctx.save_for_backward(W_h, Hs, A, mask)
            return _outputs(Hs, mask)
        Hs = XW.new_empty(T + 1, B, H)
        A = XW.new_empty(T, B, H)  # unmasked activations f(z_t)
        Hs[0] = h0
        mm = StepMatmul(W_h, B)
        for t in range(T):
            a = f(mm.into(A[t], Hs[t], add=XW[t]))  # (B, H)
            A[t] = a
            Hs[t + 1] = _masked(mask, t, a, Hs[t])
        ctx.save_for_backward(W_h, Hs, A, mask)
        return _outputs(Hs, mask)

    @staticmethod
    def backward(ctx, d_out: Tensor, d_hT: Tensor):
        W_h, Hs, A, mask = ctx.saved_tensors
        T, B, H = A.shape
        d_out = _masked_grad(d_out, mask)
        if ctx.lens is not None:
            dZ, dh = (torch.from_numpy(a) for a in nb.rnn_backward(
                A.numpy(), nb.np_of(d_out), nb.np_of(d_hT), nb.np_of(W_h.t()), ctx.lens, ctx.f_name == "relu"))
            return dZ, Hs[:-1].reshape(-1, H).t() @ dZ.reshape(-1, H), dh, None, None
        dZ = _act_grad(ctx.f_name, A)  # (T, B, H) f′, filled with ∂E/∂z below
        if mask is not None:
            dZ = dZ * mask
        dh, mm = d_hT.clone(), StepMatmul(W_h.t(), B)
        for t in reversed(range(T)):
            dh_t = dh + d_out[t]
            dz = dZ[t].mul_(dh_t)  # (B, H)
            dh_prev = mm(dz)  # (B, H)
            dh = dh_prev if mask is None else torch.where(mask[t], dh_prev, dh_t)
        dW_h = Hs[:-1].reshape(-1, H).t() @ dZ.reshape(-1, H)
        return dZ, dW_h, dh, None, None
