"""pool and its adjoint on KnetArrays (kernels/pool.cu): max and average pooling with
knetc.conv's window, stride and padding rules and the same errors.

Forward: one thread per output element. Backward: one thread per input pixel, gathering
from the windows that contain it (no atomics); max pooling's gradient goes to the first
maximal position of each window (row-major), as knetc.conv.pool_grad does. knetc.conv.pool
and its adjoint call these when x is a KnetArray.
"""
from . import elementwise
from .array import KnetArray
from .conv import operands, standin

FAMILY = "pool"


def _geometry(x, window, stride, padding, mode, dtype):
    """(kh, kw, sh, sw, ph, pw, ho, wo), checked by knetc.conv."""
    from .. import conv as cpu_conv  # knetc.conv imports this module
    return cpu_conv._pool_geometry(standin(x, dtype), window, stride, padding, mode)


def _launch(device, kernel, dtype, n, args):
    if n:
        device.launch(FAMILY, kernel, dtype, device.grid(n), (device.block,), args)


def pool(x, window=2, stride=None, padding=0, mode="max"):
    """knetc.conv.pool on the GPU: one thread per output element."""
    if not isinstance(x, KnetArray):
        raise TypeError(f"knetc's GPU pool takes a KnetArray, not {type(x).__name__}")
    device, dtype, (x,) = operands("pool", x)
    kh, kw, sh, sw, ph, pw, ho, wo = _geometry(x, window, stride, padding, mode, dtype)
    n, c, h, w = x.shape
    y = elementwise.empty((n, c, ho, wo), dtype, device)
    args = [x, y, n * c, h, w, kh, kw, ph, pw, sh, sw, ho, wo]
    if mode == "avg":
        args.append(dtype.type(1.0 / (kh * kw)))
    _launch(device, f"{mode}pool_forward", dtype, y.size, args)
    return y


def pool_grad(dy, y, x, window=2, stride=None, padding=0, mode="max"):
    """knetc.conv.pool_grad on the GPU: one thread per input pixel."""
    device, dtype, (dy, y, x) = operands("pool", dy, y, x)
    kh, kw, sh, sw, ph, pw, ho, wo = _geometry(x, window, stride, padding, mode, dtype)
    n, c, h, w = x.shape
    for name, a in (("dy", dy), ("y", y)):
        if a.shape != (n, c, ho, wo):
            raise ValueError(f"pool_grad: {name} has shape {a.shape}, but pool's result has "
                             f"shape {(n, c, ho, wo)}")
    dx = elementwise.empty(x.shape, dtype, device)
    sizes = [n * c, h, w, kh, kw, ph, pw, sh, sw, ho, wo]
    if mode == "avg":
        _launch(device, "avgpool_backward", dtype, dx.size,
                [dy, dx, *sizes, dtype.type(1.0 / (kh * kw))])
    else:
        _launch(device, "maxpool_backward", dtype, dx.size, [x, y, dy, dx, *sizes])
    return dx
