"""The elementwise GPU ops (knetc/cuda/elementwise.py, kernels/elementwise.cu) against NumPy,
run on the CPU emulator: unary functions, broadcasting arithmetic, comparisons, logic, where,
casts, fills and clip, on odd sizes, strided and unaligned views, in float32 and float64."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import cudaemu  # noqa: E402
from knetc.cuda import elementwise as E  # noqa: E402
from knetc.cuda.array import KnetArray  # noqa: E402

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None, reason="no C++ compiler")

DTYPES = [np.float32, np.float64]
BOOL = np.dtype(bool)
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


@pytest.fixture(scope="module")
def dev():
    return cudaemu.EmulatedDevice()


def rng(seed=0):
    return np.random.default_rng(seed)


def check(got, want, dtype=None):
    """got (a KnetArray) equals NumPy's want in shape, dtype and value (NaNs where NumPy's)."""
    assert isinstance(got, KnetArray)
    want = np.asarray(want)
    dtype = np.dtype(dtype or want.dtype)
    assert got.shape == want.shape and got.dtype == dtype, (got.shape, got.dtype, want.shape)
    assert got.is_contiguous
    if dtype not in RTOL:  # bool, integers
        np.testing.assert_array_equal(got.get(), want)
    else:
        np.testing.assert_allclose(got.get(), want.astype(dtype), rtol=RTOL[dtype],
                                   atol=RTOL[dtype] * 1e-3, equal_nan=True)


def tr(x):
    """The transpose of KnetArray x: a view of its buffer (these tests need no shape ops)."""
    return KnetArray(x.raw.T, x.device)


def part(x, index):
    """A basic-indexing view of KnetArray x's buffer."""
    return KnetArray(x.raw[index], x.device)


def layouts(a):
    """(name, NumPy array with a's values, its layout): contiguous, an unaligned contiguous
    view (offset by one element), a transposed (strided) view, a reversed view."""
    pad = np.empty(a.size + 1, a.dtype)
    pad[1:] = a.ravel()
    t = np.ascontiguousarray(np.swapaxes(a, 0, -1)) if a.ndim else a.copy()
    return [("contiguous", a.copy()), ("unaligned", pad[1:].reshape(a.shape)),
            ("transposed", np.swapaxes(t, 0, -1)), ("reversed", a[::-1] if a.ndim else a)]


# ---- unary ----

def positive(shape, dtype, seed=0):
    return rng(seed).uniform(0.1, 3.0, shape).astype(dtype)


def normal(shape, dtype, seed=0):
    x = rng(seed).standard_normal(shape).astype(dtype)
    x.ravel()[:3] = [0.0, -0.0, 1.0][: x.size]  # zeros for sign/relu/abs
    return x


UNARY = [  # (ufunc, input maker)
    (np.negative, normal), (np.absolute, normal), (np.exp, normal), (np.log, positive),
    (np.log1p, positive), (np.expm1, normal), (np.sqrt, positive), (np.square, normal),
    (np.tanh, normal), (np.sin, normal), (np.cos, normal), (np.sign, normal),
    (np.reciprocal, positive), (np.sinh, normal), (np.cosh, normal), (np.tan, normal),
    (np.arctan, normal), (np.floor, normal), (np.ceil, normal), (np.positive, normal),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ufunc, make", UNARY, ids=[u.__name__ for u, _ in UNARY])
def test_unary(dev, ufunc, make, dtype):
    for shape in [(2053,), (31, 7)]:  # 2053 float32: 513 vectors, over the emulated grid
        for _, x in layouts(make(shape, dtype)):
            check(ufunc(KnetArray(x, dev)), ufunc(x))
    x = make((), dtype)
    check(ufunc(KnetArray(x, dev)), ufunc(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations(dev, dtype):
    x = normal((257, 3), dtype) * 4
    x[0, :] = [1e4, -1e4, 0]
    for _, v in layouts(x):
        with np.errstate(over="ignore"):
            check(E.sigm(KnetArray(v, dev)), (1 / (1 + np.exp(-v.astype(float)))).astype(dtype))
        check(E.relu(KnetArray(v, dev)), np.maximum(v, 0))
    assert np.all(np.isfinite(E.sigm(KnetArray(x, dev)).get()))
    y, dy = rng(1).uniform(-1, 1, (2, 257, 3)).astype(dtype)
    y[0, 0] = 0.0
    Y, DY = KnetArray(y, dev), KnetArray(dy, dev)
    check(E.relu_backward(Y, DY), dy * (y > 0))
    check(E.sigm_backward(Y, DY), dy * y * (1 - y))
    check(E.tanh_backward(Y, DY), dy * (1 - y * y))
    check(E.relu_backward(Y, KnetArray(dy[0], dev)), dy[0] * (y > 0))  # broadcast dy


def test_nan_and_inf(dev):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -2.0], np.float32)
    X = KnetArray(x, dev)
    check(E.relu(X), np.maximum(x, 0))
    check(np.sign(X), np.sign(x))
    check(np.maximum(X, 1.0), np.maximum(x, 1.0))
    check(np.minimum(1.0, X), np.minimum(1.0, x))
    check(np.maximum(X, part(X, slice(None, None, -1))), np.maximum(x, x[::-1]))
    check(np.clip(X, -1, 1), np.clip(x, -1, 1))
    check(X > 0, x > 0)
    check(X != X, x != x)


# ---- binary arithmetic with broadcasting ----

PATTERNS = {  # name: (shape of a or "s" for a Python number, shape of b); "0" a 0-d array
    "same": ((2053,), (2053,)),
    "same_2d": ((31, 7), (31, 7)),
    "col_row": ((3, 1), (1, 4)),
    "row_bias": ((5,), (2, 3, 5)),
    "scalar_right": ((257, 3), "s"),
    "scalar_left": ("s", (257, 3)),
    "0d_right": ((31,), ()),
    "0d_left": ((), (31,)),
    "both_0d": ((), ()),
    "one": ((1,), (4, 3)),
    "one_right": ((4, 3), (1,)),
    "mid": ((4, 1, 3), (5, 1)),
}


def operand(spec, dtype, seed, low=0.5, high=2.0):
    """A NumPy operand for a PATTERNS entry: numbers as Python floats."""
    if spec == "s":
        return float(np.round(rng(seed).uniform(low, high), 3))
    return rng(seed).uniform(low, high, spec).astype(dtype)


def wrap(x, dev):
    return x if isinstance(x, float) else KnetArray(np.asarray(x), dev)


def signed(x):
    """Half the entries negated (not for power's base)."""
    if isinstance(x, float):
        return -x
    x = x.copy()
    x.ravel()[::2] *= -1
    return x


BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.power, np.maximum, np.minimum]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("ufunc", BINARY, ids=[u.__name__ for u in BINARY])
def test_binary(dev, ufunc, pattern, dtype):
    sa, sb = PATTERNS[pattern]
    a, b = operand(sa, dtype, 1), operand(sb, dtype, 2)
    if ufunc is not np.power:
        a = signed(a)
    got = ufunc(wrap(a, dev), wrap(b, dev))
    want = ufunc(a, b)
    check(got, np.asarray(want).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ufunc", BINARY, ids=[u.__name__ for u in BINARY])
def test_binary_strided_views(dev, ufunc, dtype):
    a = operand((7, 31), dtype, 3)
    b = operand((31, 7), dtype, 4)
    for (_, x), (_, y) in zip(layouts(a), layouts(b.T.copy())):
        check(ufunc(KnetArray(x, dev), KnetArray(y, dev)), ufunc(x, y))
    bt = tr(KnetArray(b, dev))  # a transposed view against a contiguous array
    check(ufunc(KnetArray(a, dev), bt), ufunc(a, b.T))
    check(ufunc(bt, 1.5), ufunc(b.T, dtype(1.5)))  # strided with a number
    c = operand((2, 3, 1, 5), dtype, 5)[:, ::2]  # sliced, then broadcast
    d = operand((4, 1), dtype, 6)
    check(ufunc(KnetArray(c, dev), KnetArray(d, dev)), ufunc(c, d))


def test_binary_kernels_chosen(dev):
    """Contiguous same shape, a number and a broadcast each take their own kernel."""
    x = KnetArray(np.ones((6, 5), np.float32), dev)
    cases = [(lambda: x + x, "binary_forward"), (lambda: x * 2, "binary_scalar_forward"),
             (lambda: 2 - x, "binary_scalar_forward"),
             (lambda: x / KnetArray(np.array(2, np.float32), dev), "binary_scalar_forward"),
             (lambda: x + part(x, 0), "binary_strided_forward"),
             (lambda: tr(x) * 2, "binary_strided_forward"),
             (lambda: np.exp(x), "unary_forward"), (lambda: np.exp(tr(x)), "unary_strided_forward")]
    for op, kernel in cases:
        del dev.launches[:]
        op()
        assert dev.launches == [("elementwise", kernel, "float32")]


@pytest.mark.parametrize("dtype", DTYPES)
def test_operators_and_reflected(dev, dtype):
    x = operand((31, 3), dtype, 7)
    X = KnetArray(x, dev)
    for got, want in [(X + 1, x + 1), (1 + X, 1 + x), (2.0 - X, 2.0 - x), (X - 2, x - 2),
                      (1 / X, 1 / x), (X / 3, x / 3), (3 * X, 3 * x), (-X, -x), (abs(-X), x),
                      (X ** 2, x ** 2), (X ** 3, x ** 3), (X ** 0.5, x ** 0.5), (X ** -1, 1 / x),
                      (X ** 1, x), (X ** 1.7, x ** 1.7), (2 ** X, 2 ** x), (X ** X, x ** x),
                      (np.float64(2) * X, (2 * x).astype(dtype)), (X * np.float32(2), 2 * x),
                      (X * np.array(2.0), 2 * x), (X + True, x + 1), (+X, x)]:
        check(got, np.asarray(want).astype(dtype))
    assert (X ** 1) is not X


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_array_operands_are_copied_over(dev, dtype):
    x = operand((4, 3), dtype, 8)
    b = rng(9).uniform(size=3)  # float64 on the host: meets x in x's dtype
    check(KnetArray(x, dev) + b, (x + b).astype(dtype))
    check(b - KnetArray(x, dev), (b - x).astype(dtype))
    check(KnetArray(x, dev) * np.array([True, False, True]), x * np.array([1, 0, 1], dtype))


# ---- bool operands in arithmetic ----

@pytest.mark.parametrize("dtype", DTYPES)
def test_bool_operands(dev, dtype):
    x, dh = normal((257, 3), dtype, 10), normal((257, 3), dtype, 11)
    X, DH = KnetArray(x, dev), KnetArray(dh, dev)
    mask = X > 0
    check(DH * mask, dh * (x > 0))
    check(mask * DH, (x > 0) * dh)
    check(DH * (part(X, np.s_[:, :1]) > 0), dh * (x[:, :1] > 0))  # broadcast mask
    check(tr(DH) * tr(mask), dh.T * (x > 0).T)  # strided both
    check(1.0 - mask, 1.0 - (x > 0))  # no float array: float64, as NumPy (and weak)
    check(mask / 2, (x > 0) / 2)
    check(DH - mask, dh - (x > 0))
    check(mask + mask, (x > 0) + (x > 0))  # bool, as NumPy
    check(mask * (X < 1), (x > 0) * (x < 1))
    check(np.maximum(mask, X < 1), np.maximum(x > 0, x < 1))
    with pytest.raises(TypeError, match="two bool arrays"):
        mask - mask


# ---- comparisons and logic ----

COMPARE = [np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal]
CMP_PATTERNS = ["same", "col_row", "row_bias", "scalar_right", "scalar_left", "0d_left"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pattern", CMP_PATTERNS)
@pytest.mark.parametrize("ufunc", COMPARE, ids=[u.__name__ for u in COMPARE])
def test_compare(dev, ufunc, pattern, dtype):
    sa, sb = PATTERNS[pattern]
    a, b = operand(sa, dtype, 12, 0, 3), operand(sb, dtype, 13, 0, 3)
    a = np.round(a) if isinstance(a, float) else np.round(a).astype(dtype)  # some ties
    b = np.round(b) if isinstance(b, float) else np.round(b).astype(dtype)
    check(ufunc(wrap(a, dev), wrap(b, dev)), ufunc(a, b), bool)


def test_compare_operators(dev):
    x = np.round(operand((31, 7), np.float64, 14, 0, 3))
    X = KnetArray(x, dev)
    for got, want in [(X > 1, x > 1), (1 > X, 1 > x), (X >= tr(tr(X)), x >= x),
                      (X < 1.5, x < 1.5), (X <= part(X, 0), x <= x[0]), (X == 1, x == 1),
                      (X != 1, x != 1), (tr(X) > 1, x.T > 1), (X > (X > 1), x > (x > 1))]:
        check(got, want, bool)


def test_logical(dev):
    a, b = rng(15).uniform(size=(2, 31, 7)) > 0.5
    A, B = KnetArray(a, dev), KnetArray(b, dev)
    for got, want in [(np.logical_and(A, B), a & b), (np.logical_or(A, B), a | b),
                      (np.logical_xor(A, B), a ^ b), (np.logical_not(A), ~a),
                      (A & B, a & b), (A | part(B, 0), a | b[0]), (np.logical_not(tr(A)), ~a.T),
                      (np.logical_and(A, True), a), (np.logical_and(A, False), a & False),
                      (np.logical_or(A, True), a | True), (np.logical_or(False, A), a),
                      (np.logical_xor(A, True), ~a), (np.logical_xor(A, 0.0), a)]:
        check(got, want, bool)
    x = np.array([0.0, -1.0, np.nan, 2.0], np.float32)  # floats: nonzero (NaN too) is true
    X = KnetArray(x, dev)
    check(np.logical_and(X, X > 0), np.logical_and(x, x > 0), bool)
    check(np.logical_not(X), np.logical_not(x), bool)
    check(np.copy(tr(A)), a.T, bool)


# ---- where ----

WHERE = [  # (condition shape, a, b): shapes, or "s" for a number
    ((31, 7), (31, 7), (31, 7)), ((31, 1), (31, 7), (7,)), ((31, 7), (31, 7), "s"),
    ((31, 7), "s", (31, 7)), ((5,), "s", "s"), ((), (3, 4), (4,)), ((2, 1, 4), (3, 1), ()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", WHERE, ids=str)
def test_where(dev, shapes, dtype):
    sc, sa, sb = shapes
    c = np.asarray(rng(16).uniform(size=sc) > 0.5)
    a, b = operand(sa, dtype, 17), operand(sb, dtype, 18)
    if sa == sb == "s":
        dtype = np.float64  # no float array to take the dtype from: float64, as NumPy
    check(np.where(KnetArray(c, dev), wrap(a, dev), wrap(b, dev)),
          np.asarray(np.where(c, a, b)).astype(dtype))


def test_where_variants(dev):
    x = normal((31, 7), np.float32, 19)
    X = KnetArray(x, dev)
    check(np.where(X > 0, X, 0), np.where(x > 0, x, 0))
    check(np.where(tr(X) > 0, 0.0, tr(X)), np.where(x.T > 0, 0.0, x.T))
    check(np.where(X, 1.0, X), np.where(x, 1.0, x))  # a float condition: nonzero
    check(np.where(True, X, 2.0), x)
    check(np.where(X > 0, X > 1, X < -1), np.where(x > 0, x > 1, x < -1), bool)
    check(np.where(X > 0, X > 1, X), np.where(x > 0, x > 1, x))  # bool branch as 0/1
    with pytest.raises(TypeError, match="all three"):
        np.where(X > 0)


# ---- casts, copies, fills, clip ----

CAST = [np.float32, np.float64, bool]


@pytest.mark.parametrize("target", CAST, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("source", CAST, ids=lambda d: np.dtype(d).name)
def test_astype(dev, source, target):
    x = normal((31, 7), np.float64, 20) * 1e3
    x[0, :3] = [0.5, np.nan, 1e-40]
    x = x.astype(source)
    for _, v in layouts(x):
        X = KnetArray(v, dev)
        for got in (E.astype(X, target), X.astype(target), np.astype(X, target)):
            check(got, v.astype(target))
            assert got is not X
    X = KnetArray(x, dev)
    assert E.astype(X, source, copy=False) is X


@pytest.mark.parametrize("source", [np.int32, np.int64])
def test_integer_arrays(dev, source):
    """Integer arrays (labels, argmax results) convert, compare exactly, and count as floats
    beside a float array."""
    i = np.array([[0, 3, -2], [2**40 + 1 if source is np.int64 else 7, 1, 0]], source)
    f = rng(27).uniform(-3, 3, (2, 3)).astype(np.float32)
    I, F = KnetArray(i, dev), KnetArray(f, dev)
    for target in CAST + [np.int32, np.int64]:
        if target is not np.int32:  # to int32: exact within int32's range (NumPy wraps)
            check(I.astype(target), i.astype(target))
        check(tr(KnetArray(i % 1000, dev)).astype(target), (i % 1000).T.astype(target))
    check(I == tr(tr(I)), i == i, bool)
    check(I == i[0, 0], i == i[0, 0], bool)
    check(I > F, i > f, bool)
    check(2 <= I, 2 <= i, bool)
    check(I * F, (i * f).astype(np.float32))
    check(np.where(I > 0, I, F), np.where(i > 0, i, f).astype(np.float32))
    check(np.logical_and(I, True), i != 0, bool)
    for view in (I, tr(I), part(I, np.s_[:, ::2])):  # copies keep integers bit for bit
        got = np.copy(view)
        assert got.dtype == source and np.array_equal(got.get(), view.get())


@pytest.mark.parametrize("target", [np.int32, np.int64])
@pytest.mark.parametrize("source", CAST, ids=lambda d: np.dtype(d).name)
def test_astype_to_integers(dev, source, target):
    x = (normal((31, 7), np.float64, 28) * 1e3).astype(source)  # truncation toward zero
    for _, v in layouts(x):
        check(KnetArray(v, dev).astype(target), v.astype(target))
    keep = KnetArray(x, dev) < 1.0  # a corpus program: (x < 1.0).astype(int) * x
    if source is not bool:
        check(keep.astype(int) * KnetArray(x, dev), ((x < 1.0).astype(int) * x).astype(source))


def test_copies(dev):
    x = normal((4, 5, 6), np.float64, 21)
    X = KnetArray(x, dev)
    for view, want in [(tr(X), x.T), (part(X, np.s_[:, ::2, 1:]), x[:, ::2, 1:]),
                       (part(X, slice(None, None, -1)), x[::-1]),
                       (KnetArray(np.broadcast_to(x[0], (3, 5, 6)), dev), [x[0]] * 3)]:
        for got in (np.copy(view), E.copy(view), E.contiguous(view)):
            check(got, want)
    assert E.contiguous(X) is X
    c = np.ascontiguousarray(tr(X), like=X)
    check(c, x.T)
    check(np.ascontiguousarray(X, np.float32, like=X), x.astype(np.float32))
    y = rng(22).standard_normal((3,) * 7)[(slice(None, None, 2),) * 7]  # 7 unmergeable dims
    with pytest.raises(ValueError, match="at most 6"):
        E.copy(KnetArray(y, dev))
    y = rng(22).standard_normal((2, 3, 2, 3, 2, 3))[:, ::2, :, ::2, :, ::2]
    check(np.exp(KnetArray(y, dev)), np.exp(y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, bool], ids=str)
def test_fills(dev, dtype):
    for shape in [(), (1,), (31,), (4099,), (7, 31), (0, 3)]:
        check(E.fill(shape, dtype, 3.5, dev), np.full(shape, 3.5, dtype))
        check(E.zeros(shape, dtype, dev), np.zeros(shape, dtype))
        check(E.ones(shape, dtype, dev), np.ones(shape, dtype))
    check(E.full(5, -2.25, dtype, dev), np.full(5, -2.25, dtype))
    x = KnetArray(normal((31, 7), np.float32, 23), dev)
    for got, want in [(np.zeros_like(x, dtype=dtype), np.zeros((31, 7), dtype)),
                      (np.ones_like(x, dtype, shape=(3, 2)), np.ones((3, 2), dtype)),
                      (np.full_like(x, 7, dtype=dtype), np.full((31, 7), 7, dtype)),
                      (np.zeros_like(tr(x), dtype), np.zeros((7, 31), dtype))]:
        check(got, want)
    e = np.empty_like(x, dtype=dtype, shape=4)
    assert e.shape == (4,) and e.dtype == dtype and isinstance(e, KnetArray)


def test_like_keep_dtype(dev):
    x = KnetArray(np.arange(6, dtype=np.float64).reshape(2, 3), dev)
    check(np.zeros_like(x), np.zeros((2, 3)))
    check(np.ones_like(x > 2), np.ones((2, 3), bool))
    check(np.full_like(x, 2.5), np.full((2, 3), 2.5))
    assert np.empty_like(x).dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip(dev, dtype):
    x = normal((257, 3), dtype, 24) * 2
    X = KnetArray(x, dev)
    lo, hi = operand((3,), dtype, 25, -1, 0), operand((257, 1), dtype, 26, 0, 1)
    for got, want in [(np.clip(X, -1, 1), np.clip(x, -1, 1)),
                      (np.clip(X, None, 0.5), np.clip(x, None, 0.5)),
                      (np.clip(X, a_min=-0.5, a_max=None), np.clip(x, -0.5, None)),
                      (np.clip(X, min=-0.25), np.clip(x, min=-0.25)),
                      (np.clip(tr(X), -1, np.float64(1)), np.clip(x.T, -1, 1)),
                      (X.clip(-1, 1), x.clip(-1, 1)),
                      (np.clip(X, KnetArray(lo, dev), KnetArray(hi, dev)), np.clip(x, lo, hi)),
                      (np.clip(X, KnetArray(lo, dev), 1), np.clip(x, lo, 1)),
                      (np.clip(X, 1, -1), np.clip(x, 1, -1))]:  # the upper bound wins
        check(got, want.astype(dtype))
    with pytest.raises(ValueError, match="at least one"):
        np.clip(X, None, None)


# ---- errors, empty arrays, launches ----

def test_errors(dev):
    f, d = KnetArray(np.ones(3, np.float32), dev), KnetArray(np.ones(3, np.float64), dev)
    for op in [lambda: f + d, lambda: np.maximum(d, f), lambda: f > d,
               lambda: np.where(f > 0, f, d), lambda: f * (d > 0) + d]:
        with pytest.raises(TypeError, match="float32 and float64"):
            op()
    i = KnetArray(np.arange(3), dev)
    for op in [lambda: np.exp(i), lambda: i + 1, lambda: i * (i > 0), lambda: i + i,
               lambda: np.where(f > 0, i, 0), lambda: f.astype(np.int16),
               lambda: E.fill(3, np.int64, 0, dev),
               lambda: KnetArray(np.ones(3, np.float16), dev) + 1,
               lambda: KnetArray(np.ones(3, np.uint8), dev).astype(np.float32)]:
        with pytest.raises(TypeError, match="float32 or float64"):
            op()
    with pytest.raises(TypeError, match="out="):
        np.exp(f, out=f)
    with pytest.raises(TypeError, match="takes KnetArrays, numbers"):
        f + "a"
    with pytest.raises(TypeError, match="float32 or float64"):
        np.exp(f > 0)
    with pytest.raises(ValueError, match="broadcast"):
        f + KnetArray(np.ones(4, np.float32), dev)
    with pytest.raises(ValueError, match="different devices"):
        f + KnetArray(np.ones(3, np.float32), cudaemu.EmulatedDevice())


def test_empty_arrays(dev):
    x = KnetArray(np.ones((0, 3), np.float32), dev)
    del dev.launches[:]
    for got in (np.exp(x), x + x, x * 2, x > 0, np.where(x > 0, x, 1), x.astype(bool),
                np.copy(x), x + np.ones(3, np.float32)):
        assert got.shape == (0, 3) and got.size == 0
    assert dev.launches == []


def test_ufunc_launches_an_elementwise_kernel(dev):
    for dtype in DTYPES:
        x = KnetArray(np.ones(5, dtype), dev)
        del dev.launches[:]
        y = np.exp(x)
        assert dev.launches == [("elementwise", "unary_forward", np.dtype(dtype).name)]
        check(y, np.full(5, np.e, dtype))


def test_bool_kernels_launch_as_float32(dev):
    m = KnetArray(np.array([True, False]), dev)
    del dev.launches[:]
    np.logical_not(m)
    E.fill(3, bool, 1, dev)
    assert dev.launches == [("elementwise", "logical_forward", "float32"),
                            ("elementwise", "fill_bool_forward", "float32")]
