"""Matrix products on KnetArrays: `@`, np.matmul, np.dot, np.outer, np.tensordot, np.inner.

Every product is one `device.matmul` on raw buffers (cuBLAS through CuPy on a GPU, np.matmul
on the emulator). Vectors become matrices by views, and a transposed operand is passed as the
transposed view it is (cuBLAS reads it with its transpose flag): an operand is copied to
contiguous memory only when no single matrix layout describes it (a broadcast or a sliced
view), by knetc's copy kernel.
"""
import numpy as np

from . import elementwise, shape
from .array import KnetArray, implements, to_device


def _operands(a, b):
    """a and b as KnetArrays on one device with one float dtype."""
    if not isinstance(a, KnetArray):
        a = to_device(a, b.device, b.dtype)
    if not isinstance(b, KnetArray):
        b = to_device(b, a.device, a.dtype)
    if a.device is not b.device:
        raise ValueError(f"knetc: operands of a product are on different devices "
                         f"({a.device.name} and {b.device.name})")
    dtype = elementwise.check_dtype(a, b)
    if dtype.kind != "f":
        raise TypeError(f"knetc's GPU matrix product takes float32 or float64, not {dtype}")
    return a, b


def _blas_ready(x):
    """A 2-d x as cuBLAS reads it: row-major, or column-major (a transposed view passes with
    cuBLAS's transpose flag); anything else (a slice, a broadcast) is copied by our kernel."""
    if x.is_contiguous or x.raw.flags.f_contiguous:
        return x
    return elementwise.copy(x)


def _product(a, b):
    """a @ b for a, b of at least 2 dims, with NumPy's broadcasting of the batch dims."""
    if a.ndim == 2 and b.ndim == 2:
        if a.shape[1] == 0:  # an empty sum: zeros (CuPy would fill them with its own kernel)
            return elementwise.zeros((a.shape[0], b.shape[1]), a.dtype, a.device)
        if a.shape[0] == 1 and b.shape[1] == 1:  # an inner product: cuBLAS is not used
            return _inner_product(a, b)
        raw = a.device.matmul(_blas_ready(a).raw, _blas_ready(b).raw)
        return KnetArray(raw, a.device)
    if b.ndim == 2 and a.is_contiguous:  # a stack of matrices times one matrix: one GEMM
        rows = shape.reshape(a, (-1, a.shape[-1]))
        out = _product(rows, b)
        return shape.reshape(out, a.shape[:-1] + (b.shape[-1],))
    # A strided batched GEMM needs row-major stacks of one batch shape (no broadcast dims).
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = elementwise.contiguous(shape.broadcast_to(a, batch + a.shape[-2:]))
    b = elementwise.contiguous(shape.broadcast_to(b, batch + b.shape[-2:]))
    return KnetArray(a.device.matmul(a.raw, b.raw), a.device)


def _inner_product(a, b):
    """(1, k) @ (k, 1) as a (1, 1) array, by knetc's multiply and sum kernels (CuPy would
    run its own reduction kernel for a 1 x 1 product)."""
    products = np.multiply(shape.reshape(a, (-1,)), shape.reshape(b, (-1,)))
    return shape.reshape(np.sum(products), (1, 1))


@implements(np.matmul)
def matmul(a, b, out=None, **kwargs):
    """NumPy's `a @ b` for vectors, matrices and stacks of matrices."""
    if out is not None or kwargs:
        raise TypeError("knetc's GPU matmul takes no out=, axes= or dtype= arguments")
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: mismatch in the core dimension: {a.shape} @ {b.shape}")
    a2 = shape.reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = shape.reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    out = _product(a2, b2)
    if a.ndim == 1 and b.ndim == 1:
        out = shape.reshape(out, ())
    elif a.ndim == 1:
        out = shape.reshape(out, out.shape[:-2] + out.shape[-1:])
    elif b.ndim == 1:
        out = shape.reshape(out, out.shape[:-1])
    return out


@implements(np.dot)
def dot(a, b, out=None):
    """np.dot: matmul for vectors and matrices, a scaled array for a scalar, and for N-d
    operands a sum over a's last axis and b's second-to-last."""
    if out is not None:
        raise TypeError("knetc's GPU dot takes no out= argument")
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    if np.ndim(b) <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


@implements(np.inner)
def inner(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.outer)
def outer(a, b, out=None):
    """np.outer: the product of a column by a row (one GEMM with an inner size of 1)."""
    if out is not None:
        raise TypeError("knetc's GPU outer takes no out= argument")
    a, b = _operands(a, b)
    return _product(shape.reshape(a, (a.size, 1)), shape.reshape(b, (1, b.size)))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """np.tensordot: both operands permuted and reshaped to matrices, then one product."""
    a, b = _operands(a, b)
    if np.ndim(axes) == 0:
        k = int(axes)
        axes_a, axes_b = list(range(a.ndim - k, a.ndim)), list(range(k))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
        axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    axes_a = [shape.normalize_axis(i, a.ndim) for i in axes_a]
    axes_b = [shape.normalize_axis(i, b.ndim) for i in axes_b]
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j]
                                         for i, j in zip(axes_a, axes_b)):
        raise ValueError(f"tensordot: shape-mismatch for sum over {axes_a} of {a.shape} "
                         f"and {axes_b} of {b.shape}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = 1
    for i in axes_a:
        k *= a.shape[i]
    a2 = shape.reshape(shape.transpose(a, free_a + axes_a), (-1, k))
    b2 = shape.reshape(shape.transpose(b, axes_b + free_b), (k, -1))
    out = _product(a2, b2)
    return shape.reshape(out, tuple(a.shape[i] for i in free_a)
                         + tuple(b.shape[i] for i in free_b))
