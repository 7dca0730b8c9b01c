"""Tests of knetc.check_grads with hand-written gradients, correct and deliberately wrong."""
import copy
from collections import namedtuple

import numpy as np
import pytest

import knetc
from knetc import check_grads
from knetc.nn import logsumexp, nll, relu, softmax, sumabs2

rng = np.random.default_rng(0)


def test_array_argument():
    def f(x):
        return np.sum(np.sin(x) * x)

    def df(x):
        return np.cos(x) * x + np.sin(x)

    check_grads(f, rng.standard_normal((3, 4)), grad_fn=df)
    check_grads(f, rng.standard_normal(5).astype(np.float32),
                grad_fn=lambda x: df(x).astype(np.float32))


def linear_loss(w, x, y):
    return sumabs2(y - (w[0] @ x + w[1])) / y.shape[1]


def linear_grad(w, x, y):
    r = -2 * (y - (w[0] @ x + w[1])) / y.shape[1]
    return [r @ x.T, float(np.sum(r))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_list_of_array_and_float(dtype):
    w = [rng.standard_normal((1, 3)).astype(dtype), 0.5]
    x, y = rng.standard_normal((3, 8)).astype(dtype), rng.standard_normal((1, 8)).astype(dtype)
    before = copy.deepcopy(w)
    check_grads(linear_loss, w, x, y, grad_fn=linear_grad)
    # The caller's arguments are untouched.
    np.testing.assert_array_equal(w[0], before[0])
    assert w[1] == before[1]


def mlp_loss(params, x, labels):
    h = relu(params["w"][0] @ x + params["b"][0])
    return nll(params["w"][1] @ h + params["b"][1], labels)


def mlp_grad(params, x, labels):
    (w0, w1), (b0, b1) = params["w"], params["b"]
    h = relu(w0 @ x + b0)
    p = softmax(w1 @ h + b1)
    p[labels, np.arange(x.shape[1])] -= 1
    dz = p / x.shape[1]
    dh = (w1.T @ dz) * (h > 0)
    return {"w": [dh @ x.T, dz @ h.T],
            "b": (dh.sum(1, keepdims=True), dz.sum(1, keepdims=True)), "name": None}


def mlp_params(dtype):
    r = np.random.default_rng(1)
    params = {"w": [r.standard_normal((8, 6)), r.standard_normal((4, 8))],
              "b": (r.standard_normal((8, 1)), r.standard_normal((4, 1))),
              "name": "mlp", "nlayers": 2, "mask": np.arange(3)}
    params["w"] = [w.astype(dtype) for w in params["w"]]
    params["b"] = tuple(b.astype(dtype) for b in params["b"])
    x = r.standard_normal((6, 10)).astype(dtype)
    return params, x, r.integers(0, 4, size=10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dict_with_nested_lists_tuples_and_skipped_leaves(dtype):
    params, x, labels = mlp_params(dtype)
    check_grads(mlp_loss, params, x, labels, grad_fn=mlp_grad, directions=3)


Pair = namedtuple("Pair", "a b")


def nested_loss(t):
    (a, (b, c)), d = t
    return logsumexp(a * b) + c * np.sum(d.a ** 2) + d.b


def nested_grad(t):
    (a, (b, c)), d = t
    s = softmax((a * b).reshape(-1), axis=0).reshape(a.shape)
    return ((s * b, (s * a, float(np.sum(d.a ** 2)))), Pair(2 * c * d.a, 1.0))


def test_nested_tuple_with_namedtuple_and_python_floats():
    t = ((rng.standard_normal((2, 3)), (rng.standard_normal((2, 3)), 1.5)),
         Pair(rng.standard_normal(4), -0.25))
    check_grads(nested_loss, t, grad_fn=nested_grad)


def three_args(a, k, b, c):
    return np.sum(a * b) * k + c ** 3


def test_argnums_tuple():
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    check_grads(three_args, a, 2, b, 0.7, argnums=(0, 2, 3),
                grad_fn=lambda a, k, b, c: (b * k, a * k, 3 * c ** 2))
    check_grads(three_args, a, 2, b, 0.7, argnums=3, grad_fn=lambda a, k, b, c: 3 * c ** 2)


def test_default_grad_fn_is_knetc_value_and_grad(monkeypatch):
    seen = {}

    def fake_value_and_grad(f, argnums=0):
        seen["f"], seen["argnums"] = f, argnums
        return lambda a, k, b, c: (three_args(a, k, b, c), (b * k, 3 * c ** 2))

    monkeypatch.setattr(knetc.api, "value_and_grad", fake_value_and_grad)
    check_grads(three_args, rng.standard_normal(3), 2, rng.standard_normal(3), 0.7,
                argnums=(0, 3))
    assert seen == {"f": three_args, "argnums": (0, 3)}


def test_wrong_leaf_in_list_names_the_leaf():
    w = [rng.standard_normal((1, 3)), 0.5]
    x, y = rng.standard_normal((3, 8)), rng.standard_normal((1, 8))

    def wrong(w, x, y):
        g = linear_grad(w, x, y)
        return [g[0], g[1] * 1.001]

    with pytest.raises(AssertionError, match=r"w\[1\].*\n.*analytic.*\n.*numeric.*\n.*relative"):
        check_grads(linear_loss, w, x, y, grad_fn=wrong)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wrong_leaf_in_dict_names_the_leaf(dtype):
    params, x, labels = mlp_params(dtype)

    def wrong(params, x, labels):
        g = mlp_grad(params, x, labels)
        db0 = g["b"][0].copy()
        db0[3] += 0.5  # one element of one leaf is off
        return dict(g, b=(db0, g["b"][1]))

    with pytest.raises(AssertionError, match=r"params\['b'\]\[0\]") as info:
        check_grads(mlp_loss, params, x, labels, grad_fn=wrong)
    assert "relative error" in str(info.value)


def test_wrong_shape_and_dtype_and_none():
    x = rng.standard_normal((3, 4))
    f = lambda x: np.sum(x ** 2)  # noqa: E731
    with pytest.raises(AssertionError, match=r"x has shape \(4, 3\), expected \(3, 4\)"):
        check_grads(f, x, grad_fn=lambda x: (2 * x).T)
    with pytest.raises(AssertionError, match="dtype float64, expected float32"):
        check_grads(f, x.astype(np.float32), grad_fn=lambda x: 2 * x.astype(np.float64))
    with pytest.raises(AssertionError, match=r"w\[0\] is None"):
        check_grads(linear_loss, [x[:1], 0.5], x, x[:1], grad_fn=lambda w, x, y: [None, 0.0])
    with pytest.raises(AssertionError, match=r"w\[1\] should be a float"):
        check_grads(linear_loss, [x[:1, :3], 0.5], x[:3], x[:1],
                    grad_fn=lambda w, x, y: [linear_grad(w, x, y)[0], np.ones(1)])
    with pytest.raises(AssertionError, match="length 2, got length 1"):
        check_grads(linear_loss, [x[:1, :3], 0.5], x[:3], x[:1],
                    grad_fn=lambda w, x, y: [linear_grad(w, x, y)[0]])


def test_wrong_structure_of_dict_and_argnums_tuple():
    params, x, labels = mlp_params(np.float64)
    with pytest.raises(AssertionError, match=r"params should be a dict with key 'b'"):
        check_grads(mlp_loss, params, x, labels,
                    grad_fn=lambda p, x, l: {"w": mlp_grad(p, x, l)["w"]})
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    with pytest.raises(AssertionError, match="tuple of 3 gradients"):
        check_grads(three_args, a, 2, b, 0.7, argnums=(0, 2, 3), grad_fn=lambda *args: b * 2)


def test_varargs_names_and_numpy_scalar_leaves():
    def f(*ws):
        return ws[0] * np.sum(ws[1] ** 2)

    w0, w1 = np.float32(1.5), rng.standard_normal(3).astype(np.float32)
    good = lambda *ws: np.float32(np.sum(ws[1] ** 2))  # noqa: E731
    check_grads(f, w0, w1, grad_fn=good)
    with pytest.raises(AssertionError, match=r"ws\[1\]"):
        check_grads(f, w0, w1, argnums=1, grad_fn=lambda *ws: 2 * ws[0] * ws[1] * 1.2)


def test_mutating_function_does_not_touch_callers_arrays():
    def f(x):
        x *= 2  # in place, on check_grads' copy
        return np.sum(x ** 2)

    x = rng.standard_normal(4)
    before = x.copy()
    check_grads(f, x, grad_fn=lambda x: 8 * x)
    np.testing.assert_array_equal(x, before)


def test_usage_errors():
    with pytest.raises(ValueError, match="no float leaves"):
        check_grads(lambda n, x: np.sum(x) * n, 3, np.ones(2), grad_fn=lambda n, x: 0)
    with pytest.raises(ValueError, match="out of range"):
        check_grads(lambda x: np.sum(x), np.ones(2), argnums=1, grad_fn=lambda x: x)
    with pytest.raises(ValueError, match="scalar"):
        check_grads(lambda x: x * 2, np.ones(2), grad_fn=lambda x: x)


# The gaps issue 11 found: each wrong gradient below passed check_grads before.

def test_non_differentiated_arguments_are_not_mutated():
    def f(x, y):
        y *= 2.0  # in place, on an argument that is not differentiated
        return np.sum(x * y)

    x, y = rng.standard_normal(3), rng.standard_normal(3)
    before = y.copy()
    check_grads(f, x, y, grad_fn=lambda x, y: 2.0 * y)
    np.testing.assert_array_equal(y, before)


def ravel_a(x, c):
    return np.sum(np.ravel(x, order="A") * c)


def test_layout_dependent_wrong_gradient_is_caught():
    # order='A' reads a Fortran-ordered x column by column; a gradient permuted as if x were
    # C-ordered is wrong, and only shows when the perturbed x keeps its Fortran order
    x = np.asfortranarray(rng.standard_normal((2, 3)))
    c = rng.standard_normal(6)
    check_grads(ravel_a, x, c, grad_fn=lambda x, c: np.array(c.reshape(2, 3, order="F"), order="F"))
    with pytest.raises(AssertionError, match="gradient mismatch for x"):
        check_grads(ravel_a, x, c, grad_fn=lambda x, c: np.array(c.reshape(2, 3), order="F"))


def test_views_keep_their_strides():
    def f(x):
        return float(np.sum(x) * x.strides[1] / 8)

    x = rng.standard_normal((3, 4))[:, ::2]
    check_grads(f, x, grad_fn=lambda x: np.full(x.shape, 2.0))


class Scale:
    def __init__(self):
        self.w = rng.standard_normal(3)

    def __call__(self, x):
        return self.w * x


def test_callable_object_leaves_are_checked():
    def f(model):
        return np.sum(model(2.0) ** 2)

    def df(model, wrong=1.0):
        g = Scale.__new__(Scale)
        g.w = 8.0 * model.w * wrong
        return g

    check_grads(f, Scale(), grad_fn=df)
    with pytest.raises(AssertionError, match=r"model\.w"):
        check_grads(f, Scale(), grad_fn=lambda m: df(m, 1.01))


def test_aliased_read_only_and_reused_gradients_are_caught():
    def f(a, b):
        return np.sum(a + b)

    a, b = rng.standard_normal(3), rng.standard_normal(3)
    one = np.ones(3)
    with pytest.raises(AssertionError, match="a shares memory with the gradient of b"):
        check_grads(f, a, b, argnums=(0, 1), grad_fn=lambda a, b: (one, one))
    with pytest.raises(AssertionError, match="read-only"):
        check_grads(f, a, b, grad_fn=lambda a, b: np.broadcast_to(1.0, a.shape))
    with pytest.raises(AssertionError, match="shares memory with the input b"):
        check_grads(lambda a, b: np.sum(a * b), a, b, grad_fn=lambda a, b: b)
    buffer = np.zeros(3)

    def reused(a):
        buffer[...] = 2.0 * a
        return buffer

    with pytest.raises(AssertionError, match="changed when the gradient was computed again"):
        check_grads(lambda a: np.sum(a ** 2), a, grad_fn=reused)


def test_knetc_value_must_equal_f(monkeypatch):
    def fake(f, argnums=0):
        return lambda x: (f(x) * 2.0, 2 * x)

    monkeypatch.setattr(knetc.api, "value_and_grad", fake)
    monkeypatch.setattr(knetc.api, "grad", lambda f, argnums=0: lambda x: 2 * x)
    with pytest.raises(AssertionError, match="knetc's value of f"):
        check_grads(lambda x: np.sum(x ** 2), rng.standard_normal(3))


def test_integer_leaves_are_refused_by_knetc():
    def f(w):
        return np.sum(w[0] ** 2) + np.sum(w[1])

    with pytest.raises(TypeError, match=r"w\[1\] has dtype int64"):
        check_grads(f, [rng.standard_normal(2), np.arange(2)])
