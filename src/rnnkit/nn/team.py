"""torch's OpenMP threads for the compiled time loops: each thread runs the whole loop for a
block of sequences.

A recurrent step cannot start before the previous one has finished, but different sequences
of a batch never meet inside a layer: row b of H_t depends only on row b of H_{t−1} and
X_t, forward and backward (the weight gradients, which sum over the batch, come after the
loop, in a phase split by time). So a loop function ``fn(p, P, *arrays)`` runs on P threads at once, thread p
for the sequences ``rows(p, P, B)``: every step's matmul on its rows (a single-threaded BLAS
call, ``blas``) and its element-wise work, with no synchronisation until the end. On this
project's development CPU (2 cores) that kept both cores busy where a two-thread BLAS call per
step did not (MKL ran a 64×256 by 256×1024 product at 44 GFLOP/s on two threads, against
2 × 32 on one thread each).

The threads are torch's own: ``run`` opens an OpenMP parallel region with the ``GOMP_parallel``
of the OpenMP runtime that torch's CPU library uses, found through that library, and each
thread of the region calls the loop's entry point (a numba ``cfunc``) with a frame of raw
arguments (``frame``). Threads of another pool would compete for the cores with torch's
OpenMP threads, which spin for a while after each parallel operation: with a separate pool,
the forward loop of a (32, 200, 128) LSTM took 38 ms after a torch matmul, against 23 ms on
torch's threads (22 ms when run alone). P is the region's real size
(``omp_get_num_threads``: 1 when called inside another parallel region), at most
torch's intra-op thread count (``torch.set_num_threads``; 1 under ``torchrun`` unless
``OMP_NUM_THREADS`` says otherwise) and one per ``MIN_ROWS`` sequences (``size``).

Shape legend: B batch; P threads.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

import numba
import numpy as np
import torch
from llvmlite import binding as llvm
from numba import types
from numba.extending import intrinsic

log = logging.getLogger(__name__)

MIN_ROWS = 4  # sequences per thread at least (fewer: the matmul rows are too few to pay)
_SLOTS = 4  # a frame's int64 slots per argument: address (or value), then up to 3 dimensions


def _find_openmp():
    """torch's ``GOMP_parallel`` (callable) with its thread-id functions handed to LLVM, or None."""
    if not sys.platform.startswith("linux"):
        return None
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        lib = ctypes.CDLL(path)  # dlsym through it finds the OpenMP runtime it links
        for name in ("omp_get_thread_num", "omp_get_num_threads"):
            llvm.add_symbol("rnnkit_" + name, ctypes.cast(getattr(lib, name), ctypes.c_void_p).value)
        address = ctypes.cast(lib.GOMP_parallel, ctypes.c_void_p).value
    except (OSError, AttributeError) as e:
        log.debug("no GNU OpenMP entry in %s (%s): compiled loops stay single-threaded", path, e)
        return None
    return ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint)(address)


_GOMP_PARALLEL = _find_openmp()
AVAILABLE = _GOMP_PARALLEL is not None
_thread_num = types.ExternalFunction("rnnkit_omp_get_thread_num", types.intc())
_num_threads = types.ExternalFunction("rnnkit_omp_get_num_threads", types.intc())


@numba.njit(cache=True, nogil=True)
def rows(p, P, B):
    """The sequences [b0, b1) that thread p of P runs."""
    return (p * B) // P, ((p + 1) * B) // P


def size(B: int) -> int:
    """Threads for a loop over a batch of B: torch's intra-op threads, ≤ B / ``MIN_ROWS``."""
    return max(1, min(torch.get_num_threads(), B // MIN_ROWS))


def frame(*args) -> np.ndarray:
    """Arguments for an entry point as int64 slots: a header row (the argument count, the
    itemsize of the float arrays), then per numpy array (C-contiguous, ≤ 3-D) its address and
    shape (padded with 1s in front), per int or bool its value. The float arrays must share
    one dtype: the entry point reads them all as that one."""
    slots = np.ones((len(args) + 1, _SLOTS), np.int64)
    slots[0, :2] = len(args), 0
    for i, a in enumerate(args, 1):
        if not isinstance(a, np.ndarray):
            slots[i, 0] = int(a)
            continue
        if not a.flags.c_contiguous or a.ndim > _SLOTS - 1:
            raise ValueError(f"frame: argument {i - 1} must be C-contiguous with ≤ 3 dimensions")
        if a.dtype.kind == "f":
            if slots[0, 1] not in (0, a.itemsize):
                raise ValueError(f"frame: argument {i - 1} is {a.dtype}, the ones before are not")
            slots[0, 1] = a.itemsize
        slots[i, 0] = a.ctypes.data
        slots[i, _SLOTS - a.ndim:] = a.shape
    return slots


def run(fn, P: int, *args) -> None:
    """Run the ``cfunc`` ``fn(frame)`` (see ``entry``) on a parallel region of P of torch's
    OpenMP threads; ``args`` become the frame (``frame``): float arrays all of one dtype."""
    slots = frame(*args)  # the arrays stay referenced by the caller until this returns
    _GOMP_PARALLEL(fn.address, slots.ctypes.data, P, 0)


@intrinsic
def _address(typingctx, value):
    """An int64 address as a void pointer."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(types.voidptr))
    return types.voidptr(types.int64), codegen


@numba.njit(cache=True, nogil=True)
def slots_of(pointer):
    """The frame at ``pointer`` (inside an entry point): header row, then one row per argument."""
    n = numba.carray(pointer, (1, _SLOTS), np.int64)[0, 0]
    return numba.carray(pointer, (n + 1, _SLOTS), np.int64)


@numba.njit(cache=True, nogil=True)
def me():
    """(p, P): this thread's number and the size of the running parallel region."""
    return _thread_num(), _num_threads()


@numba.njit(cache=True, nogil=True)
def arg(slots, i, like):
    """Argument i of a frame as a 3-D array of ``like``'s dtype (index [0] for a 2-D one)."""
    s = slots[i + 1]
    return numba.carray(_address(s[0]), (s[1], s[2], s[3]), like.dtype)


@numba.njit(cache=True, nogil=True)
def i64(slots, i):
    """Argument i of a frame as a 1-D int64 array."""
    s = slots[i + 1]
    return numba.carray(_address(s[0]), (s[3],), np.int64)


@numba.njit(cache=True, nogil=True)
def value(slots, i):
    """Argument i of a frame as an int (a bool or int argument)."""
    return slots[i + 1, 0]


F32, F64 = np.zeros(1, np.float32), np.zeros(1, np.float64)  # dtype witnesses for ``arg``
_entries: dict = {}


def entry(functions: dict, key):
    """The numba ``cfunc`` of ``functions[key]`` (a module-level ``f(pointer)``), compiled on
    first use and cached on disk like the loops."""
    fn = functions[key]
    if fn not in _entries:
        _entries[fn] = numba.cfunc(types.void(types.voidptr), cache=True)(fn)
    return _entries[fn]
