"""Every derivative, not only the first: jvp, vjp, Jacobians, Hessians, Hessian-vector
products, has_aux, and gradients that are themselves differentiated (grad of grad, a loss
that calls a gradient), each checked against finite differences in float64."""
import copy

import numpy as np
import pytest

import knetc
from test_forward_rules import check_jvp

EPS = 1e-6


def numeric_jacobian(f, x, eps=EPS):
    """d f(x) / d x by central differences, shape f(x).shape + x.shape."""
    cols = []
    for i in range(np.size(x)):
        e = np.zeros(np.shape(x))
        e.flat[i] = eps
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x)) + np.shape(x))


# ---------------------------------------------------------------- grad of grad

def cube(x):
    return x ** 3


dcube = knetc.grad(cube)


def calls_a_gradient(x):
    return dcube(x)


def test_grad_of_a_function_that_calls_a_gradient():
    assert knetc.grad(calls_a_gradient)(3.0) == pytest.approx(18.0, rel=1e-12)


def test_grad_of_grad():
    assert knetc.grad(knetc.grad(cube))(3.0) == pytest.approx(18.0, rel=1e-12)
    assert knetc.grad(knetc.grad(knetc.grad(cube)))(3.0) == pytest.approx(6.0, rel=1e-12)


def tanh(x):
    return np.tanh(x)


@pytest.mark.parametrize("x", [-1.7, -0.4, 0.0, 0.3, 1.1, 2.5])
def test_fourth_derivative_of_tanh(x):
    d4 = knetc.grad(knetc.grad(knetc.grad(knetc.grad(tanh))))
    t = np.tanh(x)
    s = 1 - t * t
    assert d4(x) == pytest.approx(16 * t * s * s - 8 * t ** 3 * s, rel=1e-9, abs=1e-12)


def mlp(w, x):
    return np.sum(np.tanh(w @ x) * np.tanh(w @ x))


dmlp = knetc.grad(mlp)
vg_mlp = knetc.value_and_grad(mlp)


def directional(w, x, v):
    return np.sum(dmlp(w, x) * v)


def uses_value_and_grad(w, x, v):
    value, dw = vg_mlp(w, x)
    return value * 0.5 + np.sum(dw * v)


@pytest.mark.parametrize("f", [directional, uses_value_and_grad])
def test_grad_of_a_loss_that_calls_a_gradient(f):
    rng = np.random.default_rng(0)
    w, x, v = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    knetc.check_grads(f, w, x, v, argnums=(0, 1))


def test_gradient_of_vector_argument_is_not_a_scalar():
    with pytest.raises(knetc.NonScalarError, match="scalar gradient"):
        knetc.grad(knetc.grad(mlp))(np.ones((3, 4)), np.ones(4))


# ---------------------------------------------------------------- jvp

def loop_and_helper(w, x):
    h = x
    for _ in range(3):
        h = np.tanh(w @ h) * 2.0
    return np.sum(h * h) + np.sum(np.exp(w))


def filled_in_a_loop(w, xs):
    n = xs.shape[1]
    h = np.zeros((w.shape[0], n))
    for t in range(n):
        h[:, t] = np.tanh(w @ xs[:, t])
    return np.sum(h * h)


def list_params(params, x):
    out = []
    for w in params:
        x = np.tanh(w @ x)
        out.append(x)
    return np.sum(out[-1]) + np.sum(out[0] * out[0])


def dict_params(p, x):
    return np.sum(np.sin(p["w"] @ x + p["b"]))


def recursive(w, x, n):
    if n == 0:
        return np.sum(x)
    return recursive(w, np.tanh(w @ x), n - 1)


@pytest.mark.parametrize("f, build, argnums", [
    (loop_and_helper, lambda r: (r.standard_normal((3, 3)) * 0.5, r.standard_normal(3)), (0, 1)),
    (filled_in_a_loop, lambda r: (r.standard_normal((2, 3)), r.standard_normal((3, 4))), 0),
    (list_params, lambda r: ([r.standard_normal((3, 3)) for _ in range(3)],
                             r.standard_normal(3)), (0, 1)),
    (dict_params, lambda r: ({"w": r.standard_normal((2, 3)), "b": r.standard_normal(2)},
                             r.standard_normal(3)), 0),
    (recursive, lambda r: (r.standard_normal((3, 3)), r.standard_normal(3), 3), (0, 1)),
])
def test_jvp_of_programs(f, build, argnums):
    check_jvp(f, build(np.random.default_rng(1)), argnums)


def test_jvp_source_is_readable():
    from knetc.forward import compiled_jvp
    text = compiled_jvp(loop_and_helper, (0, 1)).text
    assert "def loop_and_helper_jvp(w_dot, x_dot, w, x):" in text
    assert "# h = np.tanh(w @ h) * 2.0" in text


def test_jvp_checks_tangent_shapes():
    with pytest.raises(ValueError, match=r"tangents\[1\] has shape \(2,\) but primals\[1\]"):
        knetc.jvp(loop_and_helper, (np.ones((3, 3)), np.ones(3)), (np.ones((3, 3)), np.ones(2)))


# ---------------------------------------------------------------- vjp and Jacobians

def predict(w, x):
    return np.tanh(w @ x) * 2.0


def test_vjp_matches_gradient_of_weighted_sum():
    rng = np.random.default_rng(2)
    w, x, ct = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    y, pullback = knetc.vjp(predict, w, x)
    np.testing.assert_allclose(y, predict(w, x))
    dw, dx = pullback(ct)
    J = numeric_jacobian(lambda xx: predict(w, xx), x)
    np.testing.assert_allclose(dx, ct @ J, rtol=1e-6, atol=1e-9)
    dw2, dx2 = pullback(ct)  # the pullback can be called again
    np.testing.assert_array_equal(dw, dw2)
    Jw = numeric_jacobian(lambda ww: predict(ww, x), w)
    np.testing.assert_allclose(dw, np.tensordot(ct, Jw, 1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("jac", [knetc.jacrev, knetc.jacfwd, knetc.jacobian])
def test_jacobians(jac):
    rng = np.random.default_rng(3)
    w, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    J = jac(predict, 1)(w, x)
    np.testing.assert_allclose(J, numeric_jacobian(lambda xx: predict(w, xx), x),
                               rtol=1e-6, atol=1e-9)
    Jw = jac(predict, 0)(w, x)
    assert Jw.shape == (3, 3, 4)
    np.testing.assert_allclose(Jw, numeric_jacobian(lambda ww: predict(ww, x), w),
                               rtol=1e-6, atol=1e-9)


def test_elementwise_grad():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(knetc.elementwise_grad(tanh)(x), 1 - np.tanh(x) ** 2,
                               rtol=1e-12)


# ---------------------------------------------------------------- Hessians

def flat_mlp(theta, x, y):
    """An 8-24-4 MLP whose 316 parameters are one vector."""
    w1 = np.reshape(theta[:192], (24, 8))
    b1 = theta[192:216]
    w2 = np.reshape(theta[216:312], (4, 24))
    b2 = theta[312:316]
    h = np.tanh(w1 @ x + b1[:, None])
    scores = w2 @ h + b2[:, None]
    return np.sum(scores * scores * y) / x.shape[1]


def test_hessian_of_a_small_mlp_loss():
    rng = np.random.default_rng(4)
    theta, x, y = rng.standard_normal(316) * 0.5, rng.standard_normal((8, 5)), \
        rng.standard_normal((4, 5))
    H = knetc.hessian(flat_mlp)(theta, x, y)
    g = knetc.grad(flat_mlp)
    Hn = numeric_jacobian(lambda t: g(t, x, y), theta, eps=1e-5)
    assert H.shape == (316, 316)
    np.testing.assert_allclose(H, Hn, rtol=1e-5, atol=1e-6 * np.abs(Hn).max())
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-12 * np.abs(H).max())


def test_hvp_matches_hessian_times_vector():
    rng = np.random.default_rng(5)
    w, x, v = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    H = knetc.hessian(mlp, 1)(w, x)
    np.testing.assert_allclose(knetc.hvp(mlp, 1)(w, x, v), H @ v, rtol=1e-10, atol=1e-12)
    g = knetc.grad(mlp, 1)
    np.testing.assert_allclose(H @ v, (g(w, x + EPS * v) - g(w, x - EPS * v)) / (2 * EPS),
                               rtol=1e-6, atol=1e-8)


def test_hvp_with_tuple_argnums():
    rng = np.random.default_rng(6)
    w, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    vw, vx = rng.standard_normal((3, 4)), rng.standard_normal(4)
    hw, hx = knetc.hvp(mlp, (0, 1))(w, x, (vw, vx))
    g = knetc.grad(mlp, (0, 1))
    plus, minus = g(w + EPS * vw, x + EPS * vx), g(w - EPS * vw, x - EPS * vx)
    np.testing.assert_allclose(hw, (plus[0] - minus[0]) / (2 * EPS), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hx, (plus[1] - minus[1]) / (2 * EPS), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- has_aux

def with_aux(w, x):
    h = np.tanh(w @ x)
    return np.sum(h * h), {"h": h}


def test_has_aux():
    rng = np.random.default_rng(7)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    dw, aux = knetc.grad(with_aux, has_aux=True)(w, x)
    np.testing.assert_allclose(aux["h"], np.tanh(w @ x))
    knetc.check_grads(lambda w, x: with_aux(w, x)[0], w, x,
                      grad_fn=lambda w, x: knetc.grad(with_aux, has_aux=True)(w, x)[0])
    (value, aux2), dw2 = knetc.value_and_grad(with_aux, has_aux=True)(w, copy.copy(x))
    assert value == pytest.approx(with_aux(w, x)[0])
    np.testing.assert_allclose(dw2, dw)


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"must return a pair \(loss, aux\)"):
        knetc.grad(tanh, has_aux=True)(0.5)


def test_jvp_of_a_gradient_is_the_hessian_times_the_direction():
    rng = np.random.default_rng(8)
    w, x, v = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    value, tangent = knetc.jvp(dmlp, (w, x), (v, None))  # forward over reverse
    np.testing.assert_allclose(value, dmlp(w, x), rtol=1e-12)
    np.testing.assert_allclose(tangent, (dmlp(w + EPS * v, x) - dmlp(w - EPS * v, x)) / (2 * EPS),
                               rtol=1e-6, atol=1e-8)


def test_grad_of_value_and_grad_is_refused():
    with pytest.raises(knetc.KnetcError, match="its result is not one scalar"):
        knetc.grad(knetc.value_and_grad(cube))


def mutates_through_a_part(pair, w):
    s = pair[0]
    s[0] = np.tanh(w @ s[0])
    return s[0]


def calls_a_mutating_helper(pair, w):
    y = mutates_through_a_part(pair, w)
    return np.sum(y) + np.sum(pair[0][0] * 2.0)


def test_mutating_a_part_of_a_parameter_in_a_helper_is_refused():
    # was a silently wrong gradient: the caller reads pair[0][0] after the helper changed it
    pair, w = ([np.ones(3)], 1.0), np.eye(3) * 0.5
    with pytest.raises(knetc.KnetcSyntaxError, match="also held by the parameter `pair`") as info:
        knetc.grad(calls_a_mutating_helper, (0, 1))(pair, w)
    assert info.value.filename == __file__


def step_in_place(s, w):
    s[0] = np.tanh(w @ s[0])
    return 0.0


def state_changed_by_a_helper(w, s):
    for _ in range(3):
        step_in_place(s, w)
    return np.sum(s[0])


def test_jvp_through_state_a_helper_changes_in_place():
    # s's tangent is None (held still), but the helper makes s depend on w: its tangent must
    # be made before the helper changes it, or the recurrence is lost
    rng = np.random.default_rng(9)
    w, s, v = rng.standard_normal((3, 3)), [rng.standard_normal(3)], rng.standard_normal((3, 3))
    _, tangent = knetc.jvp(state_changed_by_a_helper, (w, copy.deepcopy(s)), (v, None))
    dw = knetc.grad(state_changed_by_a_helper)(w, copy.deepcopy(s))
    assert tangent == pytest.approx(np.sum(dw * v), rel=1e-12)
    knetc.check_grads(state_changed_by_a_helper, w, s)
