"""Corpus: list, dict and generator comprehensions (nested, with conditions), sum(...) over
generators, and lambdas assigned to a name and called. Checked against finite differences."""
import numpy as np
import pytest

import knetc
from corpus_util import case, positive, randn, rng_for, run_case


def _sq(v):
    return np.sum(v ** 2)


def list_comp_sum(ws):
    return sum([np.sum(w ** 2) for w in ws])


def generator_in_sum(ws):
    return sum(np.sum(np.sin(w)) for w in ws)


def generator_in_sum_with_start(x, ws):
    # an array start value: the result is an array, reduced afterwards
    return np.sum(sum((w * x for w in ws), x ** 2))


def comp_over_range_capturing_x(x):
    powers = [x ** k / k for k in range(1, 4)]
    return np.sum(powers[0] * powers[2]) + np.sum(powers[1])


def comp_with_index_condition(x):
    # x: (6,)
    prods = [x[i] * x[i + 1] for i in range(len(x) - 1) if i % 2 == 0]
    return sum(prods) + prods[0] ** 2


def comp_with_data_condition(xs):
    kept = [a for a in xs if np.sum(a) > 0]
    return sum(np.sum(a ** 3) for a in kept) + len(kept)


def nested_comp_matrix(xs, ys):
    table = [[np.sum(a * b) for b in ys] for a in xs]
    return sum(sum(row) for row in table) + table[0][1] ** 2


def nested_comp_two_fors_condition(x):
    # x: (3, 3)
    return sum(x[i, j] ** 2 * (i + 1) for i in range(3) for j in range(3) if i != j)


def nested_comp_dependent_inner(x):
    # the inner range depends on the outer variable; x: (4,)
    return sum(x[i] * x[j] for i in range(len(x)) for j in range(i))


def nested_comp_conditions_both_levels(x):
    # x: (4, 4)
    rows = [[x[i, j] for j in range(4) if (i + j) % 2 == 0] for i in range(4) if i != 2]
    return sum(np.sum(np.array(r) ** 2) for r in rows)


def dict_comp_over_items(p):
    act = {k: np.tanh(v) for k, v in p.items()}
    return np.sum(act["a"] * act["b"]) + np.sum(act["c"])


def dict_comp_with_condition(p):
    big = {k: v * 2.0 for k, v in p.items() if k != "skip"}
    return sum(np.sum(v ** 2) for v in big.values())


def dict_comp_from_zip(x, y):
    d = {name: val for name, val in zip(["x", "y"], [x, np.exp(y)])}
    return np.sum(d["x"] * d["y"])


def dict_comp_over_keys(p):
    scaled = {k: p[k] * (i + 1) for i, k in enumerate(sorted(p))}
    return sum(np.sum(np.sin(v)) for v in scaled.values())


def comp_with_enumerate_and_zip(ws, xs):
    return sum((i + 1) * np.sum(w * x) for i, (w, x) in enumerate(zip(ws, xs)))


def comp_into_stack(x):
    rows = np.stack([np.sin(x * k) for k in range(3)])
    return np.sum(rows ** 2 * np.arange(3.0)[:, None])


def comp_into_concatenate(xs):
    return np.sum(np.concatenate([a * (i + 1.0) for i, a in enumerate(xs)]) ** 2)


def comp_variable_shadows_outer(x, xs):
    # the comprehension's own `x` does not leak: the outer x is used afterwards
    doubled = [x * 2.0 for x in xs]
    return np.sum(doubled[0] * doubled[1]) + np.sum(x ** 3)


def comp_inside_loop(x):
    # x: (4,); the comprehension reads the enclosing loop's variable
    total = 0.0
    for k in range(1, 4):
        total = total + sum(x[j] * k for j in range(k))
    return total


def comp_in_return(ws, x):
    return sum(np.sum(np.tanh(w @ x)) for w in ws)


def comp_over_call_result(x):
    return sum(_sq(p) for p in np.split(x, 3))


def comp_in_conditional_expression(x):
    y = sum(np.sum(x ** k) for k in range(3)) if np.sum(x) > 0 else np.sum(np.exp(x))
    return y * 2.0


def comp_into_list_and_tuple(x):
    t = tuple(np.cos(x * k) for k in range(1, 3))
    lst = list(a * 2.0 for a in t)
    return np.sum(t[0] * lst[1])


def builtin_max_of_generator(xs):
    return max(np.sum(a) for a in xs) ** 2


def lambda_square(x):
    sq = lambda t: t ** 2
    return np.sum(sq(x) + sq(np.sin(x)))


def lambda_two_params(x, y):
    mix = lambda a, b: a * np.tanh(b) - b
    return np.sum(mix(x, y) ** 2) + np.sum(mix(y, x))


def lambda_captures_local(x):
    scale = np.sum(x)
    f = lambda t: scale * t ** 2
    return np.sum(f(x))


def lambda_calls_lambda(x):
    inner = lambda t: np.exp(-t ** 2)
    outer = lambda t: inner(t) * np.cos(t) + inner(2.0 * t)
    return np.sum(outer(x))


def lambda_in_comprehension(xs):
    g = lambda a: np.sum(np.sin(a) * a)
    return sum([g(a) for a in xs])


def lambda_in_loop(W, x):
    layer = lambda h: np.tanh(W @ h)
    for _ in range(3):
        x = layer(x)
    return np.sum(x ** 2)


def lambda_param_named_like_outer(x, y):
    f = lambda x: x * y
    return np.sum(f(x * 2.0) + f(y))


def lambda_with_conditional_body(x):
    f = lambda t: t ** 2 if np.sum(t) > 0 else -t
    return np.sum(f(x)) + np.sum(f(-x))


def lambda_reads_rebound_name(x):
    k = 1.0
    f = lambda t: k * t
    k = 3.0  # a lambda reads k when it is called
    return np.sum(f(x) ** 2)


def lambda_calls_user_function(x):
    h = lambda t: _sq(np.tanh(t))
    return h(x) + h(x * 0.5)


def comp_with_extras_none(x, extras):
    # the comprehension runs only when extras is given (here it is None)
    bonus = sum(np.sum(e * x) for e in extras) if extras is not None else 0.0
    return np.sum(x ** 2) + bonus


def comp_with_extras_list(x, extras):
    bonus = sum(np.sum(e * x) for e in extras) if extras is not None else 0.0
    return np.sum(x ** 2) + bonus


def _dict3(r):
    return ({"a": randn(r, 3), "b": randn(r, 3), "c": randn(r, 2)},)


ROWS = [
    case(list_comp_sum, lambda r: ([randn(r, 2), randn(r, 3, 2), randn(r, 1)],)),
    case(generator_in_sum, lambda r: ([randn(r, 2), randn(r, 3)],)),
    case(generator_in_sum_with_start, lambda r: (randn(r, 3), [randn(r, 3), randn(r, 3)]),
         (0, 1)),
    case(comp_over_range_capturing_x, lambda r: (randn(r, 4),)),
    case(comp_with_index_condition, lambda r: (randn(r, 6),)),
    case(comp_with_data_condition, lambda r: ([positive(r, 2), -positive(r, 2), positive(r, 3)],)),
    case(nested_comp_matrix, lambda r: ([randn(r, 2) for _ in range(3)],
                                        [randn(r, 2) for _ in range(2)]), (0, 1)),
    case(nested_comp_two_fors_condition, lambda r: (randn(r, 3, 3),)),
    case(nested_comp_dependent_inner, lambda r: (randn(r, 4),)),
    case(nested_comp_conditions_both_levels, lambda r: (randn(r, 4, 4),)),
    case(dict_comp_over_items, _dict3),
    case(dict_comp_with_condition, lambda r: ({"a": randn(r, 2), "skip": randn(r, 2),
                                               "b": randn(r, 3)},)),
    case(dict_comp_from_zip, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(dict_comp_over_keys, _dict3),
    pytest.param(comp_with_enumerate_and_zip,
                 lambda r: ([randn(r, 2), randn(r, 2)], [randn(r, 2), randn(r, 2)]), (0, 1),
                 id="comp_with_enumerate_and_zip"),
    case(comp_into_stack, lambda r: (randn(r, 4),)),
    case(comp_into_concatenate, lambda r: ([randn(r, 2), randn(r, 3)],)),
    case(comp_variable_shadows_outer, lambda r: (randn(r, 3), [randn(r, 3), randn(r, 3)]),
         (0, 1)),
    case(comp_inside_loop, lambda r: (randn(r, 4),)),
    case(comp_in_return, lambda r: ([randn(r, 2, 3), randn(r, 2, 3)], randn(r, 3)), (0, 1)),
    case(comp_over_call_result, lambda r: (randn(r, 6),)),
    case(comp_in_conditional_expression, lambda r: (positive(r, 3),), 0, "comp_cond_true"),
    case(comp_in_conditional_expression, lambda r: (-positive(r, 3),), 0, "comp_cond_false"),
    case(comp_into_list_and_tuple, lambda r: (randn(r, 3),)),
    case(builtin_max_of_generator, lambda r: ([randn(r, 2), randn(r, 2) + 5.0, randn(r, 2)],)),
    case(lambda_square, lambda r: (randn(r, 4),)),
    case(lambda_two_params, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(lambda_captures_local, lambda r: (randn(r, 3),)),
    case(lambda_calls_lambda, lambda r: (randn(r, 4),)),
    case(lambda_in_comprehension, lambda r: ([randn(r, 2), randn(r, 3)],)),
    case(lambda_in_loop, lambda r: (randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(lambda_param_named_like_outer, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(lambda_with_conditional_body, lambda r: (positive(r, 3),)),
    case(lambda_reads_rebound_name, lambda r: (randn(r, 3),)),
    case(lambda_calls_user_function, lambda r: (randn(r, 3),)),
    case(comp_with_extras_list, lambda r: (randn(r, 3), [randn(r, 3), randn(r, 3)]), (0, 1)),
    pytest.param(comp_with_extras_none, lambda r: (randn(r, 3), None), 0,
                 id="comp_with_extras_none"),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_comprehension_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


def test_lambda_reads_name_at_call_time_analytic():
    x = randn(rng_for("lambda_late"), 3)
    np.testing.assert_allclose(knetc.grad(lambda_reads_rebound_name)(x), 18 * x, rtol=1e-12)


def test_data_condition_analytic():
    r = rng_for("comp_filter")
    xs = [positive(r, 2), -positive(r, 2), positive(r, 3)]
    d = knetc.grad(comp_with_data_condition)(xs)
    np.testing.assert_allclose(d[0], 3 * xs[0] ** 2)
    np.testing.assert_allclose(d[1], np.zeros(2))
    np.testing.assert_allclose(d[2], 3 * xs[2] ** 2)
