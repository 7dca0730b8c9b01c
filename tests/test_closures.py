"""Corpus: losses built by factories (closures), module-level constants and arrays, global
functions called from the loss, and calls through a variable.

Captured values are constants to the gradient unless they are the differentiated argument.
"""
import numpy as np
import pytest

import knetc
from corpus_util import case, check_program, distinct, randn, rng_for, run_case

LR = 0.1
DEPTH = 3
W_FIXED = np.array([[0.5, -1.0, 0.25],
                    [1.5, 0.3, -0.7]])
OFFSETS = [0.1, -0.2, 0.3]
TABLE = {"a": 2.0, "b": -0.5}


def regularizer(w):
    return 0.01 * np.sum(w ** 2)


def activation(x):
    return np.tanh(x) + 0.1 * x


# ------------------------------------------------------------------ factories


def make_mse(x, y):
    def loss(w):
        return np.mean((w @ x - y) ** 2)
    return loss


def make_weighted(weights, power):
    def loss(x):
        return np.sum(weights * x ** power)
    return loss


def make_mlp_loss(ws, lam):
    def loss(x):
        h = x
        for W in ws:
            h = np.tanh(W @ h)
        return np.sum(h ** 2) + lam * np.sum(x ** 2)
    return loss


def make_two_arg(target):
    def loss(w, x):
        return np.sum((np.tanh(w @ x) - target) ** 2)
    return loss


def make_uses_captured_function(act):
    def loss(x):
        return np.sum(act(x) * x)
    return loss


def make_calls_helper(scale):
    def helper(v):
        return scale * np.sum(np.sin(v))

    def loss(x):
        return helper(x) + helper(2.0 * x)
    return loss


def make_captured_list(params):
    def loss(x):
        total = 0.0
        for p in params:
            total = total + np.sum(p * x)
        return total * np.sum(x)
    return loss


def make_captured_dict(cfg):
    def loss(x):
        return cfg["scale"] * np.sum(x ** cfg["power"]) + cfg["bias"]
    return loss


def make_nested(a):
    def middle(b):
        def loss(x):
            return np.sum(a * x + b * x ** 2)
        return loss
    return middle(a * 2.0)


def make_capturing_weight_differentiated(W):
    # the loss takes the weight as its (differentiated) argument, shadowing nothing captured
    def loss(W2, x):
        return np.sum(np.tanh(W2 @ x) * np.tanh(W @ x))
    return loss


def make_mutable_scale():
    state = {"scale": 1.0}

    def loss(x):
        return state["scale"] * np.sum(x ** 2)
    return loss, state


def make_rebindable():
    scale = 1.0

    def loss(x):
        return scale * np.sum(x ** 2)

    def set_scale(s):
        nonlocal scale
        scale = s
    return loss, set_scale


# ------------------------------------------------------------------ module-level programs


def uses_module_constants(x):
    return LR * np.sum(x ** 2) + DEPTH


def uses_module_array(x):
    return np.sum(np.tanh(W_FIXED @ x))


def uses_module_list(x):
    total = 0.0
    for k in range(len(OFFSETS)):
        total = total + np.sum((x - OFFSETS[k]) ** 2)
    return total


def uses_module_dict(x):
    return TABLE["a"] * np.sum(x) + TABLE["b"] * np.sum(x ** 2)


def loop_depth_from_module(W, x):
    for _ in range(DEPTH):
        x = np.tanh(W @ x)
    return np.sum(x)


def calls_global_functions(w, x):
    return np.sum(activation(w @ x)) + regularizer(w)


def call_through_variable(x, deep):
    act = np.tanh if deep else knetc.relu
    return np.sum(act(x) * x)


def call_through_variable_in_loop(W, x, deep):
    act = np.tanh if deep else knetc.relu
    for _ in range(2):
        x = act(W @ x)
    return np.sum(x ** 2)


def call_through_variable_two_args(x, y, use_max):
    combine = np.maximum if use_max else np.multiply
    return np.sum(combine(x, y) * 2.0)


def call_through_variable_chosen_in_branch(x, mode):
    if mode == "sin":
        f = np.sin
    elif mode == "exp":
        f = np.exp
    else:
        f = knetc.sigm
    return np.sum(f(x) ** 2)


def call_through_list_of_functions(x):
    total = 0.0
    for f in [np.sin, np.cos, np.tanh]:
        total = total + np.sum(f(x))
    return total


# ------------------------------------------------------------------ user names that shadow
# builtins: the user's own variable must not break the generated loops


def local_named_sum(x):
    sum = 0.0
    for i in range(3):
        sum = sum + np.sum(x ** i)
    return sum


def local_named_zip_and_enumerate(xs):
    zip = 3.0
    enumerate = 0.5
    total = 0.0
    for a in reversed(xs):
        total = total + np.sum(a) * zip * enumerate
    return total


def parameter_named_range(x, range):
    # the tutorial's loss has a parameter called `range`
    total = 0.0
    for t in range:
        total = total + np.sum(x ** t)
    for a in [x, x * 2.0]:
        total = total + np.sum(np.sin(a))
    return total


def local_named_len(xs):
    len = 2
    total = 0.0
    for a in xs:
        total = total + np.sum(a ** 2) * len
    return total


# ------------------------------------------------------------------ table


def _mse_args(r):
    return (randn(r, 2, 3),)


ROWS = [
    case(uses_module_constants, lambda r: (randn(r, 4),)),
    case(uses_module_array, lambda r: (randn(r, 3, 2),)),
    case(uses_module_list, lambda r: (randn(r, 3),)),
    case(uses_module_dict, lambda r: (randn(r, 3),)),
    case(loop_depth_from_module, lambda r: (randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(calls_global_functions, lambda r: (randn(r, 2, 3), randn(r, 3, 4)), (0, 1)),
    case(call_through_variable, lambda r: (randn(r, 4), True), 0, "through_variable_tanh"),
    case(call_through_variable, lambda r: (distinct(r, 5), False), 0, "through_variable_relu"),
    case(call_through_variable_in_loop, lambda r: (randn(r, 3, 3), randn(r, 3), True), (0, 1),
         "through_variable_loop_tanh"),
    case(call_through_variable_in_loop, lambda r: (np.eye(3) * 1.1, distinct(r, 3), False),
         (0, 1), "through_variable_loop_relu"),
    case(call_through_variable_two_args, lambda r: (randn(r, 4), randn(r, 4) + 3.0, True),
         (0, 1), "through_variable_maximum"),
    case(call_through_variable_two_args, lambda r: (randn(r, 4), randn(r, 4), False), (0, 1),
         "through_variable_multiply"),
    case(call_through_variable_chosen_in_branch, lambda r: (randn(r, 3), "sin"), 0,
         "variable_from_branch_sin"),
    case(call_through_variable_chosen_in_branch, lambda r: (randn(r, 3), "exp"), 0,
         "variable_from_branch_exp"),
    case(call_through_variable_chosen_in_branch, lambda r: (randn(r, 3), "sigm"), 0,
         "variable_from_branch_sigm"),
    case(call_through_list_of_functions, lambda r: (randn(r, 3),)),
    case(local_named_sum, lambda r: (randn(r, 3),)),
    case(local_named_zip_and_enumerate, lambda r: ([randn(r, 3), randn(r, 2)],)),
    pytest.param(parameter_named_range, lambda r: (randn(r, 3), [1, 2]), 0,
                 id="parameter_named_range"),
    pytest.param(local_named_len, lambda r: ([randn(r, 3), randn(r, 3)],), 0,
                 id="local_named_len"),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_closure_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


def _factory_cases():
    r = rng_for("factories")
    x, y = randn(r, 3, 5), randn(r, 2, 5)
    ws = [randn(r, 3, 3), randn(r, 2, 3)]
    return [
        pytest.param(make_mse(x, y), (randn(r, 2, 3),), 0, id="mse_captures_data"),
        pytest.param(make_weighted(randn(r, 4), 3), (randn(r, 4),), 0,
                     id="captures_weights_and_int_power"),
        pytest.param(make_mlp_loss(ws, 0.3), (randn(r, 3, 2),), 0, id="captures_weight_list"),
        pytest.param(make_two_arg(randn(r, 2, 4)), (randn(r, 2, 3), randn(r, 3, 4)), (0, 1),
                     id="captures_target_two_args"),
        pytest.param(make_uses_captured_function(np.sin), (randn(r, 4),), 0,
                     id="captured_numpy_function"),
        pytest.param(make_uses_captured_function(activation), (randn(r, 4),), 0,
                     id="captured_user_function"),
        pytest.param(make_calls_helper(1.7), (randn(r, 4),), 0, id="captured_helper_closure"),
        pytest.param(make_captured_list([randn(r, 3), randn(r, 3)]), (randn(r, 3),), 0,
                     id="captured_list_of_arrays"),
        pytest.param(make_captured_dict({"scale": 0.5, "power": 3, "bias": 1.0}),
                     (randn(r, 3),), 0, id="captured_dict_of_hyperparameters"),
        pytest.param(make_nested(0.7), (randn(r, 3),), 0, id="two_levels_of_closure"),
        pytest.param(make_capturing_weight_differentiated(randn(r, 2, 3)),
                     (randn(r, 2, 3), randn(r, 3, 2)), (0, 1), id="captured_and_argument"),
    ]


@pytest.mark.parametrize("f, args, argnums", _factory_cases())
def test_factory_loss(f, args, argnums):
    check_program(f, args, argnums)


def test_captured_values_are_constants():
    # the gradient of sum(weights * x**power) in x is weights * power * x**(power-1):
    # nothing flows into the captured weights, and the result has x's structure only
    r = rng_for("captured_constants")
    weights, x = randn(r, 4), randn(r, 4)
    loss = make_weighted(weights, 3)
    np.testing.assert_allclose(knetc.grad(loss)(x), 3 * weights * x ** 2, rtol=1e-12)


def test_captured_mutable_container_is_read_live():
    r = rng_for("captured_live")
    x = randn(r, 3)
    loss, state = make_mutable_scale()
    g = knetc.grad(loss)
    np.testing.assert_allclose(g(x), 2 * x)
    state["scale"] = 3.0
    np.testing.assert_allclose(g(x), 6 * x)


def test_rebound_closure_variable_is_read_live():
    # `scale` is rebound (nonlocal) after the gradient was compiled: the gradient must use
    # the value the plain function sees now, like the function itself does
    r = rng_for("captured_rebound")
    x = randn(r, 3)
    loss, set_scale = make_rebindable()
    g = knetc.grad(loss)
    np.testing.assert_allclose(g(x), 2 * x)
    set_scale(5.0)
    assert np.isclose(loss(x), 5.0 * np.sum(x ** 2))
    np.testing.assert_allclose(g(x), 10 * x)


def test_module_constant_is_read_live(monkeypatch):
    r = rng_for("module_live")
    x = randn(r, 3)
    g = knetc.grad(uses_module_constants)
    np.testing.assert_allclose(g(x), 2 * LR * x)
    monkeypatch.setattr(__import__(__name__), "LR", 0.5)
    np.testing.assert_allclose(g(x), 2 * 0.5 * x)


def test_both_paths_of_call_through_variable_share_one_gradient_function():
    r = rng_for("both_paths")
    x = distinct(r, 6)
    g = knetc.grad(call_through_variable)
    np.testing.assert_allclose(g(x, True), np.tanh(x) + x * (1 - np.tanh(x) ** 2), rtol=1e-12)
    np.testing.assert_allclose(g(x, False), np.where(x > 0, 2 * x, 0.0), rtol=1e-12)
