"""Knet's convolution and pooling as plain NumPy forward functions, fast on the CPU.

Like knetc/nn.py, this module imports nothing from knetc's compiler: the adjoint rules live in
knetc/rules/conv.py and call the backward functions here through knetc/runtime.py. Every
function keeps the floating dtype of its input (float32 in, float32 out).

Layout is cuDNN's and PyTorch's NCHW: images are ``N x C x H x W`` (batch first) and filters
``O x C x kh x kw``. ``knetc.mat`` then turns ``N x C x H x W`` into the ``features x N``
matrix that dense layers take.

On KnetArrays (knetc.cuda) conv4, pool and their adjoints run knetc's CUDA kernels instead
(knetc/cuda/conv.py and pool.py), with the same layout, conventions and errors.

**conv4** is a 2-D *cross-correlation* (the filter is not flipped), what PyTorch's ``conv2d``
and cuDNN's ``CUDNN_CROSS_CORRELATION`` compute. Knet's ``conv4`` defaults to ``mode=0``, a
true convolution that flips the filter: to use Knet weights here, flip them first,
``w[:, :, ::-1, ::-1]``. It is computed by im2col and one matrix product: the input is padded
once, the ``kh*kw`` shifted (strided) views of it are copied into a column matrix of shape
``(C*kh*kw) x (N*H'*W')`` (a loop over the kernel offsets, never over pixels), and a single
BLAS product with the ``O x (C*kh*kw)`` filter matrix gives every output. The two backward
passes are one BLAS product each as well; the gradient for the input adds the columns back
into the padded images one kernel offset at a time (col2im). The columns are ordered either
by image (``N, H', W'``) or batch-last (``H', W', N``), whichever a small cost model expects
to copy faster (see ``_Conv``); the results are the same.

The large temporaries (padded input, column matrix, GEMM result) live in per-thread work
buffers reused from call to call, because on every call fresh allocations of that size cost
more in page faults than the arithmetic; buffers over 64 MiB are not kept. Results are always
new arrays.

**pool** has cuDNN's output size, ``floor((H + 2*padding - window) / stride) + 1``, and Knet's
default ``stride = window``. Max pooling pads with ``-inf`` (padding never wins), and its
gradient goes to the first maximal element of each window in row-major order. Average pooling
divides by the full window size ``kh*kw`` even where the window overlaps the padding (cuDNN's
``CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING``, Knet's ``mode=1``): padded elements count as
zeros (Knet's ``mode=2``, which leaves padding out of the count, is not offered). The padding
must be smaller than the window, so that no window is all padding.

Dropout and its training switches are in knetc/stochastic.py.
"""
import threading

import numpy as np

from .cuda import conv as _gpu_conv
from .cuda import pool as _gpu_pool
from .cuda.array import KnetArray
from .cuda.array import to_device as _to_device
from .nn import _floating

# ---------------------------------------------------------------- parameters


def _pair(value, name, minimum):
    """(a, b) from an int or a pair of ints, each at least `minimum`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        pair = tuple(value)
    else:
        pair = (value, value)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _out_size(size, k, pad, stride, what):
    n = (size + 2 * pad - k) // stride + 1
    if n < 1:
        raise ValueError(f"{what}: window {k} does not fit in input size {size} with padding "
                         f"{pad}")
    return n


def _scratch(slot, shape, dtype):
    """A reusable work array (contents undefined) for intermediate results never returned.

    Each large temporary of these functions (padded input, im2col matrix, GEMM result) gets a
    buffer per slot and dtype, kept for the next call: allocating tens of megabytes afresh on
    every call costs more in page faults than the copy that fills them. Buffers are per thread,
    and arrays above _SCRATCH_LIMIT bytes are not kept.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    if size * dtype.itemsize > _SCRATCH_LIMIT:
        return np.empty(shape, dtype=dtype)
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    buf = buffers.get((slot, dtype))
    if buf is None or buf.size < size:
        buf = buffers[(slot, dtype)] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


_SCRATCH = threading.local()
_SCRATCH_LIMIT = 64 << 20  # bytes


def _pad(x, ph, pw, value=0):
    """x padded by ph rows and pw columns on each side of its last two axes (a work array)."""
    if not ph and not pw:
        return x
    n, c, h, w = x.shape
    out = _scratch("pad", (n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    out.fill(value)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _shifted(xp, i, j, ho, wo, sh, sw):
    """The strided view xp[:, :, i + sh*a, j + sw*b] for a < ho, b < wo (one kernel offset)."""
    return xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]


# ---------------------------------------------------------------- convolution


class _Conv:
    """The geometry of one conv4 call and the internal layout its matrices use.

    The im2col matrix has one row per filter entry (c, i, j), in the order of
    ``w.reshape(O, -1)``, and one column per output pixel. The columns come in one of two
    orders, picked per call by `_layout`: ``N, H', W'`` (the images' own order, "CNHW") or
    ``H', W', N`` ("CHWN", batch last). Filling the matrix copies runs of W' contiguous
    elements in the first, runs of N in the second, which is much faster when the images are
    small and the batch is large (LeNet's second layer), at the price of transposing the
    input, the output and dy to and from batch-last order.
    """

    def __init__(self, w, x, padding, stride):
        if np.ndim(x) != 4 or np.ndim(w) != 4:
            raise ValueError(f"conv4 takes x of shape N x C x H x W and w of shape "
                             f"O x C x kh x kw, got x {np.shape(x)} and w {np.shape(w)}")
        if w.shape[1] != x.shape[1]:
            raise ValueError(f"conv4: w has {w.shape[1]} input channels (w.shape[1]) but x "
                             f"has {x.shape[1]} (x.shape[1]); w is O x C x kh x kw, x is "
                             "N x C x H x W")
        self.ph, self.pw = _pair(padding, "padding", 0)
        self.sh, self.sw = _pair(stride, "stride", 1)
        self.o, self.c, self.kh, self.kw = w.shape
        self.n, _, self.h, self.w = x.shape
        self.ho = _out_size(self.h, self.kh, self.ph, self.sh, "conv4")
        self.wo = _out_size(self.w, self.kw, self.pw, self.sw, "conv4")
        self.dtype = w.dtype
        self.perm = _layout(self) if callable(_layout) else _layout
        self.inverse = tuple(np.argsort(self.perm))
        self.spatial = (self.perm.index(2), self.perm.index(3))  # H and W axes in the layout

    def _sizes(self, n, c, h, w):
        """Shape (n, c, h, w) permuted into the internal layout."""
        return tuple((n, c, h, w)[a] for a in self.perm)

    def _window(self, a, i, j):
        """The view of a (internal layout) at kernel offset (i, j): one element per output
        pixel."""
        index = [slice(None)] * 4
        index[self.spatial[0]] = slice(i, i + self.sh * (self.ho - 1) + 1, self.sh)
        index[self.spatial[1]] = slice(j, j + self.sw * (self.wo - 1) + 1, self.sw)
        return a[tuple(index)]

    def _interior(self, a):
        index = [slice(None)] * 4
        index[self.spatial[0]] = slice(self.ph, self.ph + self.h)
        index[self.spatial[1]] = slice(self.pw, self.pw + self.w)
        return a[tuple(index)]

    def columns(self, x):
        """The im2col matrix of x, (C*kh*kw) x (N*H'*W'), a work array."""
        xl = x.transpose(self.perm)
        if self.ph or self.pw or self.perm != _CNHW:
            padded = _scratch("pad", self._sizes(self.n, self.c, self.h + 2 * self.ph,
                                                 self.w + 2 * self.pw), self.dtype)
            if self.ph or self.pw:
                padded.fill(0)
            np.copyto(self._interior(padded), xl)
            xl = padded
        windows = [self._window(xl, i, j) for i in range(self.kh) for j in range(self.kw)]
        cols = _scratch("cols", (self.c, self.kh * self.kw) + windows[0].shape[1:], self.dtype)
        for k, window in enumerate(windows):      # a loop over kernel offsets, not pixels
            np.copyto(cols[:, k], window)
        return cols.reshape(self.c * self.kh * self.kw, -1)

    def dy_matrix(self, dy):
        """dy (N x O x H' x W') as the O x (N*H'*W') matrix matching the columns."""
        dy = np.asarray(dy)
        g = _scratch("dy", self._sizes(*dy.shape), self.dtype)
        np.copyto(g, dy.transpose(self.perm))
        return g.reshape(self.o, -1)

    def from_layout(self, a):
        """A new N x . x . x . array from a in the internal layout."""
        out = np.empty(tuple(a.shape[i] for i in self.inverse), dtype=self.dtype)
        np.copyto(out, a.transpose(self.inverse))
        return out

    def add_columns(self, cols):
        """col2im: the images whose im2col matrix is cols, overlapping windows added."""
        cols = cols.reshape((self.c, self.kh, self.kw) + self._sizes(self.n, 1, self.ho,
                                                                      self.wo)[1:])
        dxp = _scratch("pad", self._sizes(self.n, self.c, self.h + 2 * self.ph,
                                          self.w + 2 * self.pw), self.dtype)
        # Windows that tile the image exactly write each element once: copies, no zeroing.
        tiles = ((self.kh, self.kw) == (self.sh, self.sw) and not (self.ph or self.pw)
                 and (self.ho * self.sh, self.wo * self.sw) == (self.h, self.w))
        if not tiles:
            dxp.fill(0)
        for i in range(self.kh):
            for j in range(self.kw):
                target = self._window(dxp, i, j)
                if tiles:
                    np.copyto(target, cols[:, i, j])
                else:
                    target += cols[:, i, j]
        return self.from_layout(self._interior(dxp))


_CNHW = (1, 0, 2, 3)   # column order N, H', W'
_CHWN = (1, 2, 3, 0)   # column order H', W', N


def _auto_layout(conv):
    """CHWN where the cost model says so: im2col copies runs of W' (CNHW) or N (CHWN)
    elements, at about 16 elements' cost per run; CHWN also transposes x, y and dy with the
    batch as the innermost axis, at about 4 elements' cost per element (measured with
    OpenBLAS on 2 cores, float32 and float64, LeNet-sized layers)."""
    entries = conv.c * conv.kh * conv.kw * conv.n * conv.ho * conv.wo
    cnhw = entries * (1 + 16 / conv.wo)
    chwn = (entries * (1 + 16 / conv.n)
            + 4 * conv.n * (conv.c * conv.h * conv.w + conv.o * conv.ho * conv.wo))
    return _CHWN if chwn < cnhw else _CNHW


_layout = _auto_layout  # or _CNHW / _CHWN to force one (the tests check both)


def _common(w, x):
    """w and x as arrays of one floating dtype."""
    w, x = _floating(w), _floating(x)
    dtype = np.result_type(w.dtype, x.dtype)
    return w.astype(dtype, copy=False), x.astype(dtype, copy=False)


def conv4(w, x, padding=0, stride=1):
    """2-D cross-correlation of a batch of images with a bank of filters (Knet's conv4).

    ``y[n, o, a, b] = sum over c, i, j of w[o, c, i, j] * xp[n, c, a*sh + i, b*sw + j]``, where
    ``xp`` is ``x`` with ``padding`` zeros around each image.

    Args:
        w: filters, ``O x C x kh x kw``.
        x: images, ``N x C x H x W``.
        padding: zeros added on both sides of each image, an int or a pair (rows, columns).
        stride: step between windows, an int or a pair (rows, columns).

    Returns:
        ``N x O x H' x W'`` with ``H' = (H + 2*padding - kh) // stride + 1`` (and so for W'),
        of the common floating dtype of w and x.

    Example:
        >>> conv4(np.ones((4, 3, 5, 5)), np.ones((2, 3, 28, 28)), padding=2).shape
        (2, 4, 28, 28)
    """
    if isinstance(w, KnetArray) or isinstance(x, KnetArray):
        return _gpu_conv.conv4(w, x, padding, stride)
    w, x = _common(w, x)
    conv = _Conv(w, x, padding, stride)
    cols = conv.columns(x)
    y = _scratch("gemm", (conv.o, cols.shape[1]), conv.dtype)
    np.matmul(w.reshape(conv.o, -1), cols, out=y)                 # one GEMM
    return conv.from_layout(y.reshape(conv._sizes(conv.n, conv.o, conv.ho, conv.wo)))


def conv4_grad_w(dy, w, x, padding=0, stride=1):
    """Adjoint of ``conv4(w, x, padding, stride)`` with respect to w, given dy (its result's
    adjoint): dy as an O x (N*H'*W') matrix times the im2col matrix of x, transposed."""
    if any(isinstance(a, KnetArray) for a in (dy, w, x)):
        return _gpu_conv.conv4_grad_w(dy, w, x, padding, stride)
    w, x = _common(w, x)
    conv = _Conv(w, x, padding, stride)
    cols = conv.columns(x)
    return (conv.dy_matrix(dy) @ cols.T).reshape(w.shape)         # one GEMM


def conv4_grad_x(dy, w, x, padding=0, stride=1):
    """Adjoint of ``conv4(w, x, padding, stride)`` with respect to x: the columns
    ``w.T @ dy`` (one GEMM) added back into the padded images, one kernel offset at a time
    (col2im)."""
    if any(isinstance(a, KnetArray) for a in (dy, w, x)):
        return _gpu_conv.conv4_grad_x(dy, w, x, padding, stride)
    w, x = _common(w, x)
    conv = _Conv(w, x, padding, stride)
    g = conv.dy_matrix(dy)
    cols = _scratch("cols", (w[0].size, g.shape[1]), conv.dtype)
    np.matmul(w.reshape(conv.o, -1).T, g, out=cols)               # one GEMM
    return conv.add_columns(cols)


# ---------------------------------------------------------------- pooling


def _pool_geometry(x, window, stride, padding, mode):
    if np.ndim(x) != 4:
        raise ValueError(f"pool takes x of shape N x C x H x W, got {np.shape(x)}")
    if mode not in ("max", "avg"):
        raise ValueError(f"pool: mode must be 'max' or 'avg', got {mode!r}")
    kh, kw = _pair(window, "window", 1)
    sh, sw = _pair((kh, kw) if stride is None else stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if ph >= kh or pw >= kw:
        raise ValueError(f"pool: padding {padding!r} must be smaller than the window "
                         f"{window!r}")
    ho = _out_size(x.shape[2], kh, ph, sh, "pool")
    wo = _out_size(x.shape[3], kw, pw, sw, "pool")
    return kh, kw, sh, sw, ph, pw, ho, wo


def pool(x, window=2, stride=None, padding=0, mode="max"):
    """Max or average pooling over windows of each image (Knet's pool).

    Args:
        x: images, ``N x C x H x W``.
        window: window size, an int or a pair (rows, columns).
        stride: step between windows; None (the default) means the window size.
        padding: padding on both sides, smaller than the window: ``-inf`` for max pooling,
            zeros for average pooling.
        mode: ``"max"``, or ``"avg"``: the window sum divided by the full window size, padding
            included (cuDNN's include-padding average, Knet's ``mode=1``).

    Returns:
        ``N x C x H' x W'`` with ``H' = (H + 2*padding - window) // stride + 1``, x's dtype.

    Example:
        >>> pool(np.arange(16.0).reshape(1, 1, 4, 4))
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """
    if isinstance(x, KnetArray):
        return _gpu_pool.pool(x, window, stride, padding, mode)
    x = _floating(x)
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, window, stride, padding, mode)
    xp = _pad(x, ph, pw, -np.inf if mode == "max" else 0)
    out = _shifted(xp, 0, 0, ho, wo, sh, sw).copy()
    combine = np.maximum if mode == "max" else np.add
    for i in range(kh):
        for j in range(kw):
            if i or j:
                combine(out, _shifted(xp, i, j, ho, wo, sh, sw), out=out)
    if mode == "avg":
        out *= out.dtype.type(1.0 / (kh * kw))
    return out


def pool_grad(dy, y, x, window=2, stride=None, padding=0, mode="max"):
    """Adjoint of ``y = pool(x, window, stride, padding, mode)`` with respect to x.

    Max pooling sends each window's adjoint to the first element of the window (row-major)
    that equals the window's maximum; average pooling spreads it evenly over the window,
    padding included (the share that falls on padding is dropped).
    """
    if any(isinstance(a, KnetArray) for a in (dy, y, x)):
        return _gpu_pool.pool_grad(dy, y, x, window, stride, padding, mode)
    x = _floating(x)
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, window, stride, padding, mode)
    dtype = np.result_type(x.dtype, np.asarray(dy).dtype)
    dy = np.asarray(dy, dtype=dtype)
    n, c, h, wd = x.shape
    if ph or pw:
        dxp = _scratch("pool_grad", (n, c, h + 2 * ph, wd + 2 * pw), dtype)
        dxp.fill(0)
    else:
        dxp = np.zeros((n, c, h, wd), dtype=dtype)
    if mode == "avg":
        share = dy * dtype.type(1.0 / (kh * kw))
        for i in range(kh):
            for j in range(kw):
                _shifted(dxp, i, j, ho, wo, sh, sw)[...] += share
    else:
        xp = _pad(x, ph, pw, -np.inf)
        free = _scratch("free", dy.shape, bool)   # windows whose maximum is not found yet
        free.fill(True)
        hit = _scratch("hit", dy.shape, bool)
        share = _scratch("share", dy.shape, dtype)
        for i in range(kh):
            for j in range(kw):
                np.equal(_shifted(xp, i, j, ho, wo, sh, sw), y, out=hit)
                hit &= free
                np.not_equal(free, hit, out=free)        # free and not hit
                np.multiply(dy, hit, out=share)          # (faster than np.add(where=hit))
                _shifted(dxp, i, j, ho, wo, sh, sw)[...] += share
    return dxp[:, :, ph:ph + h, pw:pw + wd].copy() if ph or pw else dxp


def pool_tangent(t, y, x, window=2, stride=None, padding=0, mode="max"):
    """Tangent of ``y = pool(x, window, stride, padding, mode)`` in the direction t (shaped
    like x): the transpose of pool_grad. Average pooling pools t; max pooling takes t at the
    first element of each window (row-major) that equals the window's maximum, the element
    pool_grad sends the window's adjoint to (padding has tangent 0)."""
    if mode == "avg":
        return pool(t, window, stride, padding, mode)
    if any(isinstance(a, KnetArray) for a in (t, y, x)):  # no GPU kernel: on the host
        device = next(a.device for a in (t, y, x) if isinstance(a, KnetArray))
        host = [a.get() if isinstance(a, KnetArray) else a for a in (t, y, x)]
        return _to_device(pool_tangent(*host, window, stride, padding, mode), device)
    x = _floating(x)
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(x, window, stride, padding, mode)
    dtype = np.result_type(x.dtype, np.asarray(t).dtype)
    t = np.asarray(t, dtype=dtype)
    n, c, h, wd = x.shape
    xp = _pad(x, ph, pw, -np.inf)
    tp = t
    if ph or pw:  # (not _pad's work array: that holds xp)
        tp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=dtype)
        tp[:, :, ph:ph + h, pw:pw + wd] = t
    out = np.zeros((n, c, ho, wo), dtype=dtype)
    free = np.ones(out.shape, bool)  # windows whose maximum is not found yet
    hit = np.empty(out.shape, bool)
    for i in range(kh):
        for j in range(kw):
            np.equal(_shifted(xp, i, j, ho, wo, sh, sw), y, out=hit)
            hit &= free
            np.not_equal(free, hit, out=free)        # free and not hit
            np.copyto(out, _shifted(tp, i, j, ho, wo, sh, sw), where=hit)
    return out
