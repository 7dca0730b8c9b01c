"""The softmax family on the CPU emulator (kernels/softmax.cu via knetc/cuda/softmax.py) against
knetc.nn's NumPy functions: log-softmax, softmax and logsumexp forward and backward along every
axis, nll and its gradient, accuracy, special values, and errors."""
import numpy as np
import pytest

import cudaemu  # tests/ is on sys.path (tests/conftest.py)
import knetc
from cudaemu import EmulatedDevice
from knetc import nn, runtime
from knetc.cuda import softmax as gpu
from knetc.cuda.array import KnetArray
from knetc.runtime import nn as runtime_nn

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None,
                                reason="no C++ compiler for the CUDA emulator")

DTYPES = [np.float32, np.float64]


def tol(dtype, scale=1.0):
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=1e-6 * scale)
    return dict(rtol=1e-12, atol=1e-13 * scale)


@pytest.fixture(scope="module")
def dev():
    return EmulatedDevice()


def on(dev, x):
    return KnetArray(np.ascontiguousarray(x), dev)


def scores(shape, dtype, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# Shapes and axes over the kernels' paths (emulated blocks are 64 threads, grids at most 4):
# sub-warp and warp rows, rows of 2 warps read once, rows read twice, columns of every width.
CASES = [((10, 1), 0), ((10, 1), 1), ((10, 31), 0), ((10, 31), 1), ((84, 257), 0),
         ((84, 257), 1), ((1, 5), 0), ((1, 5), 1), ((7, 3, 5), 0), ((7, 3, 5), 1),
         ((7, 3, 5), 2), ((7, 3, 5), -1), ((300, 40), 0), ((3, 2100), 1), ((2, 1100), -1),
         ((1, 16500), 1)]
IDS = [f"{s}-ax{a}" for s, a in CASES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", CASES, ids=IDS)
@pytest.mark.parametrize("op", ["logp", "softmax", "logsumexp"])
def test_forward(dev, op, shape, axis, dtype):
    x = scores(shape, dtype)
    y = getattr(gpu, op)(on(dev, x), axis)
    expect = getattr(nn, op)(x, axis)
    assert isinstance(y, KnetArray) and y.dtype == dtype and y.shape == np.shape(expect)
    np.testing.assert_allclose(y.get(), expect, **tol(dtype, 10))


def test_kernel_per_layout(dev):
    x = on(dev, scores((10, 31), np.float32))
    for axis, kernel in [(0, "logp_forward"), (1, "logp_rows_forward")]:
        gpu.logp(x, axis)
        assert dev.launches[-1] == ("softmax", kernel, "float32")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis,keepdims", [(None, False), (None, True), ((0, 2), False),
                                           ((0, 2), True), ((0, 1), False), ((), False),
                                           ((1, 2), True), (-2, True)])
def test_logsumexp_axes(dev, axis, keepdims, dtype):
    x = scores((7, 3, 5), dtype)
    y = gpu.logsumexp(on(dev, x), axis, keepdims)
    expect = nn.logsumexp(x, axis, keepdims)
    assert y.shape == np.shape(expect)
    np.testing.assert_allclose(y.get(), expect, **tol(dtype, 10))


@pytest.mark.parametrize("axis", [None, (0, 2), (2, 0)])
@pytest.mark.parametrize("op", ["logp", "softmax"])
def test_several_axes(dev, op, axis):
    x = scores((7, 3, 5), np.float64)
    np.testing.assert_allclose(getattr(gpu, op)(on(dev, x), axis).get(),
                               getattr(nn, op)(x, axis), **tol(np.float64, 10))


# ---- backward ----

def logp_grad_ref(g, y, axis):
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


def softmax_grad_ref(g, y, axis):
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", CASES, ids=IDS)
@pytest.mark.parametrize("op", ["logp", "softmax"])
def test_backward(dev, op, shape, axis, dtype):
    y = getattr(nn, op)(scores(shape, dtype), axis)
    g = scores(shape, dtype, seed=1, scale=1.0)
    dx = getattr(gpu, f"{op}_grad")(on(dev, g), on(dev, y), axis)
    expect = globals()[f"{op}_grad_ref"](g, y, axis)
    assert dx.shape == shape and dx.dtype == dtype
    np.testing.assert_allclose(dx.get(), expect, **tol(dtype, 10 * np.sqrt(shape[axis])))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis,keepdims", [((10, 31), 0, False), ((10, 31), 1, True),
                                                 ((7, 3, 5), (0, 2), False),
                                                 ((7, 3, 5), None, False), ((84, 257), -1, False)])
def test_logsumexp_backward(dev, shape, axis, keepdims, dtype):
    x = scores(shape, dtype)
    y = nn.logsumexp(x, axis, keepdims)
    g = scores(np.shape(y), dtype, seed=1)
    dx = gpu.logsumexp_grad(on(dev, g), on(dev, y), on(dev, x), axis, keepdims)
    expect = runtime.unreduce(g, x, axis, keepdims) * np.exp(
        x - runtime.unreduce(y, x, axis, keepdims))
    np.testing.assert_allclose(dx.get(), expect, **tol(dtype))


def test_backward_takes_broadcast_and_host_gradients(dev):
    y = nn.logp(scores((6, 9), np.float32), 0)
    g = np.ones((6, 9), np.float32) * 0.5
    for g_in in (0.5, on(dev, np.float32(0.5)), on(dev, np.full((1, 9), 0.5, np.float32))):
        np.testing.assert_allclose(gpu.logp_grad(g_in, on(dev, y), 0).get(),
                                   logp_grad_ref(g, y, 0), **tol(np.float32))


def test_strided_input(dev):
    x = scores((31, 10), np.float32)
    k = on(dev, x)
    kt = k.wrap(k.raw.T)  # a transposed view: the op copies it first
    np.testing.assert_allclose(gpu.softmax(kt, 0).get(), nn.softmax(x.T, 0), **tol(np.float32))


@pytest.mark.parametrize("shape,axis", [((84, 257), 0), ((84, 257), 1), ((5, 3000), 1)])
def test_one_block_grid(shape, axis):
    # a single block loops over every row / column tile
    dev = EmulatedDevice(max_blocks=1)
    x = scores(shape, np.float32)
    np.testing.assert_allclose(gpu.logp(on(dev, x), axis).get(), nn.logp(x, axis),
                               **tol(np.float32, 10))
    labels = np.random.default_rng(2).integers(0, shape[axis], x.size // shape[axis])
    labels = labels.reshape(shape[1 - axis])
    np.testing.assert_allclose(gpu.nll(on(dev, x), labels, axis).get(), nn.nll(x, labels, axis),
                               **tol(np.float32, 10))


# ---- stability and special values ----

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((10, 31), 0), ((31, 10), 1), ((3, 2100), 1)])
def test_large_magnitudes(dev, shape, axis, dtype):
    x = np.where(scores(shape, dtype, seed=3) > 0, 1000, -1000).astype(dtype)
    x = x + scores(shape, dtype, seed=4, scale=1.0)
    k = on(dev, x)
    for op in ("logp", "softmax", "logsumexp"):
        got = getattr(gpu, op)(k, axis).get()
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, getattr(nn, op)(x, axis), **tol(dtype, 1000))
    labels = np.zeros(x.size // shape[axis], np.int64)
    np.testing.assert_allclose(gpu.nll(k, labels, axis).get(), nn.nll(x, labels, axis),
                               **tol(dtype, 1000))


INF = np.inf
SPECIAL_ROWS = [[-INF, -INF, -INF], [-INF, 0.0, 1.0], [INF, 0.0, 1.0], [INF, INF, 0.0],
                [np.nan, 0.0, 1.0], [0.0, -INF, np.nan]]


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("op", ["logp", "softmax", "logsumexp"])
def test_special_values(dev, op, axis):
    x = np.array(SPECIAL_ROWS, dtype=np.float64)
    x = x if axis == 1 else x.T.copy()
    with np.errstate(all="ignore"):
        expect = getattr(nn, op)(x, axis)
    np.testing.assert_allclose(getattr(gpu, op)(on(dev, x), axis).get(), expect, rtol=1e-12)


# ---- nll and accuracy ----

LABEL_CASES = [((10, 31), 0), ((31, 10), 1), ((84, 257), 0), ((84, 257), 1), ((7, 3, 5), 1),
               ((1, 4), 0), ((3000, 3), 1), ((2, 2100), 1)]


def make_labels(shape, axis, seed=5):
    rest = tuple(s for d, s in enumerate(shape) if d != axis % len(shape))
    return np.random.default_rng(seed).integers(0, shape[axis], rest)  # repeats classes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", LABEL_CASES, ids=[f"{s}-ax{a}" for s, a in LABEL_CASES])
def test_nll_and_accuracy(dev, shape, axis, dtype):
    x = scores(shape, dtype)
    labels = make_labels(shape, axis)
    k = on(dev, x)
    loss = gpu.nll(k, labels, axis)
    assert isinstance(loss, KnetArray) and loss.shape == () and loss.dtype == dtype
    np.testing.assert_allclose(loss.get(), nn.nll(x, labels, axis), **tol(dtype, 10))
    device_labels = KnetArray(labels.astype(np.int64), dev)
    np.testing.assert_allclose(gpu.nll(k, device_labels, axis).get(), loss.get(), rtol=0)
    # accuracy: also labels set to the argmax on some examples, so hits are counted
    labels = np.where(make_labels(shape, axis, seed=6) % 2 == 0, np.argmax(x, axis), labels)
    acc = gpu.accuracy(k, labels, axis)
    assert isinstance(acc, float) and acc == pytest.approx(nn.accuracy(x, labels, axis), abs=1e-12)
    assert gpu.accuracy(k, KnetArray(labels, dev), axis) == acc


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", LABEL_CASES, ids=[f"{s}-ax{a}" for s, a in LABEL_CASES])
def test_nll_grad(dev, shape, axis, dtype):
    x = scores(shape, dtype)
    labels = make_labels(shape, axis)
    expect = runtime_nn.nll_grad(0.75, x, labels, axis)
    np.testing.assert_allclose(gpu.nll_grad(0.75, on(dev, x), labels, axis).get(), expect,
                               **tol(dtype))
    g = on(dev, np.array(0.75, dtype))  # the upstream gradient on the device
    np.testing.assert_allclose(gpu.nll_grad(g, on(dev, x), KnetArray(labels, dev), axis).get(),
                               expect, **tol(dtype))


def test_accuracy_ties_and_nan_take_the_first_maximum(dev):
    x = np.array([[1.0, 3.0, 3.0, np.nan, 2.0],
                  [5.0, 3.0, 5.0, 0.0, np.nan],
                  [1.0, 1.0, 1.0, 2.0, np.nan],
                  [0.0, 0.0, 0.0, 0.0, 0.0]])  # classes x batch
    for labels in ([0, 1, 3, 0, 0], [1, 0, 1, 3, 1], [2, 2, 1, 2, 4]):
        labels = np.array(labels)
        assert gpu.accuracy(on(dev, x), labels) == nn.accuracy(x, labels)
        assert gpu.accuracy(on(dev, x.T), labels, 1) == nn.accuracy(x.T, labels, 1)


def test_device_labels_out_of_range_give_nan(dev):
    x = on(dev, scores((4, 3), np.float32))
    assert np.isnan(gpu.nll(x, KnetArray(np.array([0, 4, 1]), dev)).get())
    assert gpu.accuracy(x, KnetArray(np.array([-1, 9, 7]), dev)) == 0.0


@pytest.mark.parametrize("call,error,match", [
    (lambda x, d: gpu.nll(x, np.array([0, 4, 1])), ValueError, r"labels must lie in \[0, 4\)"),
    (lambda x, d: gpu.nll(x, np.array([0.0, 1.0, 1.0])), TypeError, "integer class indices"),
    (lambda x, d: gpu.accuracy(x, np.array([0, 1])), ValueError, "need labels of shape"),
    (lambda x, d: gpu.nll(x, KnetArray(np.array([0, 1, 2], np.int32), d)), TypeError, "int64"),
    (lambda x, d: gpu.nll(x, np.array([0, 1, 2]), axis=(0, 1)), TypeError, "one integer"),
    (lambda x, d: gpu.nll_grad(np.ones(2), x, np.array([0, 1, 2])), ValueError, "one element"),
    (lambda x, d: gpu.logp(x, 2), np.exceptions.AxisError, "out of bounds"),
    (lambda x, d: gpu.logsumexp(x, (0, -2)), ValueError, "duplicate"),
    (lambda x, d: gpu.softmax(on(d, np.zeros((0, 3), np.float32)), 0), ValueError, "zero-size"),
    (lambda x, d: gpu.logp(on(d, np.zeros((2, 3), np.int64)), 0), TypeError, "float32"),
    (lambda x, d: gpu.logp_grad(on(d, np.zeros((4, 3), np.float64)), x, 0), TypeError, "one dtype"),
])
def test_errors(dev, call, error, match):
    with pytest.raises(error, match=match):
        call(on(dev, scores((4, 3), np.float32)), dev)


def test_empty_arrays(dev):
    x = on(dev, np.zeros((3, 0), np.float32))
    assert gpu.logp(x, 0).shape == (3, 0)
    assert gpu.logsumexp(x, 0).shape == (0,)
    assert np.isnan(gpu.nll(x, np.zeros(0, np.int64)).get())
    assert gpu.nll_grad(1.0, x, np.zeros(0, np.int64)).shape == (3, 0)


def test_launch_config_for_a_gpu():
    class Gpu:  # a CUDA device's launch parameters
        block, max_blocks = 256, 65535
    # log-softmax along rows of 4096 x 32000 float32: a 512-thread block per row, in registers
    assert gpu.config(Gpu, 4096, 32000, 1, gpu.row_cache(np.float32), gpu.ROWS_MAX_BLOCK) == (
        (4096,), (512,), 512)
    assert gpu.config(Gpu, 4096, 100, 1, 64, gpu.ROWS_MAX_BLOCK) == ((512,), (256,), 32)
    assert gpu.config(Gpu, 4096, 5, 1, 64, gpu.ROWS_MAX_BLOCK) == ((128,), (256,), 8)
    # Knet's classes x batch: 32 columns per block, threads along the classes
    assert gpu.config(Gpu, 1, 10, 4096, 16, gpu.MAX_BLOCK) == ((128,), (64,), 32)
    assert gpu.config(Gpu, 1, 32000, 64, 16, gpu.MAX_BLOCK) == ((2,), (1024,), 32)
    assert gpu.config(Gpu, 1, 1000, 3, 16, gpu.MAX_BLOCK) == ((1,), (512,), 4)


# ---- through knetc.nn and the runtime ----

def test_knetc_nn_dispatches_on_knetarrays(dev):
    x = scores((10, 31), np.float32)
    labels = make_labels((10, 31), 0)
    k = on(dev, x)
    y = knetc.logp(k)
    assert isinstance(y, KnetArray)
    np.testing.assert_allclose(y.get(), nn.logp(x), **tol(np.float32, 10))
    np.testing.assert_allclose(knetc.softmax(k, axis=1).get(), nn.softmax(x, 1), **tol(np.float32))
    np.testing.assert_allclose(knetc.logsumexp(k, axis=0, keepdims=True).get(),
                               nn.logsumexp(x, 0, True), **tol(np.float32, 10))
    np.testing.assert_allclose(knetc.nll(k, labels).get(), nn.nll(x, labels), **tol(np.float32))
    assert knetc.accuracy(k, labels) == nn.accuracy(x, labels)
    np.testing.assert_allclose(runtime_nn.nll_grad(1.0, k, labels).get(),
                               runtime_nn.nll_grad(1.0, x, labels), **tol(np.float32))
