"""Corpus: the public API surface (decorators, value_and_grad, source, errors, dtypes)."""
import functools
import inspect

import numpy as np
import pytest

import knetc
from corpus_util import check_program, randn, rng_for


def square_loss(x):
    """Half the squared norm."""
    return 0.5 * np.sum(x ** 2)


def weighted_loss(x, w):
    return np.sum(np.sin(w) * x)


def two_layer(w, x):
    hidden = np.tanh(w[0] @ x)
    scores = w[1] @ hidden
    return np.sum(scores ** 2)


def not_a_scalar(x):
    return x * 2.0


def float32_model(W, x):
    h = np.tanh(W @ x)
    return np.sum(h * h)


def test_bare_decorator():
    @knetc.grad
    def dsquare(x):
        """Half the squared norm."""
        return 0.5 * np.sum(x ** 2)

    x = randn(rng_for("bare"), 3, 2)
    np.testing.assert_allclose(dsquare(x), x)          # analytic gradient: x
    assert dsquare.__name__ == "dsquare"
    check_program(square_loss, (x,))


def test_decorator_with_argnums():
    @knetc.grad(argnums=1)
    def dweighted(x, w):
        return np.sum(np.sin(w) * x)

    r = rng_for("argnums_decorator")
    x, w = randn(r, 4), randn(r, 4)
    np.testing.assert_allclose(dweighted(x, w), np.cos(w) * x)  # analytic gradient
    check_program(weighted_loss, (x, w), argnums=1)


def test_wraps_keeps_name_doc_and_signature():
    g = knetc.grad(square_loss)
    assert g.__name__ == "square_loss"
    assert g.__doc__ == "Half the squared norm."
    assert list(inspect.signature(g).parameters) == ["x"]
    g2 = knetc.grad(weighted_loss, argnums=1)
    assert list(inspect.signature(g2).parameters) == ["x", "w"]
    vg = knetc.value_and_grad(square_loss)
    assert vg.__name__ == "square_loss"


def test_called_with_keywords_and_partial():
    g = knetc.grad(weighted_loss, argnums=1)
    r = rng_for("keywords")
    x, w = randn(r, 3), randn(r, 3)
    np.testing.assert_allclose(g(x, w=w), np.cos(w) * x)
    np.testing.assert_allclose(functools.partial(g, x)(w), np.cos(w) * x)


def with_defaults(x, scale=2.0, power=3):
    return scale * np.sum(x ** power)


def test_default_arguments_are_used():
    x = randn(rng_for("defaults"), 3)
    np.testing.assert_allclose(knetc.grad(with_defaults)(x), 6.0 * x ** 2)
    np.testing.assert_allclose(knetc.grad(with_defaults)(x, 0.5), 1.5 * x ** 2)
    dscale = knetc.grad(with_defaults, argnums=1)(x, 0.5, 2)
    assert type(dscale) is float
    np.testing.assert_allclose(dscale, np.sum(x ** 2))
    check_program(with_defaults, (x, 0.5, 2), argnums=(0, 1))


def test_value_and_grad():
    r = rng_for("value_and_grad")
    w = [randn(r, 4, 3), randn(r, 2, 4)]
    x = randn(r, 3, 5)
    value, dw = knetc.value_and_grad(two_layer)(w, x)
    np.testing.assert_allclose(value, two_layer(w, x))
    assert np.ndim(value) == 0
    # analytic gradient of sum((W1 tanh(W0 x))^2)
    h = np.tanh(w[0] @ x)
    ds = 2 * (w[1] @ h)
    dW1 = ds @ h.T
    dW0 = ((w[1].T @ ds) * (1 - h ** 2)) @ x.T
    assert type(dw) is list and len(dw) == 2
    np.testing.assert_allclose(dw[0], dW0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw[1], dW1, rtol=1e-10, atol=1e-12)
    check_program(two_layer, (w, x))


def test_value_and_grad_argnums_tuple():
    r = rng_for("value_and_grad_tuple")
    x, w = randn(r, 3), randn(r, 3)
    value, (dx, dw) = knetc.value_and_grad(weighted_loss, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(value, weighted_loss(x, w))
    np.testing.assert_allclose(dx, np.sin(w))
    np.testing.assert_allclose(dw, np.cos(w) * x)


def test_source_is_readable_python():
    g = knetc.grad(two_layer)
    src = knetc.source(g)
    assert isinstance(src, str)
    assert "def " in src
    for name in ("hidden", "scores"):
        assert name in src, f"user variable {name!r} missing from generated source"
        assert "d" + name in src, f"adjoint d{name} missing from generated source"
    assert "dw" in src
    assert "# grad of:" in src
    compile(src, "<knetc generated>", "exec")  # the source is valid Python


def test_source_of_value_and_grad():
    src = knetc.source(knetc.value_and_grad(two_layer))
    assert isinstance(src, str) and "def " in src


def test_calling_twice_is_stable():
    r = rng_for("twice")
    w = [randn(r, 4, 3), randn(r, 2, 4)]
    x = randn(r, 3, 5)
    g = knetc.grad(two_layer)
    first = g(w, x)
    src_after_first = knetc.source(g)
    second = g(w, x)
    assert knetc.source(g) == src_after_first
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert knetc.source(knetc.grad(two_layer)) == knetc.source(knetc.grad(two_layer))


def test_gradient_does_not_alias_inputs():
    r = rng_for("alias")
    x = randn(r, 3)
    dx = knetc.grad(square_loss)(x)
    dx *= 0.0
    assert np.all(x != 0.0)


def test_non_scalar_result_raises_with_shape():
    x = randn(rng_for("nonscalar"), 3, 4)
    with pytest.raises(Exception) as info:
        knetc.grad(not_a_scalar)(x)
    assert "(3, 4)" in str(info.value)
    assert not isinstance(info.value, AssertionError)


def test_non_scalar_error_is_knetc_error():
    x = randn(rng_for("nonscalar2"), 2, 5)
    with pytest.raises(knetc.NonScalarError) as info:
        knetc.grad(not_a_scalar)(x)
    assert "(2, 5)" in str(info.value)


def test_float32_inputs_give_float32_gradients():
    r = rng_for("float32")
    W, x = randn(r, 3, 4), randn(r, 4, 2)
    check_program(float32_model, (W, x), argnums=(0, 1))   # correctness in float64
    W32, x32 = W.astype(np.float32), x.astype(np.float32)
    dW, dx = knetc.grad(float32_model, argnums=(0, 1))(W32, x32)
    assert dW.dtype == np.float32 and dW.shape == (3, 4)
    assert dx.dtype == np.float32 and dx.shape == (4, 2)
    dW64, dx64 = knetc.grad(float32_model, argnums=(0, 1))(W, x)
    np.testing.assert_allclose(dW, dW64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx, dx64, rtol=1e-4, atol=1e-5)


def test_float32_list_parameters():
    r = rng_for("float32_list")
    w = [randn(r, 4, 3).astype(np.float32), randn(r, 2, 4).astype(np.float32)]
    x = randn(r, 3, 5).astype(np.float32)
    dw = knetc.grad(two_layer)(w, x)
    assert [d.dtype for d in dw] == [np.float32, np.float32]


def jump_in_one_leaf(p):
    y = np.sum(p["smooth"] ** 2)
    if p["jumpy"][0] > 0:
        y = y + 1.0
    return y + np.sum(p["jumpy"] ** 2)


def test_check_grads_passes_on_correct_gradient():
    r = rng_for("check_grads_ok")
    knetc.check_grads(two_layer, [randn(r, 4, 3), randn(r, 2, 4)], randn(r, 3, 5))


def test_check_grads_names_mismatching_leaf():
    # at jumpy[0] == 0 the function jumps: finite differences see a huge slope that the
    # (piecewise) gradient does not have, so check_grads must fail and name the leaf.
    r = rng_for("check_grads_bad")
    p = {"smooth": randn(r, 3), "jumpy": np.array([0.0, 0.5])}
    with pytest.raises(AssertionError) as info:
        knetc.check_grads(jump_in_one_leaf, p)
    assert "jumpy" in str(info.value)


def uses_try(x):
    try:
        y = np.sum(x ** 2)
    except ValueError:
        y = 0.0
    return y


def uses_item_assignment(x):
    y = x * 1.0
    y[0] = 0.0
    return np.sum(y ** 2)


def uses_list_comprehension(x):
    parts = [np.sum(x ** k) for k in range(3)]
    return parts[0] + parts[2]


def uses_lambda(x):
    sq = lambda t: t ** 2  # noqa: E731
    return np.sum(sq(x))


def uses_extend(x):
    parts = [np.sum(x)]
    parts.extend([np.sum(x ** 2)])
    return parts[0] + parts[1]


@pytest.mark.parametrize("f, needle", [
    pytest.param(uses_try, "try:", id="try"),
    pytest.param(uses_item_assignment, "y[0] = 0.0", id="item_assignment"),
    pytest.param(uses_extend, "parts.extend", id="list_extend"),
])
def test_unsupported_code_raises_knetc_syntax_error(f, needle):
    x = np.array([0.5, -0.25, 1.0])
    with pytest.raises(knetc.KnetcSyntaxError) as info:
        knetc.grad(f)(x)
    message = str(info.value)
    assert "test_corpus_api.py" in message      # names the user's file ...
    assert needle in message                    # ... and quotes the offending line
    assert isinstance(info.value, SyntaxError)


@pytest.mark.parametrize("f", [uses_list_comprehension, uses_lambda])
def test_comprehensions_and_lambdas_are_differentiated(f):
    knetc.check_grads(f, np.array([0.5, -0.25, 1.0]))
