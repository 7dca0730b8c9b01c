"""Corpus: extending knetc with @knetc.primitive / @knetc.adjoint rules (softplus, a clipped
function, two-argument primitives, keyword parameters, rules reading the result), used in
loops and in called functions; knetc.stop_gradient; a primitive without a rule.

Rules are checked against finite differences of the primitives' own forward code.
"""
import inspect

import numpy as np
import pytest

import corpus_helpers as ch
import knetc
from corpus_util import case, distinct, randn, rng_for, run_case
from knetc import stop_gradient

# ------------------------------------------------------------------ primitives and rules
# ruff: noqa: F821, F841 (rule templates: `dy` comes in, `d<param> = ...` go out)


@knetc.primitive
def softplus(x):
    return np.log1p(np.exp(x))


def softplus_adjoint(y, x):
    dx = dy * knetc.sigm(x)


@knetc.primitive
def hardtanh(x):
    """Clipped to [-1, 1]."""
    return np.clip(x, -1.0, 1.0)


def hardtanh_adjoint(y, x):
    """The gradient passes only inside the interval."""
    dx = dy * (np.abs(x) < 1.0)


@knetc.primitive
def sqdist(a, b):
    """Two differentiable arguments, a scalar result."""
    return np.sum((a - b) ** 2)


def sqdist_adjoint(y, a, b):
    da = dy * 2.0 * (a - b)
    db = -dy * 2.0 * (a - b)


@knetc.primitive
def gate(x, w):
    """Two differentiable arguments of the same shape, an array result."""
    return x * np.exp(w)


def gate_adjoint(y, x, w):
    dx = dy * np.exp(w)
    dw = dy * y


@knetc.primitive
def leaky(x, alpha=0.1):
    return np.where(x > 0, x, alpha * x)


def leaky_adjoint(y, x, alpha=0.1):
    dx = dy * np.where(x > 0, 1.0, alpha)


@knetc.primitive
def pow2(x):
    return 2.0 ** x


def pow2_adjoint(y, x):
    dx = dy * y * np.log(2.0)  # the rule reads the primitive's result y


@knetc.primitive
def only_first(a, b):
    return a * np.sin(b)


def only_first_adjoint(y, a, b):
    da = dy * np.sin(b)  # no rule for b: b must be a constant


@knetc.primitive
def no_rule(x):
    return x ** 3


RULE_TEMPLATES = [  # (primitive, its rule): registered by the fixture below
    (softplus, softplus_adjoint),
    (hardtanh, hardtanh_adjoint),
    (sqdist, sqdist_adjoint),
    (gate, gate_adjoint),
    (leaky, leaky_adjoint),
    (pow2, pow2_adjoint),
    (only_first, only_first_adjoint),
    (ch.softplus_h, ch.softplus_h_adjoint),
]


@pytest.fixture(autouse=True, scope="module")
def registered_rules():
    """Register this module's rules while its tests run, and remove them afterwards, so that
    knetc's own rule table is as it was for the other test files."""
    from knetc.rules import RULES
    for fn, template in RULE_TEMPLATES:
        knetc.adjoint(fn)(template)
    yield
    for fn, _ in RULE_TEMPLATES:
        RULES.pop(fn, None)


# ------------------------------------------------------------------ callees using the rules


def _block(x):
    return softplus(x) - hardtanh(x)


def _rnn_cell(W, h, x):
    return hardtanh(W @ h + x)


# ------------------------------------------------------------------ the programs


def softplus_loss(x):
    return np.sum(softplus(x) ** 2)


def hardtanh_loss(x):
    return np.sum(hardtanh(x) * x)


def sqdist_loss(a, b):
    return sqdist(np.tanh(a), b) + sqdist(b, 2.0 * b)


def gate_loss(x, w):
    return np.sum(gate(x, w) ** 2)


def leaky_default_and_keyword(x):
    return np.sum(leaky(x) ** 2) + np.sum(leaky(x, alpha=0.3)) + np.sum(leaky(x, 0.5) * x)


def pow2_loss(x):
    return np.sum(pow2(x) * np.sin(x))


def only_first_constant_second(a, b):
    return np.sum(only_first(a, b) ** 2)


def rules_in_loop(x):
    total = 0.0
    for k in range(3):
        x = softplus(x) - 1.0
        total = total + np.sum(hardtanh(x * (k + 1)))
    return total


def rules_in_called_function(x):
    return np.sum(_block(x) ** 2) + np.sum(_block(2.0 * x))


def rule_in_callee_loop(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = _rnn_cell(W, h, x)
    return np.sum(h ** 2)


def rule_from_other_module(x):
    # the rule's template calls a helper of corpus_helpers, its own module
    return np.sum(ch.softplus_h(x) * x)


def rule_in_comprehension(xs):
    return sum(np.sum(softplus(a)) for a in xs)


def rule_through_variable(x, smooth):
    act = softplus if smooth else hardtanh
    return np.sum(act(x) * x)


def rule_names_like_template(x, dy):
    # the user's own names `y`, `dy`, `dx` must not clash with the template's
    y = softplus(x)
    dx = y * dy
    return np.sum(dx) + np.sum(y ** 2)


def library_function_with_user_rule(x, y):
    return np.sum(np.logaddexp2(x, y) ** 2)


def stop_gradient_product(x):
    return np.sum(stop_gradient(x) * x)


def stop_gradient_in_loop(x):
    h = x
    for _ in range(3):
        h = np.tanh(h) + knetc.stop_gradient(h) * 0.5
    return np.sum(h)


def stop_gradient_in_callee(x):
    return np.sum(_stop_block(x) ** 2)


def _stop_block(x):
    return x * knetc.stop_gradient(np.sum(x))


def stop_gradient_of_list(ws, x):
    frozen = stop_gradient(ws)
    return np.sum(frozen[0] @ x) + np.sum(ws[1] @ x)


ROWS = [
    case(softplus_loss, lambda r: (randn(r, 4),)),
    case(hardtanh_loss, lambda r: (distinct(r, 8, gap=0.35),)),
    case(sqdist_loss, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(gate_loss, lambda r: (randn(r, 2, 3), randn(r, 2, 3)), (0, 1)),
    case(leaky_default_and_keyword, lambda r: (distinct(r, 6),)),
    case(pow2_loss, lambda r: (randn(r, 4),)),
    case(only_first_constant_second, lambda r: (randn(r, 3), randn(r, 3))),
    case(rules_in_loop, lambda r: (distinct(r, 4, gap=0.25),)),
    case(rules_in_called_function, lambda r: (distinct(r, 4, gap=0.37),)),
    case(rule_in_callee_loop, lambda r: (0.4 * randn(r, 3, 3), [0.3 * randn(r, 3)
                                                                for _ in range(3)]), (0, 1)),
    case(rule_from_other_module, lambda r: (randn(r, 4),)),
    case(rule_in_comprehension, lambda r: ([randn(r, 2), randn(r, 3)],)),
    case(rule_through_variable, lambda r: (randn(r, 4), True), 0, "through_variable_softplus"),
    case(rule_through_variable, lambda r: (distinct(r, 6, gap=0.35), False), 0,
         "through_variable_hardtanh"),
    case(rule_names_like_template, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_extending_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


@pytest.fixture
def logaddexp2_rule():
    """A rule for a NumPy function that has none, removed again afterwards."""
    from knetc.rules import RULES
    assert np.logaddexp2 not in RULES

    @knetc.adjoint(np.logaddexp2)
    def logaddexp2_adjoint(y, x1, x2):
        dx1 = dy * 2.0 ** (x1 - y)
        dx2 = dy * 2.0 ** (x2 - y)

    yield
    del RULES[np.logaddexp2]


def test_rule_for_library_function(request, logaddexp2_rule):
    run_case(request, library_function_with_user_rule,
             lambda r: (randn(r, 3), randn(r, 3)), (0, 1))


# ------------------------------------------------------------------ analytic checks


def test_softplus_rule_is_used_analytic():
    x = randn(rng_for("softplus_analytic"), 5)
    np.testing.assert_allclose(knetc.grad(softplus_loss)(x),
                               2 * softplus(x) / (1 + np.exp(-x)), rtol=1e-12)
    assert "sigm" in knetc.source(knetc.grad(softplus_loss))


def test_stop_gradient_analytic():
    # d/dx sum(stop_gradient(x) * x) == x: only the second factor is differentiated
    x = randn(rng_for("stop_gradient"), 2, 3)
    np.testing.assert_allclose(knetc.grad(stop_gradient_product)(x), x, rtol=1e-14)


def test_stop_gradient_callee_analytic():
    x = randn(rng_for("stop_gradient_callee"), 3)
    s = np.sum(x)
    np.testing.assert_allclose(knetc.grad(stop_gradient_in_callee)(x), 2 * x * s * s,
                               rtol=1e-12)


def test_stop_gradient_in_loop_analytic():
    x = randn(rng_for("stop_gradient_loop"), 3)
    expected, h = np.ones(3), x
    for _ in range(3):
        expected = expected * (1 - np.tanh(h) ** 2)
        h = np.tanh(h) + 0.5 * h
    np.testing.assert_allclose(knetc.grad(stop_gradient_in_loop)(x), expected, rtol=1e-12)


def test_stop_gradient_of_list_analytic():
    r = rng_for("stop_gradient_list")
    ws, x = [randn(r, 2, 3), randn(r, 2, 3)], randn(r, 3)
    dws, dx = knetc.grad(stop_gradient_of_list, argnums=(0, 1))(ws, x)
    np.testing.assert_array_equal(dws[0], np.zeros((2, 3)))
    np.testing.assert_allclose(dws[1], np.outer(np.ones(2), x), rtol=1e-14)
    np.testing.assert_allclose(dx, ws[0].sum(axis=0) + ws[1].sum(axis=0), rtol=1e-12)


def test_stop_gradient_is_identity_forward():
    x = randn(rng_for("stop_identity"), 3)
    assert stop_gradient(x) is x


# ------------------------------------------------------------------ errors


def uses_primitive_without_rule(x):
    y = np.tanh(x)
    return np.sum(no_rule(y))


def differentiates_uncovered_argument(a, b):
    return np.sum(only_first(a, b))


def _line_of(f, needle):
    lines, start = inspect.getsourcelines(f)
    return start + next(i for i, t in enumerate(lines) if needle in t)


def test_primitive_without_rule_is_a_clear_error():
    x = randn(rng_for("no_rule"), 3)
    with pytest.raises(knetc.NoAdjointError) as info:
        knetc.grad(uses_primitive_without_rule)(x)
    message = str(info.value)
    assert "no_rule" in message
    assert "@knetc.adjoint(no_rule)" in message
    line = _line_of(uses_primitive_without_rule, "no_rule(y)")
    assert f"test_extending.py:{line}" in message
    assert "return np.sum(no_rule(y))" in message


def test_primitive_without_rule_on_constants_runs():
    # nothing differentiated flows into it, so no rule is needed
    def loss(x, c):
        return np.sum(x * no_rule(c))
    r = rng_for("no_rule_constant")
    x, c = randn(r, 3), randn(r, 3)
    np.testing.assert_allclose(knetc.grad(loss)(x, c), c ** 3, rtol=1e-14)


def test_uncovered_argument_is_a_clear_error():
    r = rng_for("uncovered")
    a, b = randn(r, 3), randn(r, 3)
    np.testing.assert_allclose(knetc.grad(differentiates_uncovered_argument)(a, b), np.sin(b))
    with pytest.raises(knetc.NoAdjointError) as info:
        knetc.grad(differentiates_uncovered_argument, argnums=1)(a, b)
    message = str(info.value)
    assert "`b`" in message
    line = _line_of(differentiates_uncovered_argument, "only_first(a, b)")
    assert f"test_extending.py:{line}" in message
    assert "@knetc.adjoint" in message


def test_decorator_form():
    """The documented form: @knetc.primitive and @knetc.adjoint(fn) as decorators."""
    from knetc.rules import RULES

    @knetc.primitive
    def cube(x):
        return x ** 3

    @knetc.adjoint(cube)
    def cube_adjoint(y, x):
        dx = dy * 3.0 * y / x

    def loss(x):
        return np.sum(cube(np.sin(x)))

    try:
        x = distinct(rng_for("decorator_form"), 4)
        knetc.check_grads(loss, x)
        np.testing.assert_allclose(knetc.grad(loss)(x), 3 * np.sin(x) ** 2 * np.cos(x),
                                   rtol=1e-12)
    finally:
        RULES.pop(cube, None)
