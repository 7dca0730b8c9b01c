"""Corpus: calls to other user functions, in this module and imported from another one.

Every callee is differentiated from its own source (a generated forward/backward pair);
each program is checked against finite differences in float64.
"""
import numpy as np
import pytest

import corpus_helpers
import corpus_helpers as ch
import knetc
from corpus_helpers import affine, layer, moments, power_sum, shifted_square, signed_energy
from corpus_util import case, positive, randn, rng_for, run_case

SCALE = 1.5

# ------------------------------------------------------------------ callees in this module


def _predict(w, x):
    return w[0] @ x + w[1]


def _sq(x):
    return np.sum(x ** 2)


def _scaled(x, scale=2.0, power=2):
    return scale * np.sum(x ** power)


def _kwonly(x, *, scale):
    return scale * np.sum(np.sin(x))


def _bilinear(a, b):
    return np.sum(a * np.tanh(b))


def _three(a, b, c):
    return a * b - c


def _swap(a, b):
    return b, a


def _pair_stats(x):
    m = np.mean(x)
    return x - m, np.sum((x - m) ** 2)


def _as_list(x):
    return [x, x ** 2, np.sin(x)]


def _as_dict(x):
    return {"lin": 2.0 * x, "sq": x * x}


def _ignores_second(x, y):
    return np.sum(x ** 3)


def _rebinds_param(x):
    x = x * 2.0
    x = np.sin(x)
    return np.sum(x)


def _step(W, h, x):
    return np.tanh(W @ h + x)


def _first_positive(xs):
    # an early return from inside a loop
    for a in xs:
        if np.sum(a) > 0:
            return np.sum(a ** 2)
    return 0.0


def _inner(x):
    return np.exp(-x ** 2)


def _middle(x):
    return _inner(x) * np.cos(x)


def _outer(x):
    return np.sum(_middle(x) + _inner(2.0 * x))


def _norm2(x):
    return np.sum(x * x)


def _uses_module_constant(x):
    return SCALE * np.sum(x ** 2)


def _with_default_constant(x, scale=SCALE):
    return scale * np.sum(np.cos(x))


def _first_big(xs, thr):
    for i, a in enumerate(xs):
        if np.sum(a) > thr:
            return a * (i + 1)
    return xs[-1]


def _optional(x, y=None):
    if y is None:
        return np.sum(x ** 2)
    return np.sum(x * y)


def _kw_defaults(x, *, a=1.0, b=2.0):
    return a * np.sum(x) + b * np.sum(x ** 2)


def _tuple_in_branch(x):
    if np.sum(x) > 0:
        return x, 1.0
    return -x, 2.0


# ------------------------------------------------------------------ the programs


def call_same_module(w, x):
    return np.sum(np.tanh(_predict(w, x)))


def call_imported_by_name(W, b, x):
    return np.sum(affine(W, b, x) ** 2)


def call_through_module_attribute(W, b, x):
    return np.sum(corpus_helpers.affine(W, b, x) * ch.squash(x[:2], 0.5))


def call_imported_chain(W, b, x):
    # corpus_helpers.layer calls squash(affine(...)) in its own module
    return np.sum(layer(W, b, x, gain=0.7) ** 2)


def call_keyword_arguments(x):
    return _scaled(x=x, scale=0.5, power=3)


def call_default_arguments(x):
    return _scaled(x)


def call_overrides_default_positionally(x):
    return _scaled(x, 3.0) + _scaled(x, 1.0, 4)


def call_keywords_out_of_order(W, b, x):
    return np.sum(affine(x=x, b=b, W=W) ** 2)


def call_keyword_only_parameter(x):
    return _kwonly(x, scale=3.0)


def call_default_from_module_constant(x):
    return _with_default_constant(x) + _uses_module_constant(x)


def call_differentiated_keyword(x, s):
    # the differentiated value is passed by keyword to a parameter with a default
    return _scaled(x, scale=s)


def unpack_two_results(x):
    m1, m2 = moments(x)
    return m2 - m1 ** 2


def results_as_tuple(x):
    r = moments(x)
    return r[0] * r[1]


def unpack_swapped_results(a, b):
    p, q = _swap(a, np.sin(b))
    return np.sum(p * 2.0 + q ** 2)


def unpack_array_and_scalar(x):
    centered, ss = _pair_stats(x)
    return np.sum(centered ** 3) + ss


def callee_returns_list(x):
    parts = _as_list(x)
    return np.sum(parts[0] * parts[2]) + np.sum(parts[1])


def callee_returns_dict(x):
    d = _as_dict(x)
    return np.sum(d["lin"] * d["sq"])


def chain_of_calls(x):
    return _sq(np.tanh(_predict([np.eye(3) * 2.0, 0.5], x)))


def nested_call_arguments(a, b):
    return _bilinear(np.sin(a), _three(a, b, 1.0)) + _sq(_three(b, b, a))


def called_several_times(W, x):
    return _sq(x) + _sq(2.0 * x) + _sq(W @ x) + _sq(np.tanh(W @ x))


def called_with_active_and_constant(a, c):
    # the same callee, active in its first argument in one call and its second in the other
    return _bilinear(a, c) + _bilinear(c, a)


def call_in_loop_rnn(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = _step(W, h, x)
    return _sq(h)


def call_in_loop_with_index(w, x):
    # w: [W0, b0, W1, b1]
    for i in range(0, len(w), 2):
        x = ch.squash(_predict([w[i], w[i + 1]], x))
    return np.sum(x)


def callee_with_loop(x):
    return power_sum(x, 3) + power_sum(0.5 * x, 1)


def callee_with_branch_positive(x):
    return signed_energy(x) * 2.0


def callee_with_branch_negative(x):
    return signed_energy(x) + np.sum(x)


def callee_with_early_return_in_loop(xs):
    return _first_positive(xs) + np.sum(xs[0])


def function_calls_function(x):
    return _outer(x) * 0.5


def callee_unused_argument(x, y):
    return _ignores_second(x, y) + np.sum(y)


def callee_rebinds_parameter(x):
    s = _rebinds_param(x)
    return s + np.sum(x)  # the caller's x is still the original


def call_in_conditional_expression(x):
    y = _sq(x) if np.sum(x) > 0 else _norm2(np.sin(x))
    return y * 3.0


def call_in_branches(x, y):
    if np.mean(y) > 0:
        r = _bilinear(x, y)
    else:
        r = _bilinear(y, x)
    return r + _sq(y)


def call_in_while_condition(x):
    n = 0
    while _norm2(x) > 0.5 and n < 10:
        x = 0.7 * np.tanh(x)
        n += 1
    return _norm2(x) + np.sum(x)


def imported_constant_reader(x):
    return shifted_square(x) + np.sum(ch.project(x.reshape(3, -1)))


def imported_softmax_wrapper(x, y):
    return np.sum(ch.soft(x) * y)


def callee_float_argument(a, x):
    # a: Python float, differentiated
    return np.sum(_three(a, x, 0.5) ** 2)


def two_level_model(w, x, y):
    return np.sum((_predict(w[2:], np.tanh(_predict(w[:2], x))) - y) ** 2)


def callee_with_jumps_in_loop(xs):
    total = 0.0
    for k in range(3):
        total = total + np.sum(_first_big(xs, k - 1.0) ** 2)
    return total


def default_none_argument(x, y):
    return _optional(x) + _optional(x, y) + _optional(y, x)


def keyword_only_defaults(x, s):
    return _kw_defaults(x, b=s) + _kw_defaults(x)


def tuple_results_from_branches(x):
    a, c = _tuple_in_branch(x)
    b, d = _tuple_in_branch(-x)
    return np.sum(a * b) * c * d


def callee_result_as_callee_argument(w, x):
    return _optional(_optional(x, w) * x, w)


def same_callee_every_activity(x, c):
    # active in the first, the second, both and neither argument
    return _optional(x, c) + _optional(c, x) + _optional(x, x) + _optional(c, c)


ROWS = [
    case(call_same_module, lambda r: ([randn(r, 2, 3), randn(r, 2, 1)], randn(r, 3, 4))),
    case(call_imported_by_name, lambda r: (randn(r, 2, 3), randn(r, 2), randn(r, 3)),
         (0, 1, 2)),
    case(call_through_module_attribute, lambda r: (randn(r, 2, 3), randn(r, 2), randn(r, 3)),
         (0, 1, 2)),
    case(call_imported_chain, lambda r: (randn(r, 2, 3), randn(r, 2, 1), randn(r, 3, 4)),
         (0, 1, 2)),
    case(call_keyword_arguments, lambda r: (randn(r, 4),)),
    case(call_default_arguments, lambda r: (randn(r, 4),)),
    case(call_overrides_default_positionally, lambda r: (randn(r, 4),)),
    case(call_keywords_out_of_order, lambda r: (randn(r, 2, 3), randn(r, 2), randn(r, 3)),
         (0, 1, 2)),
    case(call_keyword_only_parameter, lambda r: (randn(r, 5),)),
    case(call_default_from_module_constant, lambda r: (randn(r, 5),)),
    case(call_differentiated_keyword, lambda r: (randn(r, 3), 0.7), (0, 1)),
    case(unpack_two_results, lambda r: (randn(r, 6),)),
    case(results_as_tuple, lambda r: (randn(r, 6),)),
    case(unpack_swapped_results, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(unpack_array_and_scalar, lambda r: (randn(r, 5),)),
    case(callee_returns_list, lambda r: (randn(r, 4),)),
    case(callee_returns_dict, lambda r: (randn(r, 4),)),
    case(chain_of_calls, lambda r: (randn(r, 3, 2),)),
    case(nested_call_arguments, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(called_several_times, lambda r: (randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(called_with_active_and_constant, lambda r: (randn(r, 4), randn(r, 4))),
    case(call_in_loop_rnn, lambda r: (0.5 * randn(r, 3, 3), [randn(r, 3) for _ in range(4)]),
         (0, 1)),
    case(call_in_loop_with_index, lambda r: ([randn(r, 3, 2), randn(r, 3, 1), randn(r, 2, 3),
                                              randn(r, 2, 1)], randn(r, 2, 4)), (0, 1)),
    case(callee_with_loop, lambda r: (randn(r, 4),)),
    case(callee_with_branch_positive, lambda r: (positive(r, 4),)),
    case(callee_with_branch_negative, lambda r: (-positive(r, 4),)),
    case(callee_with_early_return_in_loop,
         lambda r: ([-positive(r, 3), positive(r, 3), randn(r, 3)],)),
    case(function_calls_function, lambda r: (randn(r, 5),)),
    case(callee_unused_argument, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(callee_rebinds_parameter, lambda r: (randn(r, 4),)),
    case(call_in_conditional_expression, lambda r: (positive(r, 3),), 0, "cond_expr_true"),
    case(call_in_conditional_expression, lambda r: (-positive(r, 3),), 0, "cond_expr_false"),
    case(call_in_branches, lambda r: (randn(r, 3), positive(r, 3)), (0, 1), "branches_then"),
    case(call_in_branches, lambda r: (randn(r, 3), -positive(r, 3)), (0, 1), "branches_else"),
    case(call_in_while_condition, lambda r: (2.0 * positive(r, 3),)),
    case(imported_constant_reader, lambda r: (randn(r, 6),)),
    case(imported_softmax_wrapper, lambda r: (randn(r, 3, 2), randn(r, 3, 2)), (0, 1)),
    case(callee_float_argument, lambda r: (0.8, randn(r, 3)), (0, 1)),
    case(callee_with_jumps_in_loop, lambda r: ([randn(r, 2), randn(r, 2) + 1.0,
                                                randn(r, 2) + 3.0],)),
    case(default_none_argument, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(keyword_only_defaults, lambda r: (randn(r, 3), 0.7), (0, 1)),
    case(tuple_results_from_branches, lambda r: (randn(r, 3),)),
    case(callee_result_as_callee_argument, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(same_callee_every_activity, lambda r: (randn(r, 3), randn(r, 3)), 0,
         "same_callee_every_activity_0"),
    case(same_callee_every_activity, lambda r: (randn(r, 3), randn(r, 3)), 1,
         "same_callee_every_activity_1"),
    case(two_level_model, lambda r: ([randn(r, 4, 3), randn(r, 4, 1), randn(r, 2, 4),
                                      randn(r, 2, 1)], randn(r, 3, 5), randn(r, 2, 5))),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_call_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


# ------------------------------------------------------------------ beyond finite differences


def test_callee_pairs_appear_in_source():
    src = knetc.source(knetc.grad(function_calls_function))
    for fn in ("_outer", "_middle", "_inner"):
        assert f"{fn}_forward" in src and f"{fn}_backward" in src, fn


def test_imported_callee_pairs_appear_in_source():
    src = knetc.source(knetc.grad(call_imported_chain))
    for fn in ("layer", "squash", "affine"):
        assert f"{fn}_forward" in src and f"{fn}_backward" in src, fn


def test_value_and_grad_through_calls_matches_plain_value():
    r = rng_for("vg_calls")
    w = [randn(r, 4, 3), randn(r, 4, 1), randn(r, 2, 4), randn(r, 2, 1)]
    x, y = randn(r, 3, 5), randn(r, 2, 5)
    value, dw = knetc.value_and_grad(two_level_model)(w, x, y)
    np.testing.assert_allclose(value, two_level_model(w, x, y), rtol=1e-13)
    assert type(dw) is list and len(dw) == 4


def test_analytic_gradient_of_called_several_times():
    r = rng_for("analytic_several")
    W, x = randn(r, 3, 3), randn(r, 3)
    dx = knetc.grad(called_several_times, argnums=1)(W, x)
    h = np.tanh(W @ x)
    expected = 2 * x + 8 * x + 2 * W.T @ (W @ x) + W.T @ (2 * h * (1 - h ** 2))
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)
