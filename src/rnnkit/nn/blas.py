"""The BLAS matrix product that torch ships (MKL's ``sgemm``/``dgemm``), callable from numba.

The threaded time loops (``team_lstm``) run small matrix products per thread per time step,
on that thread's rows of the batch. Going back to Python for each one (a torch operator)
would cost more than the element-wise work around it, so the loops call the GEMM from
compiled code: the Fortran ``sgemm_``/``dgemm_`` of the MKL that torch's CPU library
exports on x86-64 builds, found by name in ``libtorch_cpu`` and handed to LLVM with
``llvmlite.binding.add_symbol``. Each calling thread first sets MKL to one thread of its own
(``MKL_Set_Num_Threads_Local``), so that two loop threads do not each start a team of MKL
threads (inside an OpenMP region MKL would run single-threaded anyway). Where those symbols are missing (other platforms, other torch builds) ``AVAILABLE``
is False and the fused kernels keep their torch-operator loops.

``gemm`` multiplies row-major blocks given as flat arrays that start at the block's first
element, with the leading dimension (row stride) of each, as BLAS does:

    C (M, N) = op(A) · op(W) + β·C,   op(A) = A (M, K) or Aᵀ with A (K, M) (``trans_a``),
                                      op(W) = W (K, N) or Wᵀ with W (N, K) (``trans_w``)

Shape legend: M output rows, K inner size, N output columns.
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

log = logging.getLogger(__name__)

_SYMBOLS = ("sgemm_", "dgemm_", "MKL_Set_Num_Threads_Local")


def _find_symbols() -> dict[str, int] | None:
    """Addresses of ``_SYMBOLS`` in torch's CPU library, or None where it lacks one."""
    if not sys.platform.startswith("linux"):
        return None
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        lib = ctypes.CDLL(path)
        return {name: ctypes.cast(getattr(lib, name), ctypes.c_void_p).value for name in _SYMBOLS}
    except (OSError, AttributeError) as e:
        log.debug("no MKL GEMM in %s (%s): fused loops use torch operators", path, e)
        return None


_ADDRESSES = _find_symbols()
AVAILABLE = _ADDRESSES is not None
if AVAILABLE:
    for _name, _address in _ADDRESSES.items():
        llvm.add_symbol("rnnkit_" + _name, _address)

_p = types.voidptr
_sgemm = types.ExternalFunction("rnnkit_sgemm_", types.void(*[_p] * 13))
_dgemm = types.ExternalFunction("rnnkit_dgemm_", types.void(*[_p] * 13))
_set_local_threads = types.ExternalFunction("rnnkit_MKL_Set_Num_Threads_Local", types.intc(types.intc))


@numba.njit(cache=True, nogil=True)
def set_local_threads(n):
    """MKL's thread count for the calling thread only (0: back to the global setting);
    returns the previous local value."""
    return _set_local_threads(n)


@numba.njit(cache=True, nogil=True)
def gemm(trans_a, trans_w, M, N, K, A, lda, W, ldw, beta, C, ldc):
    """C ← op(A)·op(W) + β·C on row-major blocks (see the module docstring); A, W, C are flat
    arrays of one dtype (float32 or float64) starting at each block's first element."""
    # BLAS is column-major: the row-major C (M, N) is Cᵀ (N, M) there, Cᵀ = op(W)ᵀ op(A)ᵀ
    dims = np.empty(6, np.int32)
    dims[0], dims[1], dims[2], dims[3], dims[4], dims[5] = N, M, K, ldw, lda, ldc
    ops = np.empty(2, np.uint8)
    ops[0], ops[1] = (84 if trans_w else 78), (84 if trans_a else 78)  # 'T' / 'N'
    scal = np.empty(2, C.dtype)
    scal[0], scal[1] = 1, beta
    args = (ops[0:].ctypes, ops[1:].ctypes, dims[0:].ctypes, dims[1:].ctypes, dims[2:].ctypes,
            scal[0:].ctypes, W.ctypes, dims[3:].ctypes, A.ctypes, dims[4:].ctypes, scal[1:].ctypes,
            C.ctypes, dims[5:].ctypes)
    if C.itemsize == 4:
        _sgemm(*args)
    else:
        _dgemm(*args)
