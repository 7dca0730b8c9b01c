"""kernels/conv.cu and kernels/pool.cu (knetc/cuda/conv.py, pool.py) against knetc.conv's NumPy
functions, on the CPU emulator (and on a real GPU under the `gpu` marker).

conv4 and both adjoints over small odd shapes: padding 0/1/2 and pairs, stride 1/2/3 and
pairs, rectangular images and filters, a batch of one (the batch/channel swaps skipped), 1x1
filters, a filter as large as the image, LeNet's 1 -> 2 channels 12x12 with 5x5, strides that
leave pixels outside every window. pool max/avg with windows 2/3 and pairs, strides and
padding, ties (the first maximum of each window gets the gradient), -inf and NaN. Both dtypes.
Then dispatch through knetc.conv4/pool and knetc.grad, mixed NumPy operands, non-contiguous
inputs, and errors (the CPU's messages).
"""
import numpy as np
import pytest

import knetc
from knetc import conv as C
from knetc.cuda import conv as G
from knetc.cuda import pool as P
from knetc.cuda.array import KnetArray

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture(scope="module", params=["emulated", pytest.param("gpu", marks=pytest.mark.gpu)])
def dev(request):
    return request.getfixturevalue("emulated_device" if request.param == "emulated"
                                   else "cuda_device")


def data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def on(dev, x):
    return KnetArray(dev.from_host(np.ascontiguousarray(x)), dev)


def check(got, want, dtype, exact=False):
    assert isinstance(got, KnetArray)
    host = got.get()
    assert host.shape == want.shape and host.dtype == want.dtype
    tol = dict(rtol=1e-6 if dtype == np.float32 else 1e-14, atol=0) if exact else TOL[dtype]
    np.testing.assert_allclose(host, want, equal_nan=True, **tol)


# ---------------------------------------------------------------- conv4

# (N, C, H, W), (O, kh, kw), padding, stride
CONV = [
    ((2, 3, 7, 7), (4, 3, 3), 0, 1),
    ((2, 3, 7, 7), (4, 3, 3), 1, 2),
    ((2, 3, 9, 9), (4, 5, 5), 2, 1),
    ((2, 3, 9, 9), (4, 5, 5), 2, 2),
    ((2, 3, 7, 9), (4, 3, 5), (1, 2), (2, 1)),
    ((1, 2, 7, 7), (3, 3, 3), 1, 1),
    ((2, 1, 12, 12), (2, 5, 5), 0, 1),
    ((2, 3, 8, 8), (1, 1, 1), 0, 1),
    ((3, 2, 5, 5), (4, 5, 5), 0, 1),
    ((2, 3, 7, 7), (4, 2, 2), 2, 3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape, wshape, padding, stride", CONV)
def test_conv4_and_adjoints(dev, xshape, wshape, padding, stride, dtype):
    o, kh, kw = wshape
    x, w = data(xshape, dtype, 1), data((o, xshape[1], kh, kw), dtype, 2)
    y = C.conv4(w, x, padding, stride)
    dy = data(y.shape, dtype, 3)
    check(G.conv4(on(dev, w), on(dev, x), padding, stride), y, dtype)
    args = on(dev, dy), on(dev, w), on(dev, x)
    check(G.conv4_grad_w(*args, padding, stride), C.conv4_grad_w(dy, w, x, padding, stride),
          dtype)
    check(G.conv4_grad_x(*args, padding, stride), C.conv4_grad_x(dy, w, x, padding, stride),
          dtype)


def test_conv4_dispatch_mixed_and_strided_operands(dev):
    """knetc.conv4 and its adjoints take the GPU path when any operand is a KnetArray; NumPy
    operands are copied over in its dtype, non-contiguous KnetArrays are read correctly."""
    w, x = data((4, 3, 3, 3), np.float32, 1), data((2, 3, 7, 9), np.float32, 2)
    y = C.conv4(w, x, 1, 2)
    check(knetc.conv4(w, on(dev, x), padding=1, stride=2), y, np.float32)
    check(knetc.conv4(on(dev, w), x.astype(np.float64), padding=1, stride=2), y, np.float32)
    xt = on(dev, np.ascontiguousarray(x.transpose(0, 1, 3, 2))).transpose(0, 1, 3, 2)
    assert not xt.is_contiguous
    check(knetc.conv4(on(dev, w), xt, padding=1, stride=2), y, np.float32)
    dy = data(y.shape, np.float32, 3)
    check(C.conv4_grad_w(on(dev, dy), w, x, 1, 2), C.conv4_grad_w(dy, w, x, 1, 2), np.float32)
    check(C.conv4_grad_x(dy, w, on(dev, x), 1, 2), C.conv4_grad_x(dy, w, x, 1, 2), np.float32)


def _lenet_loss(w, x, r):
    h = knetc.pool(knetc.conv4(w[0], x, padding=1), mode="max")
    h = knetc.pool(knetc.conv4(w[1], h), window=3, stride=1, padding=1, mode="avg")
    return np.sum(h * r)


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_through_conv_and_pool(dev, dtype):
    w = [data((2, 1, 5, 5), dtype, 1), data((3, 2, 3, 3), dtype, 2)]
    x, r = data((2, 1, 12, 12), dtype, 3), data((2, 3, 3, 3), dtype, 4)
    want = knetc.grad(_lenet_loss, argnums=(0, 1))(w, x, r)
    got = knetc.grad(_lenet_loss, argnums=(0, 1))([on(dev, a) for a in w], on(dev, x),
                                                  on(dev, r))
    for g, c in zip(got[0] + [got[1]], want[0] + [want[1]]):
        check(g, c, dtype)


@pytest.mark.parametrize("call, match", [
    (lambda d: G.conv4(on(d, data((4, 2, 3, 3), np.float32)), on(d, data((2, 3, 7, 7),
                                                                         np.float32))),
     "w has 2 input channels"),
    (lambda d: G.conv4(on(d, data((4, 3, 9, 9), np.float32)), on(d, data((2, 3, 7, 7),
                                                                         np.float32))),
     "does not fit"),
    (lambda d: G.conv4(on(d, data((4, 3, 3), np.float32)), on(d, data((2, 3, 7, 7),
                                                                      np.float32))),
     "O x C x kh x kw"),
    (lambda d: G.conv4(on(d, data((4, 3, 3, 3), np.float32)), on(d, data((2, 3, 7, 7),
                                                                         np.float32)),
                       stride=0),
     "stride must be at least 1"),
    (lambda d: G.conv4_grad_x(on(d, data((2, 4, 6, 6), np.float32)),
                              on(d, data((4, 3, 3, 3), np.float32)),
                              on(d, data((2, 3, 7, 7), np.float32))),
     "adjoint dy has shape"),
])
def test_conv4_errors(dev, call, match):
    with pytest.raises(ValueError, match=match):
        call(dev)


def test_conv4_mixed_precision_is_refused(dev):
    with pytest.raises(TypeError, match="one dtype"):
        G.conv4(on(dev, data((4, 3, 3, 3), np.float32)), on(dev, data((2, 3, 7, 7), np.float64)))


# ---------------------------------------------------------------- pool

# (N, C, H, W), window, stride, padding
POOL = [
    ((2, 3, 7, 7), 2, None, 0),
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 3, 2, 1),
    ((2, 3, 9, 9), 3, 1, 2),
    ((2, 3, 7, 7), 3, None, 0),
    ((2, 3, 7, 8), (2, 3), (1, 2), (1, 0)),
    ((1, 2, 5, 5), 2, 3, 1),
]


def pool_data(shape, dtype, kind):
    x = data(shape, dtype, 5)
    if kind == "ties":   # few distinct values: windows with several maxima
        x = np.round(x).astype(dtype)
    elif kind == "special":  # -inf (a max of -inf ties with the padding) and a NaN
        x[0, 0] = -np.inf
        x[1, -1, 1, 2] = np.nan
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("shape, window, stride, padding", POOL)
def test_pool_and_adjoint(dev, shape, window, stride, padding, mode, dtype):
    x = pool_data(shape, dtype, "ties" if mode == "max" else "normal")
    y = C.pool(x, window, stride, padding, mode)
    dy = data(y.shape, dtype, 6)
    check(P.pool(on(dev, x), window, stride, padding, mode), y, dtype, exact=True)
    check(P.pool_grad(on(dev, dy), on(dev, y), on(dev, x), window, stride, padding, mode),
          C.pool_grad(dy, y, x, window, stride, padding, mode), dtype, exact=True)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_inf_and_nan(dev, mode):
    """Windows of -inf (max: the padding comes first, so its gradient is dropped, as on the
    CPU) and a NaN (propagated by both modes)."""
    x = pool_data((2, 3, 7, 7), np.float64, "special")
    y = C.pool(x, 3, 2, 1, mode)
    assert np.isnan(y).any()
    dy = data(y.shape, np.float64, 6)
    check(knetc.pool(on(dev, x), 3, 2, 1, mode), y, np.float64, exact=True)
    check(C.pool_grad(on(dev, dy), on(dev, y), on(dev, x), 3, 2, 1, mode),
          C.pool_grad(dy, y, x, 3, 2, 1, mode), np.float64, exact=True)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(window=2, padding=2), ValueError, "smaller than the window"),
    (dict(window=2, mode="sum"), ValueError, "mode must be"),
    (dict(window=9), ValueError, "does not fit"),
    (dict(window=(2, 2, 2)), ValueError, "an int or a pair"),
])
def test_pool_errors(dev, kwargs, error, match):
    with pytest.raises(error, match=match):
        knetc.pool(on(dev, data((2, 3, 7, 7), np.float32)), **kwargs)


def test_pool_grad_shape_error(dev):
    x = on(dev, data((2, 3, 7, 7), np.float32))
    dy = on(dev, data((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match="pool's result has shape"):
        P.pool_grad(dy, dy, x, 2)
