"""Derivatives at kinks and zeros, one row per rule and point, and unread values that must
not poison a gradient with 0 * inf (README, "Derivatives at kinks and zeros")."""
import numpy as np
import pytest

import knetc
from knetc.nn import logsumexp, relu, softmax, sumabs2

INF = np.inf
A = np.array


def layer_norm(x):
    return np.sum((x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1.0))


def scale_by_spread(x):
    return np.sum(x / (np.std(x, axis=1, keepdims=True) + 1.0))


def masked_softmax(x):
    return np.sum(softmax(x + A([0.0, -INF, 0.0])) * A([1.0, 2.0, 3.0]))


# (function, point, value, gradient): why that gradient
ROWS = [
    # std on a length-1 axis is identically 0, so the layer norm is identically 0: gradient 0
    (layer_norm, A([[1.0], [2.0], [3.0]]), 0.0, A([[0.0], [0.0], [0.0]])),
    # same axis: x / (0 + 1) = x, gradient 1 (the std direction contributes 0)
    (scale_by_spread, A([[1.0], [2.0], [3.0]]), 6.0, A([[1.0], [1.0], [1.0]])),
    # identical values: std is not differentiable; 0 is its smallest subgradient (autograd
    # gives 0 on a length-1 axis; JAX gives nan here, which we do not follow)
    (lambda x: np.std(x), A([2.0, 2.0, 2.0]), 0.0, A([0.0, 0.0, 0.0])),
    (lambda x: np.std(x), 3.5, 0.0, 0.0),                 # a number: std is constant 0
    (lambda x: np.var(x, ddof=1), A([2.0, 2.0]), 0.0, A([0.0, 0.0])),  # smooth: 2 c / (n-1)
    # d/dy 0 ** y = 0 for y > 0 (0 ** y is constant): JAX and autograd read log(0) as 0
    (lambda y: np.sum(np.power(0.0, y)), A([1.0, 2.0]), 0.0, A([0.0, 0.0])),
    (lambda y: 0.0 ** y, 2.0, 0.0, 0.0),
    # d/dx x ** 0 = 0 everywhere, also at 0 (JAX and autograd: 0, not 0 * 0 ** -1)
    (lambda x: np.power(x, 0.0), 0.0, 1.0, 0.0),
    (lambda x: np.sum(np.power(x, 0.0)), A([0.0, 0.0]), 2.0, A([0.0, 0.0])),
    (lambda x: x ** 2, 0.0, 0.0, 0.0),                    # 2 x
    (lambda x: x ** 1, 0.0, 0.0, 1.0),                    # 1 * 0 ** 0
    # x ** 0.5 and sqrt at 0: the one-sided limit inf, as JAX and autograd give
    (lambda x: x ** 0.5, 0.0, 0.0, INF),
    (lambda x: np.sqrt(x), 0.0, 0.0, INF),
    # abs at 0: 0, the smallest subgradient (autograd, PyTorch; JAX gives 1)
    (lambda x: np.abs(x), 0.0, 0.0, 0.0),
    # maximum/minimum ties split evenly, as JAX and autograd do (and np.max does)
    (lambda x: np.maximum(x, 0.0), 0.0, 0.0, 0.5),
    (lambda x: np.minimum(x, 0.0), 0.0, 0.0, 0.5),
    (lambda x: np.sum(np.maximum(x, x[::-1])), A([1.0, 1.0]), 2.0, A([1.0, 1.0])),
    (lambda x: np.max(x), A([1.0, 1.0]), 1.0, A([0.5, 0.5])),
    (lambda x: max(x, 1.0), 1.0, 1.0, 0.5),               # the builtin: the same split
    # clip on a bound: 1/2, as np.clip written with maximum and minimum (JAX's clip;
    # autograd gives 0)
    (lambda x: np.sum(np.clip(x, 0.0, 1.0)), A([0.0, 1.0, 0.5]), 1.5, A([0.5, 0.5, 1.0])),
    # knetc.relu at 0: 0, as jax.nn.relu (np.maximum(x, 0) gives 0.5 there)
    (lambda x: np.sum(relu(x)), A([0.0, 1.0]), 1.0, A([0.0, 1.0])),
    (lambda x: sumabs2(x), A([0.0, 0.0]), 0.0, A([0.0, 0.0])),  # 2 x
    # a masked entry of a softmax gets 0 and the others their finite gradient:
    # p = (1/2, 0, 1/2), d/dx_i sum p c = p_i (c_i - 2)
    (masked_softmax, A([0.0, 0.0, 0.0]), 2.0, A([-0.5, 0.0, 0.5])),
    (lambda x: logsumexp(x + A([0.0, -INF])), A([0.0, 0.0]), 0.0, A([1.0, 0.0])),
    (lambda x: np.sum(np.exp(x - A([0.0, INF]))), A([0.0, 0.0]), 1.0, A([1.0, 0.0])),
    (lambda x: np.sum(x / A([1.0, INF])), A([1.0, 1.0]), 1.0, A([1.0, 0.0])),
    (lambda y: np.sum(A([1.0, 1.0]) / y), A([1.0, INF]), 1.0, A([-1.0, 0.0])),
]


@pytest.mark.parametrize("f, x, value, grad", ROWS)
def test_derivative_at_singular_point(f, x, value, grad):
    with np.errstate(all="raise"):
        v, g = knetc.value_and_grad(f)(x)
    np.testing.assert_array_equal(v, value)
    np.testing.assert_array_equal(g, grad)
    assert type(g) is type(x) or isinstance(x, float) and isinstance(g, float)


# Unread values: a zero adjoint must be skipped, never computed as 0 * (1 / sqrt(0)).
def both(x):
    return x * 2.0, np.sqrt(x)


def pair(u, v):
    t = (u * 2.0, np.sqrt(v))
    return t


def root(x):
    return np.sqrt(x)


def unread_tuple_element(x):
    a, b = both(x)
    return np.sum(a)


def unread_item_of_returned_tuple(x):
    p, q = pair(x, x)
    return np.sum(p)


def unread_list_element(x):
    items = []
    items.append(x * 2.0)
    items.append(np.sqrt(x))
    return np.sum(items[0])


def unread_dict_entry(x):
    d = {}
    d["a"] = x * 2.0
    d["b"] = np.sqrt(x)
    return np.sum(d["a"])


def unread_tuple_literal(x):
    t = (x * 2.0, np.sqrt(x))
    return np.sum(t[0])


def unread_call_result(x):
    u = root(x)  # noqa: F841  (the unread result is the point)
    return np.sum(x * 2.0)


def unread_in_loop(x):
    s = 0.0
    for i in range(2):
        u = root(x)  # noqa: F841
        items = [x * 1.0, np.sqrt(x)]
        s = s + np.sum(items[0])
    return s


def unread_in_branch(x, wide=False):
    b = np.sqrt(x)
    if wide:
        s = np.sum(b)
    else:
        s = np.sum(x * 2.0)
    return s


@pytest.mark.parametrize("f", [unread_tuple_element, unread_item_of_returned_tuple,
                               unread_list_element, unread_dict_entry, unread_tuple_literal,
                               unread_call_result, unread_in_loop, unread_in_branch])
def test_unread_values_do_not_poison_the_gradient(f):
    x = A([0.0, 1.0, 4.0])  # sqrt's derivative is inf at 0: an unread value meets it
    with np.errstate(all="raise"):
        g = knetc.grad(f)(x)
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])  # every function is 2 * sum(x) there
    knetc.check_grads(f, A([0.5, 1.0, 4.0]))           # and right at a smooth point


def test_skipped_adjoints_read_as_a_test_in_the_generated_code():
    source = knetc.source(knetc.grad(unread_list_element))
    assert "if dsqrt is not None:" in source


def twice(p):
    return p * 2.0


def reads_twice(p):
    a = twice(p)
    return np.sum(a)


def unread_then_read(x):
    u = twice(x)  # noqa: F841 (unread: its call gets the backward that skips None) ...
    return reads_twice(x)  # ... and a helper compiled later calls the plain pair


def test_a_pair_passed_over_while_unused_is_generated_when_a_later_helper_calls_it():
    x = np.array([1.0, 2.0])
    value, grad = knetc.value_and_grad(unread_then_read)(x)
    assert value == unread_then_read(x)
    np.testing.assert_allclose(grad, [2.0, 2.0])


def spread_of_one_value(x):
    m = np.min(x)
    return np.std(np.stack([m, m, m]))  # identically 0 as a function of x


@pytest.mark.parametrize("low", [0.1, 0.7])  # np.std([m, m, m]) is a rounding error, not 0
def test_spread_of_rounding_errors_counts_as_zero(low):
    # found by the random programs: (x - mean) / (n std) of noise gave +-1, finite garbage
    x = np.array([low, 2.0, 3.0])
    assert np.std(np.stack([low] * 3)) > 0
    np.testing.assert_array_equal(knetc.grad(spread_of_one_value)(x), [0.0, 0.0, 0.0])
