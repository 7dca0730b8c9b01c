"""kernels/reduce.cu and knetc/cuda/reduce.py against NumPy, on the CPU emulator.

Every reduction (sum, mean, prod, max, min, argmax, argmin) over odd shapes, every axis, tuples
of axes and None, with and without keepdims, in float32 and float64; the split (two-pass) paths
forced on small arrays; non-contiguous inputs; NaN/-inf/ties; zeros and signs in products;
`sum_to`; NumPy dispatch; errors.
"""
import math
import os
import sys
import types
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import cudaemu  # noqa: E402
from cudaemu import EmulatedDevice  # noqa: E402

from knetc.cuda import reduce as R  # noqa: E402
from knetc.cuda.array import KnetArray  # noqa: E402

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None,
                                reason="no C++ compiler for the emulator")

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture(scope="module")
def dev():
    return EmulatedDevice()


@pytest.fixture
def split(monkeypatch):
    """Make every pass that can split do so, so the two-pass paths run on small arrays."""
    monkeypatch.setattr(R, "MIN_PER_THREAD", 1)
    monkeypatch.setattr(R, "MIN_PER_SPLIT", 1)


def data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def prod_data(shape, dtype, seed=0):
    """Magnitudes in [e^-0.5, e^0.5] with random signs: products of thousands of elements stay
    far from overflow and underflow (a product of standard normals underflows), so they are
    compared at the dtype's relative tolerance rather than lost under atol."""
    rng = np.random.default_rng(seed)
    signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return (signs * np.exp(rng.uniform(-0.5, 0.5, shape))).astype(dtype)


def on(dev, x):
    return KnetArray(np.array(x), dev)


def check(got, want, dtype):
    assert isinstance(got, KnetArray)
    host = got.get()
    assert host.shape == np.shape(want) and host.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(host, want, **TOL[dtype])


CASES = [((1,), None), ((1,), 0), ((1,), -1), ((31,), None), ((31,), 0), ((257,), None),
         ((257,), -1), ((1000, 3), None), ((1000, 3), 0), ((1000, 3), 1), ((1000, 3), -1),
         ((1000, 3), (0, 1)), ((3, 1000), 0), ((3, 1000), 1), ((3, 1000), (-1,)),
         ((2, 3, 5, 7), None), ((2, 3, 5, 7), 0), ((2, 3, 5, 7), 1), ((2, 3, 5, 7), 2),
         ((2, 3, 5, 7), 3), ((2, 3, 5, 7), -2), ((2, 3, 5, 7), (0, 2)), ((2, 3, 5, 7), (1, 3)),
         ((2, 3, 5, 7), (0, 3)), ((2, 3, 5, 7), (0, 1)), ((2, 3, 5, 7), (2, 3)),
         ((2, 3, 5, 7), (0, 1, 3)), ((2, 3, 5, 7), (3, 1, 0, 2)), ((2, 3, 5, 7), ()),
         ((2, 1, 5, 1), (1, 3)), ((2, 1, 5, 1), (0, 1)), ((), None)]


@pytest.mark.parametrize("op", ["sum", "mean", "prod", "max", "min"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", CASES)
def test_value_reductions(dev, shape, axis, dtype, op):
    x = prod_data(shape, dtype) if op == "prod" else data(shape, dtype)
    for keepdims in (False, True):
        got = R.reduce(on(dev, x), axis, keepdims, op)
        check(got, getattr(np, op)(x, axis=axis, keepdims=keepdims), dtype)


ARG_CASES = [((1,), None), ((1,), 0), ((31,), None), ((257,), 0), ((1000, 3), None),
             ((1000, 3), 0), ((1000, 3), 1), ((3, 1000), 0), ((3, 1000), -1),
             ((2, 3, 5, 7), None), ((2, 3, 5, 7), 0), ((2, 3, 5, 7), 1), ((2, 3, 5, 7), 2),
             ((2, 3, 5, 7), -1), ((2, 1, 5, 1), 1), ((2, 1, 5, 1), None), ((), None), ((), 0)]


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", ARG_CASES)
def test_arg_reductions(dev, shape, axis, dtype, op):
    x = data(shape, dtype, seed=1)
    for keepdims in (False, True):
        got = R.reduce(on(dev, x), axis, keepdims, op)
        want = getattr(np, op)(x, axis=axis, keepdims=keepdims)
        assert got.dtype == np.int64 and got.shape == np.shape(want)
        np.testing.assert_array_equal(got.get(), want)


SPLIT_CASES = [((5000,), None), ((2, 3000), 1), ((3000, 2), 0), ((3, 1500, 5), 1),
               ((1200, 40), 0), ((40, 7, 300), (0, 2)), ((7, 2, 700), None)]


@pytest.mark.parametrize("op", ["sum", "mean", "prod", "max", "min", "argmax", "argmin"])
@pytest.mark.parametrize("shape,axis", SPLIT_CASES)
def test_split_passes(dev, split, shape, axis, op):
    """Too few rows/columns to fill the device: r is cut into chunks, then their partials
    (values and, for arg ops, indices) are reduced by a second launch."""
    if op.startswith("arg") and isinstance(axis, tuple):
        return
    x = (prod_data if op == "prod" else data)(shape, np.float64, seed=2)
    before = len(dev.launches)
    got = R.reduce(on(dev, x), axis, False, op)
    assert len(dev.launches) - before >= 2
    want = getattr(np, op)(x, axis=axis)
    if op.startswith("arg"):
        np.testing.assert_array_equal(got.get(), want)
    else:
        check(got, want, np.float64)


@pytest.mark.parametrize("block", [32, 128, 256])
@pytest.mark.parametrize("shape,axis", [((700,), None), ((9, 300), 1), ((300, 9), 0),
                                        ((5, 40, 33), 1), ((40, 33), 1)])
def test_block_sizes(split, block, shape, axis):
    """Other block sizes: one warp, and rows wider than a warp (shuffle + shared memory)."""
    dev = EmulatedDevice(max_blocks=3)
    dev.block = block
    x = data(shape, np.float32, seed=3)
    check(R.reduce(on(dev, x), axis, False, "sum"), np.sum(x, axis=axis), np.float32)
    np.testing.assert_array_equal(R.reduce(on(dev, x), axis, False, "argmin").get(),
                                  np.argmin(x, axis=axis))
    x = prod_data(shape, np.float32, seed=3)
    check(R.reduce(on(dev, x), axis, False, "prod"), np.prod(x, axis=axis), np.float32)


def test_float32_sum_of_many(dev, split):
    x = np.random.default_rng(4).random(20000).astype(np.float32)
    check(R.reduce(on(dev, x), None, False, "sum"), np.sum(x), np.float32)
    check(R.reduce(on(dev, x), None, False, "mean"), np.mean(x), np.float32)
    x = prod_data(20000, np.float32, seed=4)
    check(R.reduce(on(dev, x), None, False, "prod"), np.prod(x), np.float32)


@pytest.mark.parametrize("make", [
    lambda x: x.T,                                  # permuted dense: no copy
    lambda x: x.transpose(2, 0, 1),
    lambda x: x[:, 1:4],                            # strided: copied first
    lambda x: x[::2],
    lambda x: x[1:],                                # contiguous with an offset
    lambda x: np.broadcast_to(x[:1], x.shape),      # stride 0
])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_non_contiguous(dev, make, axis):
    base = data((6, 5, 4), np.float64, seed=5)
    view = make(base)
    for op in ("sum", "max"):
        check(R.reduce(KnetArray(view, dev), axis, False, op), getattr(np, op)(view, axis=axis),
              np.float64)
    if not isinstance(axis, tuple):
        np.testing.assert_array_equal(R.reduce(KnetArray(view, dev), axis, False, "argmax").get(),
                                      np.argmax(view, axis=axis))
    view = make(prod_data((6, 5, 4), np.float64, seed=5))
    check(R.reduce(KnetArray(view, dev), axis, True, "prod"),
          np.prod(view, axis=axis, keepdims=True), np.float64)


@pytest.mark.parametrize("perm,axis,copies", [
    ((2, 1, 0), None, False), ((2, 1, 0), (0, 2), False), ((2, 1, 0), (0, 1), False),
    ((1, 0, 2), 0, False), ((0, 2, 1), 2, False), ((0, 2, 1), (1, 2), False),
    ((2, 1, 0), 0, True), ((0, 2, 1), 0, True),  # the result's dims would be out of order
])
def test_permuted_views_are_reduced_in_place(dev, perm, axis, copies):
    view = data((4, 5, 6), np.float32, seed=6).transpose(perm)
    before = len(dev.launches)
    got = R.reduce(KnetArray(view, dev), axis, True, "sum")
    check(got, np.sum(view, axis=axis, keepdims=True), np.float32)
    kernels = [k for _, k, _ in dev.launches[before:]]
    assert ("copy_forward" in kernels) == copies


@pytest.mark.parametrize("op,x,axis,want", [
    ("max", [-3.0, -np.inf, -1.0], None, -1.0),
    ("max", [-np.inf, -np.inf], None, -np.inf),
    ("min", [np.inf, 2.0, np.inf], None, 2.0),
    ("min", [-np.inf, -5.0], None, -np.inf),
    ("max", [1.0, np.nan, np.inf], None, np.nan),
    ("min", [[1.0, np.nan], [0.0, 2.0]], 1, [np.nan, 0.0]),
    ("argmax", [-np.inf, -np.inf, -np.inf], None, 0),
    ("argmax", [1.0, 3.0, 2.0, 3.0, 3.0], None, 1),
    ("argmin", [4.0, -1.0, -1.0, 5.0], None, 1),
    ("argmax", [1.0, np.nan, 7.0, np.nan], None, 1),
    ("argmin", [[2.0, 1.0, 1.0], [0.0, 0.0, -0.0]], 1, [1, 0]),
    ("argmax", [[2.0, 5.0], [5.0, 5.0], [1.0, 5.0]], 0, [1, 0]),
    ("sum", [-np.inf, 1.0], None, -np.inf),
    ("prod", [2.0, 0.0, -3.0], None, -0.0),
    ("prod", [-2.0, -3.0, -0.5], None, -3.0),
    ("prod", [[1.0, -0.0], [-2.0, 4.0], [0.0, 0.0]], 1, [-0.0, -8.0, 0.0]),
    ("prod", [[1.0, -0.0], [-2.0, 4.0], [0.0, 0.0]], 0, [-0.0, -0.0]),
    ("prod", [[1.0, -0.0], [2.0, -4.0], [0.0, 0.0]], 0, [0.0, 0.0]),
    ("prod", [np.inf, -2.0], None, -np.inf),
    ("prod", [np.inf, 0.0], None, np.nan),
    ("prod", [3.0, np.nan, 0.0], None, np.nan),
    ("prod", [1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30, 1e30], None, np.inf),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(dev, op, x, axis, want, dtype):
    x = np.array(x, dtype=dtype)
    got = R.reduce(on(dev, x), axis, False, op).get()
    with np.errstate(all="ignore"):  # NumPy's overflow/invalid warnings for inf and NaN
        np.testing.assert_array_equal(got, getattr(np, op)(x, axis=axis))
    np.testing.assert_array_equal(got, want)
    signed = ~np.isnan(want)  # -0.0 is not 0.0 (a NaN's sign means nothing)
    np.testing.assert_array_equal(np.signbit(got)[signed], np.signbit(want)[signed])


@pytest.mark.parametrize("split_passes", [False, True])
@pytest.mark.parametrize("shape,axis", [((3000,), None), ((3, 2000), 1), ((2000, 3), 0),
                                        ((7, 301, 5), 1), ((7, 301, 5), (0, 2)),
                                        ((40, 33), None)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_prod_zeros_and_signs(dev, monkeypatch, split_passes, shape, axis, dtype):
    """Every other output has a 0.0 and a -0.0 among its factors (in different chunks of a
    split pass), the rest none: those products are exactly +-0, the sign of every product
    (zero or not) is the parity of its negative factors whatever the combination order, and
    the rest match NumPy."""
    if split_passes:
        monkeypatch.setattr(R, "MIN_PER_THREAD", 1)
        monkeypatch.setattr(R, "MIN_PER_SPLIT", 1)
    axes = list(range(len(shape))) if axis is None else np.atleast_1d(axis).tolist()
    kept = [d for d in range(len(shape)) if d not in axes]
    # The reduced dims last, so that row q of `rows` holds the factors of output q.
    moved = prod_data([shape[d] for d in kept + axes], dtype, seed=11)
    rows = moved.reshape(-1, math.prod(shape[d] for d in axes))
    rows[::2, rows.shape[1] // 3] = 0.0
    rows[::2, -1] = -0.0
    x = np.ascontiguousarray(np.moveaxis(moved, range(len(kept), len(shape)), axes))
    want = np.prod(x, axis=axis, keepdims=True)
    got = R.reduce(on(dev, x), axis, True, "prod")
    check(got, want, dtype)
    assert (want == 0).any() and ((want != 0).any() or want.size == 1)
    np.testing.assert_array_equal(got.get() == 0, want == 0)
    np.testing.assert_array_equal(np.signbit(got.get()), np.signbit(want))


@pytest.mark.parametrize("shape,axis", [((3000,), None), ((3, 2000), 1), ((2000, 3), 0)])
def test_arg_ties_across_chunks(dev, split, shape, axis):
    """Equal extrema in several chunks of a split pass: the first index still wins."""
    x = np.zeros(shape)
    flat = x.reshape(-1)
    flat[::97] = 1.0
    flat[5::211] = -1.0
    np.testing.assert_array_equal(R.reduce(on(dev, x), axis, False, "argmax").get(),
                                  np.argmax(x, axis=axis))
    np.testing.assert_array_equal(R.reduce(on(dev, x), axis, False, "argmin").get(),
                                  np.argmin(x, axis=axis))


@pytest.mark.parametrize("shape,axis,op", [
    ((0, 3), 0, "sum"), ((0, 3), 0, "mean"), ((3, 0), 1, "sum"), ((0, 3), 1, "max"),
    ((0, 3), 1, "argmax"), ((0,), None, "sum"), ((0, 2), (0, 1), "mean"),
    ((0, 3), 0, "prod"), ((3, 0), 1, "prod"), ((0,), None, "prod"), ((2, 0, 3), (0, 1), "prod"),
])
def test_empty(dev, shape, axis, op):
    x = np.zeros(shape)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # NumPy's "Mean of empty slice"
        want = getattr(np, op)(x, axis=axis)
    got = R.reduce(on(dev, x), axis, False, op).get()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("gshape,shape", [
    ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (1, 4)), ((3, 4), (1, 1)), ((3, 4), ()),
    ((2, 3, 4), (1, 3, 1)), ((2, 3, 4), (3, 1)), ((2, 3, 4), (4,)), ((5, 1, 4), (1, 4)),
    ((3, 4), (3, 4)), ((), ()), ((257,), (1,)),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_to(dev, gshape, shape, dtype):
    g = data(gshape, dtype, seed=7)
    k = on(dev, g)
    got = R.sum_to(k, shape)
    lead = g.ndim - len(shape)
    want = np.sum(g, axis=tuple(range(lead))) if lead else g
    want = np.sum(want, axis=tuple(d for d, n in enumerate(shape) if n == 1), keepdims=True)
    check(got, want.reshape(shape), dtype)
    if gshape == shape:
        assert got is k


def test_sum_to_rejects_shapes_that_do_not_broadcast(dev):
    with pytest.raises(ValueError, match=r"cannot sum an array of shape \(3, 4\) down to \(3,\)"):
        R.sum_to(on(dev, np.ones((3, 4))), (3,))
    with pytest.raises(ValueError, match="does not broadcast"):
        R.sum_to(on(dev, np.ones((4,))), (2, 4))


def test_numpy_dispatch(dev):
    x = data((4, 6), np.float32, seed=8)
    k = on(dev, x)
    full = np.sum(k)
    assert isinstance(full, KnetArray) and full.shape == () and full.dtype == np.float32
    np.testing.assert_allclose(full.get(), np.sum(x), rtol=1e-5)
    for name in ("sum", "mean", "prod", "max", "min", "amax", "amin"):
        f = getattr(np, name)
        check(f(k, axis=1, keepdims=True), f(x, axis=1, keepdims=True), np.float32)
        check(f(k, 0), f(x, 0), np.float32)
    for name in ("argmax", "argmin"):
        f = getattr(np, name)
        np.testing.assert_array_equal(f(k, axis=1).get(), f(x, axis=1))
        np.testing.assert_array_equal(f(k).get(), f(x))
    check(np.add.reduce(k), np.add.reduce(x), np.float32)
    check(np.multiply.reduce(k), np.multiply.reduce(x), np.float32)
    check(np.multiply.reduce(k, axis=(0, 1), keepdims=True),
          np.multiply.reduce(x, axis=(0, 1), keepdims=True), np.float32)
    check(np.prod(k), np.prod(x), np.float32)
    check(np.prod(k, dtype=np.float32, axis=-1), np.prod(x, axis=-1), np.float32)
    check(np.maximum.reduce(k, axis=1), np.maximum.reduce(x, axis=1), np.float32)
    check(np.minimum.reduce(k, axis=None), np.minimum.reduce(x, axis=None), np.float32)
    check(np.sum(k, axis=0, dtype=np.float32), np.sum(x, axis=0), np.float32)


def test_methods(dev):
    x = data((5, 3), np.float64, seed=9)
    k = on(dev, x)
    check(k.sum(), x.sum(), np.float64)
    check(k.mean(axis=0), x.mean(axis=0), np.float64)
    check(k.max(1), x.max(1), np.float64)
    np.testing.assert_array_equal(k.argmax(1).get(), x.argmax(1))
    check(k.prod(), x.prod(), np.float64)
    check(k.prod(axis=1, keepdims=True), x.prod(axis=1, keepdims=True), np.float64)
    check(k.prod(0), x.prod(0), np.float64)


def test_bool_masks_count_as_float32(dev):
    x = data((7, 5), np.float32, seed=10)
    mask = KnetArray(x > 0, dev)
    got = np.sum(mask, axis=1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.get(), np.sum(x > 0, axis=1))
    np.testing.assert_allclose(np.mean(mask).get(), np.mean(x > 0), rtol=1e-6)
    all_positive = np.prod(mask, axis=0)  # NumPy gives int64 0/1: "all" along the axis
    assert all_positive.dtype == np.float32
    np.testing.assert_array_equal(all_positive.get(), np.prod(x > 0, axis=0))


@pytest.mark.parametrize("call,error,message", [
    (lambda k: R.reduce(k, 2), np.exceptions.AxisError, "axis 2 is out of bounds"),
    (lambda k: R.reduce(k, -3), np.exceptions.AxisError, "out of bounds"),
    (lambda k: R.reduce(k, (0, 0)), ValueError, "repeated axis"),
    (lambda k: R.reduce(k, 5, op="argmax"), np.exceptions.AxisError, "out of bounds"),
    (lambda k: R.reduce(k, (0, 1), op="argmax"), TypeError, "tuple"),
    (lambda k: R.reduce(k, 1.0), TypeError, "integer"),
    (lambda k: np.sum(k, out=k), TypeError, "does not support out="),
    (lambda k: np.max(k, initial=0.0), TypeError, "does not support initial="),
    (lambda k: np.mean(k, where=True), TypeError, "does not support where="),
    (lambda k: np.sum(k, dtype=np.float32), TypeError, "keeps the array's dtype float64"),
    (lambda k: np.prod(k, dtype=np.float32), TypeError, "np.prod keeps the array's dtype"),
    (lambda k: np.prod(k, initial=2.0), TypeError, "np.prod does not support initial="),
    (lambda k: np.prod(k, out=k), TypeError, "does not support out="),
    (lambda k: np.multiply.reduce(k, where=True), TypeError, "np.multiply.reduce does not"),
    (lambda k: np.prod(k, axis=(1, 1)), ValueError, "repeated axis"),
    (lambda k: R.reduce(KnetArray(np.zeros((0, 3)), k.device), 0, op="max"), ValueError,
     "zero-size array to reduction operation maximum"),
    (lambda k: R.reduce(KnetArray(np.zeros((3, 0)), k.device), 1, op="argmin"), ValueError,
     "argmin of an empty sequence"),
    (lambda k: R.reduce(KnetArray(np.zeros(3, np.int32), k.device)), TypeError,
     "float32, float64 or bool"),
    (lambda k: R.reduce(np.zeros(3)), TypeError, "takes a KnetArray"),
])
def test_errors(dev, call, error, message):
    with pytest.raises(error, match=message):
        call(on(dev, np.ones((2, 3))))


def test_axis_error_is_a_value_error():
    assert issubclass(np.exceptions.AxisError, ValueError)


class _FakeCupy:
    """Just enough of CuPy for _resident_threads: an H100's 132 SMs x 2048 threads."""
    cuda = types.SimpleNamespace(Device=lambda i: types.SimpleNamespace(
        attributes={"MultiProcessorCount": 132, "MaxThreadsPerMultiProcessor": 2048}))


class _FakeGPU:
    block, max_blocks, id, cupy = 256, 65535, 0, _FakeCupy()


@pytest.mark.parametrize("outer,r,want", [
    (1, 64 << 20, (256, 1, 1056)),   # 64M full reduction: ~one block per SM slot, 2 passes
    (1, 1056, (256, 1, 1)),          # ... whose second pass is one block
    (4096, 32000, (256, 1, 1)),      # log-softmax-sized rows: a block per row
    (1 << 20, 64, (16, 16, 1)),      # short rows: 16 threads per row, 4 loads each
    (1 << 22, 3, (1, 256, 1)),       # tiny rows: a thread per row
])
def test_rows_plan_on_a_gpu(outer, r, want):
    assert R.rows_plan(_FakeGPU(), outer, r) == want


@pytest.mark.parametrize("outer,r,inner,want", [
    (1, 32000, 4096, (32, 8, 9)),        # column sums of a 32000x4096 matrix: r in 9 chunks
    (1, 4 << 20, 16, (16, 16, 1056)),    # 16 columns of 4M rows: many chunks
    (64, 3, 1 << 20, (256, 1, 1)),       # short r, many columns: a thread per output
])
def test_cols_plan_on_a_gpu(outer, r, inner, want):
    assert R.cols_plan(_FakeGPU(), outer, r, inner) == want
