"""Shape ops, matrix products, KnetArray methods, and moving trees with knetc.gpu / knetc.cpu.

Runs on the CPU emulator (tests/cudaemu) and, under `-m gpu`, on a real GPU. Views must launch
no kernel; products go to device.matmul (cuBLAS on a GPU) with transposed operands passed as
they are and anything else copied by knetc's copy kernel first.
"""
import collections
import copy
import pickle
import sys
import types

import numpy as np
import pytest

import knetc
import knetc.cuda
from knetc.cuda import linalg, shape
from knetc.cuda.array import KnetArray
from knetc import runtime
from knetc.runtime import linalg as rlinalg

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture(params=["emulated", pytest.param("cuda", marks=pytest.mark.gpu)])
def dev(request):
    return request.getfixturevalue(f"{request.param}_device")


def put(x, dev, dtype=None):
    x = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    return KnetArray(dev.from_host(x), dev)


def host(k):
    assert isinstance(k, KnetArray), type(k)
    return k.get()


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


class Launches:
    """Counts kernel launches on the device within a `with` block."""

    def __init__(self, dev):
        self.dev, self.count = dev, 0

    def __enter__(self):
        self.launch = self.dev.launch

        def counting(*args, **kwargs):
            self.count += 1
            return self.launch(*args, **kwargs)
        self.dev.launch = counting
        return self

    def __exit__(self, *exc):
        del self.dev.launch


# ---- views: same values as NumPy, no kernel ----

VIEWS = [
    ("transpose", (3, 4, 5), lambda np_, x: np_.transpose(x)),
    ("transpose_axes", (3, 4, 5), lambda np_, x: np_.transpose(x, (2, 0, 1))),
    ("transpose_array_axes", (3, 4, 5), lambda np_, x: np_.transpose(x, np.array([1, 2, 0]))),
    ("swapaxes", (3, 4, 5), lambda np_, x: np_.swapaxes(x, 0, -1)),
    ("moveaxis", (3, 4, 5), lambda np_, x: np_.moveaxis(x, 0, -1)),
    ("moveaxis_many", (3, 4, 5, 2), lambda np_, x: np_.moveaxis(x, (0, 1), (-1, 0))),
    ("reshape", (3, 4, 5), lambda np_, x: np_.reshape(x, (12, 5))),
    ("reshape_minus_one", (3, 4, 5), lambda np_, x: np_.reshape(x, (-1, 10))),
    ("reshape_int", (31,), lambda np_, x: np_.reshape(x, 31)),
    ("reshape_to_0d", (1, 1), lambda np_, x: np_.reshape(x, ())),
    ("reshape_transposed_mergeable", (3, 4, 5),
     lambda np_, x: np_.reshape(np_.transpose(x, (2, 0, 1)), (5, 12))),
    ("reshape_transposed_split", (6, 5),
     lambda np_, x: np_.reshape(np_.transpose(x), (5, 2, 3))),
    ("ravel", (257, 3), lambda np_, x: np_.ravel(x)),
    ("squeeze", (1, 3, 1, 4), lambda np_, x: np_.squeeze(x)),
    ("squeeze_axis", (1, 3, 1, 4), lambda np_, x: np_.squeeze(x, axis=2)),
    ("squeeze_axes", (1, 3, 1, 4), lambda np_, x: np_.squeeze(x, axis=(0, -2))),
    ("expand_dims", (3, 4), lambda np_, x: np_.expand_dims(x, 1)),
    ("expand_dims_many", (3, 4), lambda np_, x: np_.expand_dims(x, (0, -1))),
    ("expand_dims_transposed", (3, 4), lambda np_, x: np_.expand_dims(np_.transpose(x), 0)),
    ("broadcast_to", (4,), lambda np_, x: np_.broadcast_to(x, (3, 4))),
    ("broadcast_to_middle", (3, 1, 5), lambda np_, x: np_.broadcast_to(x, (2, 3, 7, 5))),
    ("broadcast_to_same", (3, 4), lambda np_, x: np_.broadcast_to(x, (3, 4))),
    ("broadcast_scalar_shape", (1,), lambda np_, x: np_.broadcast_to(x, 5)),
    ("atleast_1d", (), lambda np_, x: np_.atleast_1d(x)),
    ("atleast_2d", (5,), lambda np_, x: np_.atleast_2d(x)),
    ("atleast_3d", (5,), lambda np_, x: np_.atleast_3d(x)),
    ("atleast_3d_2d", (2, 5), lambda np_, x: np_.atleast_3d(x)),
    ("slice_then_transpose", (4, 6), lambda np_, x: np_.transpose(x)),
    ("T", (3, 4), lambda np_, x: x.T),
    ("mT", (2, 3, 4), lambda np_, x: x.mT),
    ("method_transpose", (3, 4, 5), lambda np_, x: x.transpose(1, 0, 2)),
    ("method_transpose_tuple", (3, 4, 5), lambda np_, x: x.transpose((1, 0, 2))),
    ("method_transpose_none", (3, 4, 5), lambda np_, x: x.transpose()),
    ("method_reshape", (3, 4, 5), lambda np_, x: x.reshape(4, 15)),
    ("method_reshape_tuple", (3, 4, 5), lambda np_, x: x.reshape((60,))),
    ("method_ravel", (3, 4), lambda np_, x: x.ravel()),
    ("method_squeeze", (3, 1), lambda np_, x: x.squeeze()),
    ("method_swapaxes", (3, 4), lambda np_, x: x.swapaxes(0, 1)),
]


@pytest.mark.parametrize("name, shp, f", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_view_matches_numpy_and_launches_nothing(dev, name, shp, f, dtype):
    x = rand(shp, dtype)
    k = put(x, dev)
    if name == "slice_then_transpose":  # a strided view to start from
        x, k = x[1:3], KnetArray(k.raw[1:3], dev)
    with Launches(dev) as launches:
        got = f(np, k)
    want = f(np, x)
    assert isinstance(got, KnetArray)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(host(got), want)
    assert launches.count == 0, f"{name} launched {launches.count} kernels"


COPIES = [  # reshapes that no strides express: one copy kernel, as NumPy copies
    ("transposed_flat", (3, 4), lambda np_, x: np_.reshape(np_.transpose(x), -1)),
    ("sliced_flat", (4, 6), lambda np_, x: np_.reshape(x[:, 1:4], 12)),
    ("broadcast_flat", (1, 5), lambda np_, x: np_.reshape(np_.broadcast_to(x, (3, 5)), 15)),
    ("order_F", (3, 4), lambda np_, x: np_.reshape(x, (4, 3), order="F")),
    ("ravel_transposed", (257, 3), lambda np_, x: np_.ravel(np_.transpose(x))),
    ("flatten", (3, 4), lambda np_, x: x.flatten()),
    ("flatten_transposed", (3, 4), lambda np_, x: x.T.flatten()),
    ("copy", (3, 4), lambda np_, x: np_.copy(x)),
    ("method_copy", (3, 4), lambda np_, x: x.copy()),
    ("reshape_copy_true", (3, 4), lambda np_, x: np_.reshape(x, (4, 3), copy=True)),
]


@pytest.mark.parametrize("name, shp, f", COPIES, ids=[c[0] for c in COPIES])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_copying_reshape_matches_numpy(dev, name, shp, f, dtype):
    x = rand(shp, dtype)
    k = put(x, dev)
    with Launches(dev) as launches:
        got = f(np, k)
    want = f(np, x)
    np.testing.assert_array_equal(host(got), want)
    assert got.is_contiguous or got.raw.flags.f_contiguous  # order="F" gives column-major
    assert launches.count == 1
    assert not np.shares_memory(host(k), host(got))


def test_flatten_is_a_new_buffer(emulated_device):
    k = put(np.arange(6.0).reshape(2, 3), emulated_device)
    assert not np.shares_memory(k.flatten().raw, k.raw)
    assert np.shares_memory(k.ravel().raw, k.raw)


@pytest.mark.parametrize("n", [1, 31, 257])
def test_split_is_views(dev, n):
    x = rand((n, 3))
    k = put(x, dev)
    with Launches(dev) as launches:
        for f in (lambda np_, a: np_.split(a, [n // 3, n // 2]),
                  lambda np_, a: np_.array_split(a, 3),
                  lambda np_, a: np_.split(a, 3, axis=1),
                  lambda np_, a: np_.split(a, [1], axis=-1)):
            got, want = f(np, k), f(np, x)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(host(g), w)
    assert launches.count == 0


def test_shape_queries(dev):
    k = put(rand((3, 4, 5)), dev)
    assert np.shape(k) == (3, 4, 5) and np.ndim(k) == 3 and np.size(k) == 60
    assert np.size(k, 1) == 4 and np.size(k, -1) == 5 and np.size(k, (0, 2)) == 15
    assert len(k) == 3 and k.itemsize == 8 and k.nbytes == 480
    z = put(np.float64(2.5), dev)
    assert np.shape(z) == () and np.ndim(z) == 0 and np.size(z) == 1


def test_iteration_yields_row_views(dev):
    x = rand((4, 3))
    k = put(x, dev)
    with Launches(dev) as launches:
        rows = list(k)
    assert launches.count == 0 and len(rows) == 4
    for row, want in zip(rows, x):
        assert isinstance(row, KnetArray) and row.shape == (3,)
        np.testing.assert_array_equal(host(row), want)
    with pytest.raises(TypeError, match="0-d"):
        iter(put(np.float64(1.0), dev))


def test_item_float_and_format(dev):
    k = put(np.array([[2.5]]), dev)
    assert k.item() == 2.5 and float(k) == 2.5 and f"{k:.2f}" == "2.50"
    with pytest.raises(ValueError, match="size 1"):
        put(np.ones(3), dev).item()


SHAPE_ERRORS = [
    ("reshape_size", lambda k: np.reshape(k, (5, 5)), ValueError, "cannot reshape"),
    ("reshape_two_unknown", lambda k: np.reshape(k, (-1, -1)), ValueError, "one unknown"),
    ("reshape_order", lambda k: np.reshape(k, 12, order="X"), ValueError, "order"),
    ("squeeze_not_one", lambda k: np.squeeze(k, axis=0), ValueError, "size not equal to one"),
    ("broadcast_bad", lambda k: np.broadcast_to(k, (3, 5)), ValueError, "broadcast"),
    ("broadcast_fewer_dims", lambda k: np.broadcast_to(k, (4,)), ValueError, "broadcast"),
    ("transpose_axes", lambda k: np.transpose(k, (0, 0)), ValueError, "don't match"),
    ("axis_range", lambda k: np.swapaxes(k, 0, 2), np.exceptions.AxisError, "out of bounds"),
    ("expand_repeated", lambda k: np.expand_dims(k, (0, 0)), ValueError, "repeated"),
    ("split_uneven", lambda k: np.split(k, 0), ValueError, "larger than 0"),
    ("no_kernel", lambda k: np.cumsum(k), TypeError, "no GPU kernel for np.cumsum"),
    ("no_kernel_method", lambda k: k.cumsum(), TypeError, "no GPU kernel for np.cumsum"),
    ("no_host_copy", lambda k: np.asarray(k), TypeError, "will not copy a KnetArray"),
]


@pytest.mark.parametrize("f, error, match", [e[1:] for e in SHAPE_ERRORS],
                         ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_errors(emulated_device, f, error, match):
    k = put(rand((3, 4)), emulated_device)
    with pytest.raises(error, match=match):
        f(k)


# ---- matrix products ----

PRODUCTS = [  # (name, a shape, b shape, f)
    ("mm", (3, 4), (4, 5), np.matmul),
    ("mm_odd", (31, 257), (257, 3), np.matmul),
    ("mm_ones", (1, 1), (1, 1), np.matmul),
    ("mm_row_col", (1, 7), (7, 1), np.matmul),
    ("mm_empty_inner", (3, 0), (0, 2), np.matmul),
    ("mm_empty_rows", (0, 4), (4, 2), np.matmul),
    ("mv", (3, 4), (4,), np.matmul),
    ("vm", (4,), (4, 5), np.matmul),
    ("vv", (31,), (31,), np.matmul),
    ("batched", (2, 3, 4), (2, 4, 5), np.matmul),
    ("stack_times_matrix", (2, 3, 4), (4, 5), np.matmul),
    ("matrix_times_stack", (3, 4), (2, 4, 5), np.matmul),
    ("batch_broadcast", (1, 3, 4), (2, 4, 5), np.matmul),
    ("batch_broadcast_4d", (2, 1, 3, 4), (1, 3, 4, 2), np.matmul),
    ("stack_times_vector", (2, 3, 4), (4,), np.matmul),
    ("vector_times_stack", (4,), (2, 4, 5), np.matmul),
    ("dot_mm", (3, 4), (4, 5), np.dot),
    ("dot_mv", (3, 4), (4,), np.dot),
    ("dot_vv", (4,), (4,), np.dot),
    ("dot_nd", (2, 3, 4), (5, 4, 2), np.dot),
    ("outer", (3,), (5,), np.outer),
    ("outer_flattens", (2, 2), (3,), np.outer),
    ("inner", (3, 4), (5, 4), np.inner),
    ("tensordot_2", (3, 4, 5), (4, 5, 2), np.tensordot),
    ("tensordot_axes", (3, 4, 5), (5, 3), lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0]))),
    ("tensordot_0", (3,), (2,), lambda a, b: np.tensordot(a, b, axes=0)),
    ("operator", (3, 4), (4, 5), lambda a, b: a @ b),
    ("method_dot", (3, 4), (4, 5), lambda a, b: a.dot(b)),
]


@pytest.mark.parametrize("name, sa, sb, f", PRODUCTS, ids=[p[0] for p in PRODUCTS])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_product_matches_numpy(dev, name, sa, sb, f, dtype):
    a, b = rand(sa, dtype, 1), rand(sb, dtype, 2)
    got = f(put(a, dev), put(b, dev))
    want = f(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(host(got), want, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_transposed_operands_are_not_copied(emulated_device, dtype):
    a, b = rand((5, 3), dtype, 1), rand((7, 5), dtype, 2)
    ka, kb = put(a, emulated_device), put(b, emulated_device)
    with Launches(emulated_device) as launches:
        got = ka.T @ kb.T
    np.testing.assert_allclose(host(got), a.T @ b.T, **TOL[dtype])
    assert launches.count == 0


def test_sliced_and_broadcast_operands_are_copied_by_our_kernel(emulated_device):
    a, b = rand((6, 8), seed=1), rand((4,), seed=2)
    ka, kb = put(a, emulated_device), put(b, emulated_device)
    sliced = KnetArray(ka.raw[::2, 2:6], emulated_device)  # neither row- nor column-major
    broadcast = np.broadcast_to(shape.expand_dims(kb, 1), (4, 3))
    with Launches(emulated_device) as launches:
        got = sliced @ broadcast
    np.testing.assert_allclose(host(got), a[::2, 2:6] @ np.broadcast_to(b[:, None], (4, 3)))
    assert launches.count == 2


def test_mixed_numpy_operand_moves_to_the_device(dev):
    a, b = rand((3, 4), np.float32, 1), rand((4, 2), np.float64, 2)
    got = put(a, dev) @ b  # a float64 constant meets a float32 array: float32 on the device
    assert isinstance(got, KnetArray) and got.dtype == np.float32
    np.testing.assert_allclose(host(got), a @ b.astype(np.float32), rtol=1e-5)
    got = b.T @ put(a.T.astype(np.float64), dev)
    np.testing.assert_allclose(host(got), b.T @ a.T, rtol=1e-6)


PRODUCT_ERRORS = [
    ("core_mismatch", lambda a, b: a @ a, ValueError, "mismatch"),
    ("scalar", lambda a, b: np.matmul(a, 2.0), ValueError, "enough dimensions"),
    ("dtypes", lambda a, b: a @ b, TypeError, "one dtype"),
    ("out", lambda a, b: np.matmul(a, a.T, out=a), TypeError, "out="),
    ("tensordot_mismatch", lambda a, b: np.tensordot(a, a, axes=([0], [1])), ValueError,
     "shape-mismatch"),
]


@pytest.mark.parametrize("f, error, match", [e[1:] for e in PRODUCT_ERRORS],
                         ids=[e[0] for e in PRODUCT_ERRORS])
def test_product_errors(emulated_device, f, error, match):
    a = put(rand((3, 4)), emulated_device)
    b = put(rand((4, 2), np.float32), emulated_device)
    with pytest.raises(error, match=match):
        f(a, b)


def test_integer_product_is_refused(emulated_device):
    k = put(np.arange(6).reshape(2, 3), emulated_device)
    with pytest.raises(TypeError, match="float32 or float64"):
        linalg.matmul(k, k.T)


MATMUL_GRADS = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((1, 3, 4), (2, 4, 5))]


@pytest.mark.parametrize("sa, sb", MATMUL_GRADS, ids=[f"{a}@{b}" for a, b in MATMUL_GRADS])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_runtime_matmul_grads(dev, sa, sb, dtype):
    a, b = rand(sa, dtype, 1), rand(sb, dtype, 2)
    g = rand(np.matmul(a, b).shape, dtype, 3)
    ka, kb, kg = put(a, dev), put(b, dev), put(g, dev)
    for fn in (rlinalg.matmul_grad_a, rlinalg.matmul_grad_b):
        got, want = fn(kg, ka, kb), fn(g, a, b)
        assert isinstance(got, KnetArray) and got.shape == want.shape
        np.testing.assert_allclose(host(got), want, **TOL[dtype])


@pytest.mark.parametrize("sa, sb", [((3, 4), (4, 5)), ((2, 3, 4), (5, 4, 2)), ((3,), (3, 2))])
def test_runtime_dot_grads(dev, sa, sb):
    a, b = rand(sa, seed=1), rand(sb, seed=2)
    g = rand(np.dot(a, b).shape, seed=3)
    for fn in (rlinalg.dot_grad_a, rlinalg.dot_grad_b):
        np.testing.assert_allclose(host(fn(put(g, dev), put(a, dev), put(b, dev))),
                                   fn(g, a, b), rtol=1e-12)


# ---- composites: np.var, np.std, np.all, np.any from other ops ----

COMPOSITES = [
    ("var", lambda np_, x: np_.var(x)),
    ("var_axis_ddof", lambda np_, x: np_.var(x, axis=0, ddof=1)),
    ("var_keepdims", lambda np_, x: np_.var(x, axis=(0, 2), keepdims=True)),
    ("std", lambda np_, x: np_.std(x, axis=-1)),
    ("std_method", lambda np_, x: x.std(axis=1, keepdims=True)),
    ("var_method", lambda np_, x: x.var()),
    ("all", lambda np_, x: np_.all(x > -1.0)),
    ("all_axis", lambda np_, x: np_.all(x > -0.5, axis=1)),
    ("any", lambda np_, x: np_.any(x > 2.0)),
    ("any_float_keepdims", lambda np_, x: np_.any(x, axis=0, keepdims=True)),
    ("all_method", lambda np_, x: (x < 1.0).all(axis=2)),
]


@pytest.mark.parametrize("f", [c[1] for c in COMPOSITES], ids=[c[0] for c in COMPOSITES])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_composite_matches_numpy(dev, f, dtype):
    x = rand((3, 31, 2), dtype)
    got, want = f(np, put(x, dev)), f(np, x)
    assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(host(got), want, **TOL[dtype])


def test_all_any_of_empty(emulated_device):
    k = put(np.zeros((0, 3)), emulated_device)
    assert bool(np.all(k)) and not bool(np.any(k))
    np.testing.assert_array_equal(host(np.all(k, axis=0)), [True] * 3)


# ---- the runtime helpers generated gradients call, on KnetArrays ----

def _tree_close(got, want, path="result"):
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want), path
        for i, (a, b) in enumerate(zip(got, want)):
            _tree_close(a, b, f"{path}[{i}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, KnetArray), f"{path}: {type(got).__name__}"
        assert got.shape == want.shape and got.dtype == want.dtype, path
        np.testing.assert_allclose(got.get(), want, rtol=1e-12, err_msg=path)
    else:
        assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
        assert got == want, path


X34 = rand((3, 4), seed=5)
G34 = rand((3, 4), seed=6)
RUNTIME = [  # (name, helper, args): every array argument moves to the device
    ("unbroadcast_row", runtime.unbroadcast, (G34, rand((1, 4)))),
    ("unbroadcast_lead", runtime.unbroadcast, (rand((2, 3, 4)), rand((4,)))),
    ("unbroadcast_column", runtime.unbroadcast, (G34, rand((3, 1)))),
    ("unbroadcast_same", runtime.unbroadcast, (G34, X34)),
    ("unreduce_all", runtime.unreduce, (np.float64(2.0) + np.zeros(()), X34, None, False)),
    ("unreduce_axis", runtime.unreduce, (rand((4,)), X34, 0, False)),
    ("unreduce_axes", runtime.unreduce, (rand((3,)), rand((2, 3, 4)), (0, 2), False)),
    ("unreduce_keepdims", runtime.unreduce, (rand((3, 1)), X34, 1, True)),
    ("extremum_axis", runtime.extremum_grad, (rand((4,)), np.max(X34, 0), X34, 0, False)),
    ("extremum_tie", runtime.extremum_grad, (np.ones(()), np.max(np.ones((2, 2))),
                                             np.ones((2, 2)))),
    ("var_grad", runtime.var_grad, (rand((4,)), X34, 0, 1, False)),
    ("clip_grad", runtime.clip_grad, (G34, X34, -0.5, 0.5)),
    ("clip_grad_keyword", runtime.clip_grad, (G34, X34, None, None, None, 0.1)),
    ("clip_bound_grad", runtime.clip_bound_grad, (G34, X34, rand((1, 4)), True)),
    ("where_grad", runtime.where_grad, (G34, X34 > 0, rand((4,)), True)),
    ("where_grad_second", runtime.where_grad, (G34, X34 > 0, X34, False)),
    ("transpose_grad", runtime.transpose_grad, (rand((4, 2, 3)), ((2, 0, 1),))),
    ("transpose_grad_none", runtime.transpose_grad, (G34, None)),
    ("split_like", runtime.split_like, (rand((3, 7)), [rand((3, 2)), rand((3, 5))], 1)),
    ("split_like_flat", runtime.split_like, (rand((7,)), [rand((2,)), rand((5,))], None)),
    ("stack_grad", runtime.stack_grad, (rand((3, 2, 4)), [X34, X34, X34], 1)),
    ("vstack_grad", runtime.vstack_grad, (rand((3, 4)), [rand((4,)), rand((2, 4))])),
    ("concat_grads", runtime.concat_grads, ([G34, None], [X34, X34], 0)),
    ("matmul_grad_a", runtime.matmul_grad_a, (G34, rand((3, 5)), rand((5, 4)))),
    ("dot_grad_b", runtime.dot_grad_b, (rand((4,)), rand((3,)), rand((3, 4)))),
    ("astype_grad", runtime.astype_grad, (G34.astype(np.float32), X34,
                                          X34.astype(np.float32))),
    ("copy_grad", runtime.copy_grad, (G34, X34)),
    ("sum_grad", runtime.sum_grad, (G34, [X34, rand((1, 4))])),
]


@pytest.mark.parametrize("helper, args", [r[1:] for r in RUNTIME], ids=[r[0] for r in RUNTIME])
def test_runtime_helper_on_device(dev, helper, args):
    want = helper(*copy.deepcopy(args))
    got = helper(*knetc.gpu(copy.deepcopy(args), device=dev))
    if isinstance(want, list):  # GradList
        got, want = list(got), list(want)
    _tree_close(got, want)


def test_zero_seed_and_finalize_on_device(dev):
    x = put(X34, dev)
    z = runtime.zero_grad(x)
    assert isinstance(z, KnetArray) and z.shape == (3, 4) and not np.any(z.get())
    labels = put(np.array([1, 2]), dev)
    assert runtime.zero_grad(labels).dtype == np.int64
    loss = np.sum(x)
    seed = runtime.seed_grad(loss)
    assert isinstance(seed, KnetArray) and seed.shape == () and seed.item() == 1.0
    with pytest.raises(knetc.NonScalarError, match="shape \\(3, 4\\)"):
        runtime.seed_grad(x)
    # finalize: None -> zeros; a broadcast view -> a contiguous array; a float adjoint
    assert not np.any(runtime.finalize_grad(None, x).get())
    view = np.broadcast_to(put(np.arange(4.0), dev), (3, 4))
    final = runtime.finalize_grad(view, x)
    assert final.is_contiguous and np.array_equal(final.get(), np.broadcast_to(np.arange(4.0),
                                                                                (3, 4)))
    summed = runtime.finalize_grad(put(G34, dev), put(rand((1, 4)), dev))
    np.testing.assert_allclose(summed.get(), G34.sum(0, keepdims=True))
    assert runtime.finalize_grad(put(G34, dev), 2.0) == pytest.approx(G34.sum())
    assert type(runtime.finalize_grad(put(G34, dev), 2.0)) is float
    assert runtime.finalize_grad(3.0, x).get().tolist() == [[3.0] * 4] * 3
    f32 = runtime.finalize_grad(put(G34, dev), put(X34.astype(np.float32), dev))
    assert f32.dtype == np.float32
    host_grad = runtime.finalize_grad(put(G34, dev), X34)  # a NumPy argument's adjoint
    assert type(host_grad) is np.ndarray
    with pytest.raises(TypeError, match="assignment into the elements"):
        runtime.snapshot(x)
    rows = runtime.sequence_grad([None, put(G34[1], dev), None], x)
    np.testing.assert_array_equal(rows.get(), np.stack([np.zeros(4), G34[1], np.zeros(4)]))


# ---- KnetArray(x), knetc.gpu, knetc.cpu ----

@pytest.fixture
def default(emulated_device):
    """The emulator as knetc.cuda's default device for one test."""
    previous = knetc.cuda.use(emulated_device)
    yield emulated_device
    knetc.cuda.use(previous)


@pytest.mark.parametrize("x, dtype", [(np.arange(6.0).reshape(2, 3), np.float64),
                                      (np.ones(3, np.float32), np.float32),
                                      ([1.0, 2.0], np.float64), ([[1, 2]], np.int64),
                                      (2.5, np.float64)])
def test_constructor_moves_to_the_default_device(default, x, dtype):
    k = KnetArray(x)
    assert k.device is default and k.dtype == dtype and k.shape == np.shape(x)
    np.testing.assert_array_equal(k.get(), np.asarray(x))
    assert KnetArray(k).raw is k.raw  # wrapping a KnetArray copies nothing


def test_copy_deepcopy_and_pickle(default):
    k = KnetArray(np.arange(3.0))
    for c in (copy.copy(k), copy.deepcopy(k), k.copy()):
        assert c.device is default and not np.shares_memory(c.raw, k.raw)
        np.testing.assert_array_equal(c.get(), [0.0, 1.0, 2.0])
    twice = copy.deepcopy([k, k])
    assert twice[0] is twice[1] and twice[0] is not k
    back = pickle.loads(pickle.dumps(k))
    assert back.device is default
    np.testing.assert_array_equal(back.get(), k.get())


class Model:
    def __init__(self, w, b, name):
        self.w, self.b, self.name = w, b, name


Pair = collections.namedtuple("Pair", "w b")


def test_gpu_and_cpu_move_trees(default):
    rng = np.random.default_rng(0)
    w32 = rng.standard_normal((3, 2)).astype(np.float32)
    tree = {"layers": [(rng.standard_normal((2, 3)), rng.standard_normal(2))],
            "pair": Pair(w32, 0.5), "labels": np.array([0, 2, 1], dtype=np.int32),
            "mask": np.array([True, False]), "model": Model(rng.standard_normal(4), 1.5, "m"),
            "lr": 0.1, "name": "net", "steps": 3, "words": np.array(["a", "b"])}
    moved = knetc.gpu(tree)
    assert isinstance(moved["layers"], list) and isinstance(moved["layers"][0], tuple)
    assert isinstance(moved["pair"], Pair) and moved["pair"].b == 0.5
    for leaf in (*moved["layers"][0], moved["pair"].w, moved["labels"], moved["mask"],
                 moved["model"].w):
        assert isinstance(leaf, KnetArray) and leaf.device is default
    assert moved["layers"][0][0].dtype == np.float64 and moved["pair"].w.dtype == np.float32
    assert moved["labels"].dtype == np.int64 and moved["mask"].dtype == np.bool_
    assert isinstance(moved["model"], Model) and moved["model"] is not tree["model"]
    assert moved["model"].b == 1.5 and moved["model"].name == "m"
    assert moved["lr"] == 0.1 and moved["name"] == "net" and moved["steps"] == 3
    assert moved["words"] is tree["words"]  # strings have no GPU form: left on the host
    assert isinstance(tree["layers"][0][0], np.ndarray)  # the original is untouched

    back = knetc.cpu(moved)
    assert isinstance(back["model"], Model) and isinstance(back["pair"], Pair)
    np.testing.assert_array_equal(back["layers"][0][1], tree["layers"][0][1])
    np.testing.assert_array_equal(back["model"].w, tree["model"].w)
    assert back["pair"].w.dtype == np.float32 and back["labels"].dtype == np.int64
    assert isinstance(knetc.cpu(moved["pair"].w), np.ndarray)


def test_gpu_of_one_array_and_explicit_device(emulated_device):
    x = np.arange(4.0)
    k = knetc.gpu(x, device=emulated_device)
    assert isinstance(k, KnetArray) and k.device is emulated_device
    assert knetc.gpu(k, device=emulated_device) is k
    np.testing.assert_array_equal(knetc.cpu(k), x)
    assert knetc.cpu(x) is x and knetc.gpu(1.5, device=emulated_device) == 1.5


def test_gpu_without_cupy_raises_one_clear_error(monkeypatch):
    monkeypatch.setattr(knetc.cuda, "_default", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` fails
    with pytest.raises(knetc.NoGPUError, match="knetc.gpu needs CuPy"):
        knetc.gpu([np.ones(2)])
    with pytest.raises(knetc.cuda.NoGPUError):
        KnetArray(np.ones(2))
    assert knetc.NoGPUError is knetc.cuda.NoGPUError


def test_grad_takes_and_returns_cupy_arrays(monkeypatch, emulated_device):
    """Raw CuPy arrays given to a knetc.grad function are wrapped on entry and the gradients
    come back as the same array type (a stand-in `cupy` module backs them by the emulator)."""
    class FakeCupyArray(np.ndarray):
        pass

    fake = types.ModuleType("cupy")
    fake.ndarray = FakeCupyArray
    fake.asnumpy = np.asarray
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(knetc.cuda, "device_of",
                        lambda x: emulated_device if isinstance(x, FakeCupyArray) else None)

    def loss(p, x):
        return np.sum((p["w"] @ x) ** 2) * p["s"]

    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    p = {"w": w.view(FakeCupyArray), "s": 0.5}
    value, g = knetc.value_and_grad(loss)(p, x.view(FakeCupyArray))
    want_value, want = knetc.value_and_grad(loss)({"w": w, "s": 0.5}, x)
    assert isinstance(g["w"], np.ndarray) and not isinstance(g["w"], KnetArray)
    assert isinstance(g["s"], float)
    np.testing.assert_allclose(g["w"], want["w"], rtol=1e-12)
    np.testing.assert_allclose(g["s"], want["s"], rtol=1e-12)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    assert knetc.cpu(p["w"]) is not None  # cpu() of a CuPy array: cupy.asnumpy


def _square_sum(w):
    return np.sum(w ** 2)


def test_numpy_grad_path_does_not_touch_devices(monkeypatch):
    """Without CuPy loaded, a NumPy gradient never looks at knetc.cuda (no wrapping)."""
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(knetc.cuda.transfer, "wrap_cupy", None)  # would fail if called
    g = knetc.grad(_square_sum)(np.arange(3.0))
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0])
