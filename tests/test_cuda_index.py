"""Indexing on KnetArrays (kernels/index.cu via knetc/cuda/index.py) on the CPU emulator against
NumPy: views, gathers, masks, scatter-adds, setitem, the runtime's adjoints, concatenate/stack
and dropout masks, in float32 and float64."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import cudaemu  # noqa: E402
from cudaemu import EmulatedDevice  # noqa: E402

import knetc  # noqa: E402
from knetc import runtime  # noqa: E402
from knetc.cuda.array import KnetArray  # noqa: E402

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None, reason="no C++ compiler")

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
_ = slice(None)


@pytest.fixture(scope="module")
def dev():
    return EmulatedDevice()


def gpu(x, dev):
    return KnetArray(dev.from_host(np.asarray(x)), dev)


def data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


X = data((4, 5, 6), np.float64)

# ---------------------------------------------------------------- basic indexing: views

BASIC = [
    (1,), (-1,), (_, 2), (1, 2, 3), (-1, -2, -3), (slice(1, 3),), (slice(None, None, -1),),
    (_, slice(4, 0, -2)), (_, _, slice(None, None, 3)), (None,), (_, None, 1),
    (Ellipsis, 2), (1, Ellipsis), (Ellipsis, None), (np.int64(2), slice(-3, None)),
    (slice(5, 9),), (slice(3, 1),), (np.array(2),),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index", BASIC, ids=repr)
def test_basic_index_is_a_view_and_launches_nothing(dev, index, dtype):
    x = X.astype(dtype)
    k = gpu(x, dev)
    before = len(dev.launches)
    y = k[index]
    assert len(dev.launches) == before
    assert isinstance(y, KnetArray) and y.dtype == dtype
    assert y.shape == x[index].shape
    np.testing.assert_array_equal(y.get(), x[index])
    assert y.size == 0 or np.shares_memory(y.raw, k.raw)


def test_int_index_gives_a_0d_view(dev):
    k = gpu(X, dev)
    y = k[1, 2, 3]
    assert isinstance(y, KnetArray) and y.shape == () and float(y) == X[1, 2, 3]
    assert [float(v) for v in gpu(X[0, 0], dev)] == list(X[0, 0])  # iteration: views of rows


# ---------------------------------------------------------------- gathers

I = np.array([3, -1, 0, 3, 3, -4])
GATHER = [
    ([0, 2, 2, -1],), (I,), (I.reshape(2, 3),), (_, [4, 0, 4, -5]), (_, _, I),
    ([1, 1], [2, 0]), (I[:3, None], [0, 4]), (_, [0, 4], [5, 5]), ([0, 1], _, [2, 0]),
    ([0, 1], None, [2, 0]), (1, _, [0, 2]), ([2, 2], 1), ([3], slice(1, 3)), (I, slice(3, 0, -1)),
    (slice(1, 4), None, [0, 4], 1), (Ellipsis, [5, 0]), ([[0], [3]], Ellipsis, [1, 2, 3]),
    (np.array([], dtype=int),), ([],), (X[:, 0, 0] > 0,), (_, X[0] > 0), (_, X[0, :, 0] > 0),
    (X > 0,), (X[:, :, 0] > 0, np.arange(np.sum(X[:, :, 0] > 0)) % 6), (_, _, X[0, 0] < -10),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index", GATHER, ids=lambda i: str(i)[:40])
def test_gather_against_numpy(dev, index, dtype):
    x = X.astype(dtype)
    y = gpu(x, dev)[index]
    expected = x[index]
    assert y.shape == expected.shape and y.dtype == dtype
    np.testing.assert_array_equal(y.get(), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_from_strided_views(dev, dtype):
    x = data((7, 9, 5), dtype)
    k = gpu(x, dev)
    view, host_view = k[::-2, 1:, ::2], x[::-2, 1:, ::2]  # negative and step strides
    for index in [([0, 3, 3, -1],), (_, [7, 0, 2]), (_, _, [2, 2, 0]), (host_view[..., 0] > 0,)]:
        np.testing.assert_array_equal(view[index].get(), host_view[index])
    t = gpu(x[:, :, 0], dev)
    transposed = KnetArray(t.raw.T, dev)
    np.testing.assert_array_equal(transposed[[8, 0, 8]].get(), x[:, :, 0].T[[8, 0, 8]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_lookups(dev, dtype):
    w = data((31, 257), dtype)
    ids = np.random.default_rng(1).integers(0, 257, size=40)
    k = gpu(w, dev)
    np.testing.assert_array_equal(k[:, ids].get(), w[:, ids])
    wt = np.ascontiguousarray(w.T)
    np.testing.assert_array_equal(gpu(wt, dev)[ids].get(), wt[ids])
    np.testing.assert_array_equal(gpu(wt, dev)[gpu(ids, dev)].get(), wt[ids])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_large(dev, dtype):
    x = data((1000, 3), dtype)
    ids = np.random.default_rng(2).integers(-1000, 1000, size=1111)
    np.testing.assert_array_equal(gpu(x, dev)[ids].get(), x[ids])


DEVICE_INDICES = [
    (lambda x: (np.array([3, -1, 0, 3]),), "rows"),
    (lambda x: (_, np.array([[4, 0], [-5, 2]])), "2-d columns"),
    (lambda x: (np.array([0, 3]), _, np.array([[5], [0]])), "two arrays"),
    (lambda x: (x > 0.3,), "full mask"),
    (lambda x: (x[:, :, 0] > 0,), "2-d mask"),
    (lambda x: (_, x[0, :, 0] > 0), "mask on axis 1"),
    (lambda x: (x[:, 0, 0] > 9,), "all false"),
    (lambda x: (x[:, :, 0] > 0, np.arange(np.sum(x[:, :, 0] > 0)) % 6), "mask with array"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", [m for m, _ in DEVICE_INDICES],
                         ids=[name for _, name in DEVICE_INDICES])
def test_gather_with_indices_on_the_device(dev, make, dtype):
    x = X.astype(dtype)
    index = make(x)
    on_device = tuple(gpu(i, dev) if isinstance(i, np.ndarray) else i for i in index)
    np.testing.assert_array_equal(gpu(x, dev)[on_device].get(), x[index])


def test_device_mask_larger_than_one_tile(dev):
    x = data((1000, 3), np.float32)
    mask = x > 0.2
    k = gpu(x, dev)
    np.testing.assert_array_equal(k[gpu(mask, dev)].get(), x[mask])
    strided = mask[::3, ::-1]  # a strided, reversed mask view on the device
    view = KnetArray(k.raw[::3, ::-1], dev)
    np.testing.assert_array_equal(view[gpu(mask, dev)[::3, ::-1]].get(), x[::3, ::-1][strided])


def test_device_indices_out_of_range_are_clamped(dev):
    x = np.arange(5.0)
    y = gpu(x, dev)[gpu(np.array([7, -9, 2]), dev)]
    np.testing.assert_array_equal(y.get(), [4.0, 0.0, 2.0])


ERRORS = [
    ((7,), IndexError), ((_, [0, 5]), IndexError), (([-5],), IndexError),
    ((0, 0, 0, 0), IndexError), ((Ellipsis, 0, Ellipsis), IndexError),
    (([0, 1], [0, 1, 2]), IndexError), ((np.ones((4, 4), bool),), IndexError),
    ((np.array([0.5]),), IndexError), (("a",), IndexError),
]


@pytest.mark.parametrize("index, error", ERRORS, ids=lambda v: str(v)[:30])
def test_index_errors_like_numpy(dev, index, error):
    with pytest.raises(error):
        X[index]
    with pytest.raises(error):
        gpu(X, dev)[index]


def test_refused_indices(dev):
    k = gpu(X, dev)
    with pytest.raises(TypeError, match="True/False"):
        k[True]  # NumPy's 0-d boolean index (a new axis) is not offered
    with pytest.raises(TypeError, match="int64 or bool"):
        k[gpu(np.array([0.0, 1.0]), dev)]
    with pytest.raises(TypeError, match="int64 or bool"):
        k[gpu(np.array([0, 1], dtype=np.int32), dev)]


# ---------------------------------------------------------------- scatter-add and setitem

ADD_AT = [
    ((np.array([1, 1, 3, 1, -1]),), (5, 5, 6)),
    ((_, np.array([0, 4, 4, 0, 0])), (4, 5, 6)),
    ((np.array([[0, 0], [3, 0]]), _, 2), (2, 2, 5)),
    ((np.array([1, 1]), np.array([2, 2])), (6,)),
    ((X > 0,), ()),
    ((slice(1, 3), 2), (6,)),
    ((2,), (5, 6)),
    ((np.array([0, 0, 0]),), (1, 6)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index, gshape", ADD_AT, ids=lambda v: str(v)[:30])
def test_add_at_accumulates_repeats(dev, index, gshape, dtype):
    out, g = data((4, 5, 6), dtype, 3), data(gshape, dtype, 4)
    k = gpu(out, dev)
    np.add.at(k, index, gpu(g, dev))
    np.add.at(out, index, g)
    np.testing.assert_allclose(k.get(), out, **TOL[dtype])


def test_add_at_scalar_and_device_index(dev):
    out = np.zeros(7)
    k = gpu(out, dev)
    idx = np.array([1, 1, 1, 6, -1])
    np.add.at(k, gpu(idx, dev), 0.5)
    np.add.at(out, idx, 0.5)
    np.testing.assert_array_equal(k.get(), out)


def test_add_at_many_repeats(dev):
    """Atomics: 257 adds into 3 slots from every thread of the grid."""
    idx = np.random.default_rng(5).integers(0, 3, size=257)
    g = data((257,), np.float64)
    k = gpu(np.zeros(3), dev)
    np.add.at(k, idx, gpu(g, dev))
    np.testing.assert_allclose(k.get(), np.bincount(idx, g, minlength=3), rtol=1e-12)


SETITEM = [
    ((1,), (5, 6)), ((_, slice(None, None, -2)), (3, 6)), ((Ellipsis, 0), (5,)),
    ((np.array([3, 0]),), (5, 6)), ((_, np.array([1, 4]), 2), (4, 2)), ((X > 0,), ()),
    ((slice(1, 3), None, 0), (1, 6)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index, vshape", SETITEM, ids=lambda v: str(v)[:30])
def test_setitem_against_numpy(dev, index, vshape, dtype):
    out, v = data((4, 5, 6), dtype, 6), data(vshape, dtype, 7)
    k = gpu(out, dev)
    k[index] = gpu(v, dev)
    out[index] = v
    np.testing.assert_array_equal(k.get(), out)
    k[index] = 2.5
    out[index] = 2.5
    np.testing.assert_array_equal(k.get(), out)


def test_setitem_augmented_and_overlapping(dev):
    x = data((9, 4), np.float64)
    k = gpu(x, dev)
    k[1:] = k[:-1]  # overlapping source and target: copied first, as NumPy does
    x[1:] = x[:-1].copy()
    np.testing.assert_array_equal(k.get(), x)
    k[2:5, 1] += gpu(np.ones(3), dev)
    x[2:5, 1] += 1
    np.testing.assert_array_equal(k.get(), x)
    with pytest.raises(TypeError, match="float32"):
        k[0] = gpu(np.ones(4, np.float32), dev)


# ---------------------------------------------------------------- the runtime's adjoints

RUNTIME = [1, -1, (slice(1, 3),), (_, 2), ([2, 2, 0],), (_, [4, 4, 1]), (1, [0, 0]),
           (X[:, :, 0] > 0,)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index", RUNTIME, ids=lambda v: str(v)[:30])
def test_runtime_add_at_on_the_device(dev, index, dtype):
    x = data((4, 5, 6), dtype, 8)
    g = data(x[index].shape, dtype, 9)
    expected = runtime.add_at(None, x, index, g)
    got = runtime.add_at(None, gpu(x, dev), index, gpu(g, dev))
    assert isinstance(got, KnetArray) and got.dtype == dtype
    np.testing.assert_allclose(got.get(), expected, **TOL[dtype])
    dx = gpu(np.ones_like(x), dev)
    again = runtime.add_at(dx, gpu(x, dev), index, gpu(g, dev))
    np.testing.assert_allclose(again.get(), runtime.add_at(np.ones_like(x), x, index, g),
                               **TOL[dtype])
    np.testing.assert_array_equal(dx.get(), np.ones_like(x))  # the old adjoint is not mutated


def test_runtime_add_at_scalar_adjoint(dev):
    x = gpu(np.arange(6.0), dev)
    np.testing.assert_array_equal(runtime.add_at(None, x, 2, 1.0).get(), [0, 0, 1, 0, 0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis, indices", [(None, [[7, 7], [0, 13]]), (0, [3, 0, 3]),
                                           (1, [4, -1, 4, 4]), (-1, [[5], [5]])])
def test_take_and_take_grad(dev, axis, indices, dtype):
    x = data((4, 5, 6), dtype, 10)
    k = gpu(x, dev)
    y = np.take(k, indices, axis=axis)
    np.testing.assert_array_equal(y.get(), np.take(x, indices, axis=axis))
    np.testing.assert_array_equal(k.take(indices, axis).get(), np.take(x, indices, axis=axis))
    g = data(y.shape, dtype, 11)
    got = runtime.take_grad(gpu(g, dev), k, indices, axis)
    np.testing.assert_allclose(got.get(), runtime.take_grad(g, x, indices, axis), **TOL[dtype])


# ---------------------------------------------------------------- joining and splitting

def parts(shapes, dtype):
    return [data(s, dtype, 20 + k) for k, s in enumerate(shapes)]


JOINS = [
    ((7,), 0, [(3,), (1,), (5,)]),
    ((2, 3), 0, [(1, 3), (4, 3)]),
    ((2, 3), 1, [(2, 1), (2, 5), (2, 2)]),
    ((2, 3, 5), 0, [(1, 3, 5), (3, 3, 5)]),
    ((2, 3, 5), 1, [(2, 1, 5), (2, 4, 5), (2, 2, 5)]),
    ((2, 3, 5), 2, [(2, 3, 3), (2, 3, 1)]),
    ((2, 3, 5), -1, [(2, 3, 1), (2, 3, 7)]),
    ((2, 3, 5), None, [(2, 3), (5,), (1, 1, 1)]),
    ((31, 9), 1, [(31, 7), (31, 9)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("_shape, axis, shapes", JOINS, ids=lambda v: str(v))
def test_concatenate(dev, _shape, axis, shapes, dtype):
    xs = parts(shapes, dtype)
    y = np.concatenate([gpu(x, dev) for x in xs], axis=axis)
    np.testing.assert_array_equal(y.get(), np.concatenate(xs, axis=axis))
    # its adjoint: split_like cuts the gradient back into views shaped like the parts
    pieces = runtime.split_like(y, [gpu(x, dev) for x in xs], axis)
    for piece, x in zip(pieces, xs):
        np.testing.assert_array_equal(piece.get(), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 1, 3)])
def test_stack_each_axis(dev, shape, dtype):
    xs = parts([shape] * 3, dtype)
    ks = [gpu(x, dev) for x in xs]
    for axis in range(-len(shape) - 1, len(shape) + 1):
        y = np.stack(ks, axis=axis)
        np.testing.assert_array_equal(y.get(), np.stack(xs, axis=axis))
    for piece, x in zip(runtime.stack_grad(np.stack(ks, axis=1), ks, 1), xs):
        np.testing.assert_array_equal(piece.get(), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(2, 3), (2, 5)], [(1, 2, 3), (1, 4, 3)],
                                    [(), (3,)], [(4,), (4,)]])
def test_hstack_vstack(dev, shapes, dtype):
    xs = parts(shapes, dtype)
    ks = [gpu(x, dev) for x in xs]
    np.testing.assert_array_equal(np.hstack(ks).get(), np.hstack(xs))
    if len({np.atleast_2d(x).shape[1:] for x in xs}) == 1:
        np.testing.assert_array_equal(np.vstack(ks).get(), np.vstack(xs))


def test_lstm_hcat_and_gate_slices(dev):
    """charlm's np.hstack((input, hidden)) and the gate column slices."""
    inp, hidden = data((3, 11), np.float32, 1), data((3, 4), np.float32, 2)
    gates = np.hstack((gpu(inp, dev), gpu(hidden, dev)))
    np.testing.assert_array_equal(gates.get(), np.hstack((inp, hidden)))
    np.testing.assert_array_equal(gates[:, 4:8].get(), np.hstack((inp, hidden))[:, 4:8])


def test_concat_grads_and_mixed_operands(dev):
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 2))
    y = runtime.concat_grads([gpu(a, dev), gpu(b, dev)], [a, b], axis=1)
    np.testing.assert_array_equal(y.get(), np.concatenate([a, b], axis=1))
    mixed = np.concatenate([gpu(a, dev), b], axis=1)  # a NumPy operand is copied over
    np.testing.assert_array_equal(mixed.get(), np.concatenate([a, b], axis=1))


JOIN_ERRORS = [
    (lambda k: np.concatenate([k((2, 3)), k((3, 2))]), ValueError),
    (lambda k: np.concatenate([k((2, 3)), k((2,))]), ValueError),
    (lambda k: np.concatenate([k(()), k(())]), ValueError),
    (lambda k: np.concatenate([k((2, 3)), k((2, 3))], axis=2), ValueError),
    (lambda k: np.concatenate([k((2,)), k((2,), np.float32)]), TypeError),
    (lambda k: np.stack([k((2,)), k((3,))]), ValueError),
    (lambda k: np.concatenate([k((2,))], out=k((2,))), TypeError),
]


@pytest.mark.parametrize("make, error", JOIN_ERRORS)
def test_join_errors(dev, make, error):
    with pytest.raises(error):
        make(lambda shape, dtype=np.float64: gpu(np.zeros(shape, dtype), dev))


# ---------------------------------------------------------------- dropout

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.85])
def test_dropout_mask_rate_and_scale(dev, p, dtype):
    x = gpu(np.zeros((100, 1001), dtype), dev)
    knetc.seed(1)
    mask = knetc.stochastic.dropout_mask(x, p, training=True)
    assert isinstance(mask, KnetArray) and mask.shape == x.shape and mask.dtype == dtype
    m = mask.get()
    scale = dtype(1 / (1 - p))
    assert set(np.unique(m)) <= {dtype(0), scale}
    kept = m != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    # neighbours are independent: both kept at the rate (1-p)^2
    assert abs((kept[:, 1:] & kept[:, :-1]).mean() - (1 - p) ** 2) < 0.01
    assert abs((kept[1:] & kept[:-1]).mean() - (1 - p) ** 2) < 0.01


def test_dropout_is_reproducible_under_seed(dev):
    x = gpu(np.ones((31, 9), np.float32), dev)
    knetc.seed(7)
    first, second = (knetc.stochastic.dropout_mask(x, 0.5, training=True).get() for _ in range(2))
    knetc.seed(7)
    again = knetc.stochastic.dropout_mask(x, 0.5, training=True).get()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)  # the generator moves on between calls
    a = knetc.stochastic.dropout_mask(x, 0.5, training=True, seed=3).get()
    b = knetc.stochastic.dropout_mask(x, 0.5, training=True, seed=3).get()
    np.testing.assert_array_equal(a, b)


def test_dropout_switches_and_edges(dev):
    x = gpu(np.ones(257, np.float64), dev)
    assert knetc.stochastic.dropout_mask(x, 0.5) == 1  # not training: the scalar 1
    assert knetc.stochastic.dropout_mask(x, 0.0, training=True) == 1
    np.testing.assert_array_equal(knetc.stochastic.dropout_mask(x, 1.0, training=True).get(), 0)
    y = knetc.dropout(x, 0.25, training=True, seed=5)
    assert set(np.unique(y.get())) <= {0.0, 1 / 0.75}


# ---------------------------------------------------------------- through knetc.grad

def lookup_loss(w, x, ids):
    h = np.hstack((x, w[0][:, ids]))
    g = h[:, 1:5] * 2.0
    return np.sum(g * g) + np.sum(w[1][ids])


def dropout_loss(x, c):
    return np.sum(knetc.dropout(x, 0.5, training=True, seed=4) * c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_generated_gradient_on_the_device(dev, dtype):
    """The generated adjoint of indexing, hstack and slicing runs on KnetArrays unchanged."""
    rng = np.random.default_rng(0)
    w = [rng.standard_normal((3, 9)).astype(dtype), rng.standard_normal(9).astype(dtype)]
    x, ids = rng.standard_normal((3, 2)).astype(dtype), np.array([1, 1, 4, 8])
    expected = knetc.grad(lookup_loss)(w, x, ids)
    got = knetc.grad(lookup_loss)([gpu(a, dev) for a in w], gpu(x, dev), ids)
    for a, b in zip(got, expected):
        assert isinstance(a, KnetArray) and a.dtype == dtype
        np.testing.assert_allclose(a.get(), b, **TOL[dtype])


def test_dropout_gradient_uses_the_forward_mask(dev):
    x, c = gpu(np.ones((7, 33)), dev), gpu(data((7, 33), np.float64), dev)
    mask = knetc.stochastic.dropout_mask(x, 0.5, training=True, seed=4).get()
    np.testing.assert_allclose(knetc.grad(dropout_loss)(x, c).get(), mask * c.get())
