"""One array code path for NumPy (CPU) and CuPy (GPU).

``xp = array_namespace(x)`` returns the module that owns ``x``; ``fft_module(xp)`` returns an
FFT module with the same API (``scipy.fft`` with all workers on CPU, ``cupyx.scipy.fft`` on
GPU). CuPy is optional: without it every function works on NumPy and ``gpu_available()`` is
False, so GPU tests skip cleanly.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
import scipy.fft

from lotusar.errors import ValidationError

try:  # optional dependency
    import cupy as _cupy  # type: ignore[import-not-found]
except (ImportError, RuntimeError, OSError):  # not installed, or no usable CUDA runtime/driver library
    _cupy = None


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except RuntimeError:  # cupy's CUDARuntimeError: no driver or no device
        return False


def array_namespace(*arrays: Any) -> ModuleType:
    """The array module (numpy or cupy) owning the given arrays."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def device_namespace(device: str) -> ModuleType:
    """Array module for ``device`` = ``"cpu"`` or ``"gpu"`` (LotusarError if no GPU)."""
    if device == "cpu":
        return np
    if device == "gpu":
        if not gpu_available():
            raise ValidationError("--device gpu: no CUDA GPU with CuPy is available on this machine")
        return _cupy
    raise ValidationError(f"unknown device {device!r}: expected 'cpu' or 'gpu'")


def fft_module(xp: ModuleType) -> ModuleType:
    """scipy.fft on CPU, cupyx.scipy.fft on GPU (same function names)."""
    if xp is np:
        return scipy.fft
    import cupyx.scipy.fft  # type: ignore[import-not-found]  # optional: only with CuPy

    return cupyx.scipy.fft


def fft_workers(xp: ModuleType) -> dict[str, int]:
    """Keyword arguments giving scipy.fft all cores (empty on GPU)."""
    return {"workers": os.cpu_count() or 1} if xp is np else {}


def to_numpy(a: Any) -> np.ndarray:
    """Copy a device array to host memory (no-op for NumPy)."""
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        return _cupy.asnumpy(a)
    return np.asarray(a)
