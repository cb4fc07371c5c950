"""Benchmark rnnkit's recurrent layers against torch.nn in the same run (``make bench``).

For LSTM, GRU and RNN at the issue's shapes (B, T, D, H, layers), time forward (inference
mode) and forward+backward of rnnkit (``backend="auto"`` and ``"fused"``) and of torch.nn,
alternating implementations, after warm-up, and report medians (of at least ``--reps``
rounds, more for fast rows: ``time_alternating``): ms, the ratio torch/rnnkit (> 1 means
rnnkit is faster; the median of the rounds' ratios, ``paired_ratio``, and in brackets their
quartiles), GFLOP/s (matmul FLOPs only, ∂E/∂X included, as torch computes it) and the share
of this machine's sgemm peak measured in the same run. The input x needs no gradient, as a
first layer's data does not; the pass "+dx" repeats forward+backward with x.requires_grad
(an embedding's output, an upper layer's input). Also one-step generation latency (B=1,
H=256 LSTM, 1000 steps) against calling torch.nn.LSTM with T=1 in a loop.

    python benchmarks/layers.py [--quick] [--reps N] [--only LSTM,GRU,RNN] [--json PATH] [--malloc keep|default]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from rnnkit.allocator import keep_freed_memory
from rnnkit.nn import from_torch

SHAPES = [(64, 100, 128, 256, 1), (32, 200, 64, 128, 2), (1, 1000, 32, 64, 1), (256, 50, 256, 512, 1)]
QUICK_SHAPES = [(8, 20, 16, 32, 1), (1, 50, 8, 16, 2)]
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def matmul_flops(kind: str, B: int, T: int, D: int, H: int, L: int, backward: bool) -> float:
    """2·B·T·(D_l + H)·G·H per layer forward; backward ≈ 2× forward (dX/dH and dW)."""
    G, total = GATES[kind], 0.0
    for l in range(L):
        d_in = D if l == 0 else H
        total += 2.0 * B * T * (d_in + H) * G * H
    return total * (3 if backward else 1)


def sgemm_peak(n: int = 2048, reps: int = 20) -> float:
    """Peak GFLOP/s of an n×n×n float32 matmul (best of ``reps``: a peak, not a typical run)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t0)
    return 2 * n**3 / min(ts) / 1e9


def _runner(module, x, backward: bool):
    def run():
        if backward:
            out, _ = module(x)
            out.sum().backward()
        else:
            with torch.inference_mode():
                module(x)
    return run


PASSES = {"fwd": (False, False), "fwd+bwd": (True, False), "+dx": (True, True)}  # (backward, x needs grad)


ROW_SECONDS, MAX_REPS = 20.0, 41  # cheap rows get more rounds, up to about this long each


def time_alternating(runners: dict, reps: int, row_seconds: float = ROW_SECONDS) -> dict[str, list[float]]:
    """Seconds of every timed round per runner, after one warm-up each: at least ``reps``
    rounds, more (up to ``MAX_REPS``) while a row stays under ``row_seconds``, so that fast
    rows rest on more rounds of this noisy VM. Each round runs every runner once, the order
    rotated from round to round so that none always runs right after the same other."""
    t0 = time.perf_counter()
    for r in runners.values():
        r()
    warm = time.perf_counter() - t0
    rounds = max(reps, min(MAX_REPS, int(row_seconds / max(warm, 1e-9))))
    names = list(runners)
    times: dict[str, list[float]] = {k: [] for k in names}
    for i in range(rounds):
        for k in names[i % len(names):] + names[:i % len(names)]:
            t0 = time.perf_counter()
            runners[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def paired_ratio(num: list[float], den: list[float]) -> float:
    """Median over rounds of num_i / den_i: the speed-up within each round, where both ran
    at the same moment of the VM's drifting speed (a ratio of medians mixes moments)."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def ratio_quartiles(num: list[float], den: list[float]) -> tuple[float, float]:
    """First and third quartiles of the rounds' ratios num_i / den_i: their spread."""
    ratios = [a / b for a, b in zip(num, den, strict=True)]
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return q1, q3


def max_abs_error(ref, *ours) -> float:
    """Largest |rnnkit − torch.nn| over outputs and input gradients (a correctness check)."""
    x = torch.randn(2, 7, ref.input_size, requires_grad=True)
    out, _ = ref(x)
    w = torch.randn_like(out)
    want = (out.detach(), torch.autograd.grad((out * w).sum(), x)[0])
    err = 0.0
    for m in ours:
        o, _ = m(x)
        got = (o.detach(), torch.autograd.grad((o * w).sum(), x)[0])
        err = max(err, *((a - b).abs().max().item() for a, b in zip(got, want, strict=True)))
    return err


def bench_layers(shapes, reps: int, peak: float, kinds=("LSTM", "GRU", "RNN"),
                 row_seconds: float = ROW_SECONDS) -> list[dict]:
    rows = []
    for B, T, D, H, L in shapes:
        for kind in kinds:
            torch.manual_seed(0)
            ref = getattr(torch.nn, kind)(D, H, num_layers=L, batch_first=True)
            ours = from_torch(ref)  # GRU imports as reset_after=True: the same computation
            fused = from_torch(ref)
            fused.set_backend("fused")
            err = max_abs_error(ref, ours, fused)
            for name, (backward, x_grad) in PASSES.items():
                if x_grad and kind != "LSTM":
                    continue
                x = torch.randn(B, T, D, requires_grad=x_grad)
                runners = {"torch": _runner(ref, x, backward), "auto": _runner(ours, x, backward),
                           "fused": _runner(fused, x, backward)}
                times = time_alternating(runners, reps, row_seconds)
                t = {k: statistics.median(v) for k, v in times.items()}
                flops = matmul_flops(kind, B, T, D, H, L, backward)
                rows.append({
                    "cell": kind, "shape": f"{B},{T},{D},{H},{L}", "pass": name, "rounds": len(times["torch"]),
                    "torch_ms": 1e3 * t["torch"], "rnnkit_ms": 1e3 * t["auto"], "fused_ms": 1e3 * t["fused"],
                    "ratio": paired_ratio(times["torch"], times["auto"]),
                    "ratio_fused": paired_ratio(times["torch"], times["fused"]),
                    "ratio_quartiles": ratio_quartiles(times["torch"], times["auto"]),
                    "ratio_of_medians": t["torch"] / t["auto"],
                    "max_abs_err": err, "gflops": flops / t["auto"] / 1e9, "pct_peak": 100 * flops / t["auto"] / 1e9 / peak,
                })
                print(_fmt(rows[-1]), flush=True)
    return rows


def bench_generation(steps: int, reps: int, row_seconds: float = ROW_SECONDS) -> dict:
    """Latency per generated step: rnnkit ``layer.step`` vs torch.nn.LSTM called with T=1."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(256, 256, batch_first=True).eval()
    ours = from_torch(ref).eval()
    x = torch.randn(1, 256)

    def run_torch():
        with torch.inference_mode():
            hx, inp = None, x.unsqueeze(1)
            for _ in range(steps):
                out, hx = ref(inp, hx)

    def run_ours():
        with torch.inference_mode():
            s = None
            for _ in range(steps):
                h, s = ours.step(x, s)

    times = time_alternating({"torch": run_torch, "rnnkit": run_ours}, reps, row_seconds)
    t = {k: statistics.median(v) for k, v in times.items()}
    return {"torch_us_per_step": 1e6 * t["torch"] / steps, "rnnkit_us_per_step": 1e6 * t["rnnkit"] / steps,
            "speedup": paired_ratio(times["torch"], times["rnnkit"]), "speedup_of_medians": t["torch"] / t["rnnkit"]}


def _fmt(r: dict) -> str:
    return (f"{r['cell']:4} {r['shape']:>16} {r['pass']:7} torch {r['torch_ms']:8.2f} ms  rnnkit(auto) "
            f"{r['rnnkit_ms']:8.2f} ms  fused {r['fused_ms']:8.2f} ms  ratio {r['ratio']:5.2f} "
            f"[{r['ratio_quartiles'][0]:.2f}–{r['ratio_quartiles'][1]:.2f}] (fused {r['ratio_fused']:5.2f})  "
            f"{r['gflops']:6.1f} GFLOP/s  {r['pct_peak']:5.1f}% peak  {r['rounds']} rounds")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny shapes (smoke test)")
    ap.add_argument("--reps", type=int, default=9, help="timed rounds per row at least (medians are reported)")
    ap.add_argument("--only", default="LSTM,GRU,RNN", help="cells to time, comma-separated")
    ap.add_argument("--json", help="write the results as JSON")
    ap.add_argument("--malloc", choices=("keep", "default"), default="keep",
                    help="keep: recycle freed memory as the rnnkit CLI does (rnnkit.allocator), "
                         "for torch.nn and rnnkit alike; default: glibc's defaults")
    args = ap.parse_args()
    kept = args.malloc == "keep" and keep_freed_memory()
    peak = sgemm_peak(256 if args.quick else 2048)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"malloc {'keep freed memory' if kept else 'glibc defaults'}")
    print(f"sgemm peak (same run): {peak:.1f} GFLOP/s")
    kinds = tuple(k.strip().upper() for k in args.only.split(","))
    if not set(kinds) <= set(GATES):
        ap.error(f"--only takes cells from {', '.join(GATES)}, got {args.only!r}")
    budget = 0.0 if args.quick else ROW_SECONDS
    rows = bench_layers(QUICK_SHAPES if args.quick else SHAPES, 2 if args.quick else args.reps, peak, kinds, budget)
    gen = bench_generation(20 if args.quick else 1000, 2 if args.quick else args.reps, budget)
    print(f"one-step generation LSTM H=256: torch {gen['torch_us_per_step']:.1f} us/step, "
          f"rnnkit {gen['rnnkit_us_per_step']:.1f} us/step, speedup {gen['speedup']:.2f}x")
    if args.json:
        from rnnkit.atomic import write_json
        write_json(args.json, {"sgemm_peak_gflops": peak, "layers": rows, "generation": gen,
                               "torch": torch.__version__, "threads": torch.get_num_threads(),
                               "malloc": "keep" if kept else "default"})


if __name__ == "__main__":
    main()
