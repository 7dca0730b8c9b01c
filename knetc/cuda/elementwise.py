"""Elementwise ops on KnetArrays: copies and fills (more families register NumPy ufuncs here)."""
import numpy as np

from .array import KnetArray
from .layout import kernel_layout, size_of


def empty(shape, dtype, device):
    """An uninitialised contiguous KnetArray (allocation only, no kernel)."""
    return KnetArray(device.xp.empty(tuple(shape), dtype=dtype), device)


def contiguous(x):
    """x itself when C-contiguous, else a contiguous copy made by the copy kernel."""
    if x.is_contiguous:
        return x
    return copy(x)


def copy(x):
    """A contiguous copy of KnetArray x (any strides, broadcast views included)."""
    y = empty(x.shape, x.dtype, x.device)
    n = size_of(x.shape)
    if n:
        x.device.launch("elementwise", "copy_forward", x.dtype, x.device.grid(n), (x.device.block,),
                        [x, y, n, *kernel_layout(x.shape, x.strides)])
    return y


def check_dtype(*arrays):
    dtypes = {np.dtype(a.dtype) for a in arrays if isinstance(a, KnetArray)}
    if len(dtypes) > 1:
        raise TypeError("knetc's GPU ops need operands of one dtype, "
                        f"got {sorted(map(str, dtypes))}")
    return dtypes.pop()
