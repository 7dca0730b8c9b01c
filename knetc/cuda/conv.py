"""conv4 and its two adjoints on KnetArrays: im2col/col2im kernels (kernels/conv.cu) around
one GEMM each (device.matmul: cuBLAS on a GPU).

The results are knetc.conv's (same layout, cross-correlation, padding and stride, same
errors): images N x C x H x W, filters O x C x kh x kw, and the column matrix
(C*kh*kw) x (N*Ho*Wo) with its columns in image order, so that

    y     = w_mat @ cols,    then (O, N, Ho*Wo) -> (N, O, Ho*Wo)     (conv4)
    dw    = dy_mat @ cols.T, dy_mat = dy as (O, N, Ho*Wo)           (conv4_grad_w)
    dcols = w_mat.T @ dy_mat, then col2im                            (conv4_grad_x)

where w_mat = w.reshape(O, -1). Transposed operands go to cuBLAS as the transposed views they
are, and the batch/channel swaps are skipped for a batch of one image. knetc.conv.conv4 and
its adjoints call these when an operand is a KnetArray.
"""
import numpy as np

from . import elementwise
from .array import KnetArray, common_device, to_device

FAMILY = "conv"


def _launch(device, kernel, dtype, n, args):
    """One 1-d launch over n work items (grid-stride loops cover any grid)."""
    if n:
        device.launch(FAMILY, kernel, dtype, device.grid(n), (device.block,), args)


def standin(x, dtype):
    """A NumPy array of x's shape and `dtype` that holds no memory: for knetc.conv's shape
    checks, so that errors read the same on the CPU and the GPU."""
    return np.broadcast_to(np.zeros((), dtype=dtype), x.shape)


def operands(what, *xs):
    """(device, dtype, xs as contiguous KnetArrays on one device in one float dtype): NumPy
    arrays and numbers among xs are copied to the device of the KnetArray ones."""
    device = common_device(what, xs)
    dtype = elementwise.check_dtype(*[x for x in xs if isinstance(x, KnetArray)])
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"knetc's GPU {what} takes float32 or float64 arrays, not {dtype}; "
                        "convert with x.astype(np.float32)")
    out = [elementwise.contiguous(to_device(x, device, dtype)) for x in xs]
    return device, dtype, out


def _geometry(w, x, padding, stride, dtype):
    """knetc.conv's _Conv for these shapes (its checks and output size)."""
    from .. import conv as cpu_conv  # knetc.conv imports this module
    return cpu_conv._Conv(standin(w, dtype), standin(x, dtype), padding, stride)


def _check_dy(dy, g):
    want = (g.n, g.o, g.ho, g.wo)
    if dy.shape != want:
        raise ValueError(f"conv4: the adjoint dy has shape {dy.shape}, but the result of "
                         f"conv4 has shape {want}")


def _columns(x, g, dtype):
    """The im2col matrix of x, (C*kh*kw) x (N*Ho*Wo)."""
    np_ = g.n * g.ho * g.wo
    cols = elementwise.empty((g.c * g.kh * g.kw, np_), dtype, x.device)
    _launch(x.device, "im2col_forward", dtype, g.c * np_ if cols.size else 0,
            [x, cols, g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.ho, g.wo])
    return cols


def _swap(x, a, b, p):
    """Contiguous x read as (a, b, p), as a new contiguous (b, a, p) array (a view when a or b
    is 1: then the swap moves nothing)."""
    if a == 1 or b == 1:
        return KnetArray(x.raw.reshape(b, a, p), x.device)
    y = elementwise.empty((b, a, p), x.dtype, x.device)
    _launch(x.device, "transpose01_forward", x.dtype, a * b * p, [x, y, a, b, p])
    return y


def _gemm(device, a, b):
    """a @ b for raw 2-d buffers (row-major or transposed views), as a contiguous KnetArray."""
    return elementwise.contiguous(KnetArray(device.matmul(a, b), device))


def _dy_matrix(dy, g):
    """dy (N x O x Ho x Wo) as the O x (N*Ho*Wo) matrix matching the columns."""
    return _swap(dy, g.n, g.o, g.ho * g.wo).raw.reshape(g.o, -1)


def conv4(w, x, padding=0, stride=1):
    """knetc.conv.conv4 on the GPU: im2col, one GEMM, and the swap to N x O x Ho x Wo."""
    device, dtype, (w, x) = operands("conv4", w, x)
    g = _geometry(w, x, padding, stride, dtype)
    cols = _columns(x, g, dtype)
    y = _gemm(device, w.raw.reshape(g.o, -1), cols.raw)                  # O x (N*Ho*Wo)
    return KnetArray(_swap(y, g.o, g.n, g.ho * g.wo).raw.reshape(g.n, g.o, g.ho, g.wo), device)


def conv4_grad_w(dy, w, x, padding=0, stride=1):
    """Adjoint of conv4 with respect to w: dy_mat @ im2col(x).T (one GEMM)."""
    device, dtype, (dy, w, x) = operands("conv4", dy, w, x)
    g = _geometry(w, x, padding, stride, dtype)
    _check_dy(dy, g)
    cols = _columns(x, g, dtype)
    dw = _gemm(device, _dy_matrix(dy, g), cols.raw.T)                    # O x (C*kh*kw)
    return KnetArray(dw.raw.reshape(w.shape), device)


def conv4_grad_x(dy, w, x, padding=0, stride=1):
    """Adjoint of conv4 with respect to x: dcols = w_mat.T @ dy_mat (one GEMM), then col2im,
    one thread per input pixel summing the entries of dcols that came from it."""
    device, dtype, (dy, w, x) = operands("conv4", dy, w, x)
    g = _geometry(w, x, padding, stride, dtype)
    _check_dy(dy, g)
    dcols = _gemm(device, w.raw.reshape(g.o, -1).T, _dy_matrix(dy, g))  # (C*kh*kw) x (N*P)
    dx = elementwise.empty(x.shape, dtype, device)
    _launch(device, "im2col_backward", dtype, dx.size,
            [dcols, dx, g.n, g.c, g.h, g.w, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.ho, g.wo])
    return dx
