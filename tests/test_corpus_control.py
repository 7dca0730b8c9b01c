"""Corpus: if/elif/else, conditional expressions, for and while loops."""
import numpy as np
import pytest

from corpus_util import case, positive, randn, run_case


def if_else_on_sum(x):
    if np.sum(x) > 0:
        y = x ** 2
    else:
        y = -3.0 * x
    return np.sum(y)


def if_elif_else(x):
    s = np.sum(x)
    if s > 1.0:
        r = np.sum(np.sin(x))
    elif s > -1.0:
        r = np.sum(x ** 2)
    else:
        r = np.sum(np.exp(x))
    return r


def if_without_else(x):
    y = x * 2.0
    if np.max(np.abs(x)) > 1.0:
        y = y / np.max(np.abs(x))
    return np.sum(np.tanh(y) * x)


def conditional_expression(x):
    y = x * 2 if np.mean(x) > 0 else x * -3
    return np.sum(y ** 2)


def return_in_branches(x):
    if np.sum(x) > 0:
        out = np.sum(x ** 2)
    else:
        out = np.sum(np.exp(x))
    return out


def early_return(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(np.exp(x))


def for_range_powers(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x ** (i + 1))
    return total


def for_range_start_stop_step(x):
    # x: (6,)
    acc = 0.0
    for i in range(1, 6, 2):
        acc += x[i] * x[i - 1]
    return acc


def for_over_list_of_arrays(xs):
    total = 0.0
    for a in xs:
        total = total + np.sum(np.tanh(a))
    return total


def for_enumerate(xs):
    total = 0.0
    for i, a in enumerate(xs):
        total += (i + 1) * np.sum(a ** 2)
    return total


def for_zip(ws, xs):
    total = 0.0
    for w, x in zip(ws, xs):
        total = total + np.sum((w * x) ** 2)
    return total


def nested_loops(x):
    # x: (3, 3)
    total = 0.0
    for i in range(3):
        for j in range(i + 1):
            total = total + x[i, j] * x[j, i]
    return total


def while_counter(x):
    i = 0
    while i < 3:
        x = np.sin(x) + 0.5 * x
        i += 1
    return np.sum(x)


def while_data_dependent(x):
    # halves x until its squared norm is at most 1; the count is locally constant
    while np.sum(x ** 2) > 1.0:
        x = x * 0.5
    return np.sum(x ** 3)


def while_tolerance_and_counter(x):
    it = 0
    while it < 10 and np.max(np.abs(x)) > 0.1:
        x = 0.5 * np.tanh(x)
        it = it + 1
    return np.sum(x) * it


def recurrent_tanh(W, x):
    for _ in range(4):
        x = np.tanh(W @ x)
    return np.sum(x)


def rnn_with_inputs(Wh, Wx, xs):
    h = np.zeros(Wh.shape[0])
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
    return np.sum(h ** 2)


def loop_accumulates_array(x):
    acc = np.zeros_like(x)
    for k in range(1, 4):
        acc = acc + np.sin(k * x) / k
    return np.sum(acc * x)


def loop_body_never_runs(x):
    total = np.sum(x ** 2)
    for i in range(0):
        total = total + np.sum(x) * i
    for i in range(len(x), 2):
        total = total * 0.0
    return total


def while_body_never_runs(x):
    n = 0
    while n > 0:
        x = x * 0.0
        n -= 1
    return np.sum(np.exp(x))


def if_inside_loop(x):
    for i in range(4):
        if i % 2 == 0:
            x = x * 2.0
        else:
            x = np.sin(x)
    return np.sum(x)


def data_branch_inside_loop(xs):
    total = 0.0
    for a in xs:
        if np.sum(a) > 0:
            total = total + np.sum(a ** 2)
        else:
            total = total - np.sum(a)
    return total


def loop_appends_to_list(x):
    outs = []
    for i in range(3):
        outs.append(np.tanh(x * (i + 1)))
    return np.sum(outs[0] * outs[2]) + np.sum(outs[1])


def loop_extends_list(x):
    outs = []
    for i in range(3):
        outs = outs + [np.tanh(x * (i + 1))]
    return np.sum(outs[0] * outs[2]) + np.sum(outs[1])


def loop_over_len(w, x):
    # w: [W1, b1, W2, b2]
    for i in range(len(w) // 2):
        x = np.tanh(w[2 * i] @ x + w[2 * i + 1])
    return np.sum(x)


def while_instead_of_break(x):
    # loop_break written without `break`
    total = 0.0
    i = 0
    while i < 10 and i < 3:
        total = total + np.sum(x ** (i + 1))
        i += 1
    return total


def loop_continue(x):
    total = 0.0
    for i in range(5):
        if i % 2 == 1:
            continue
        total = total + np.sum(np.sin(x * (i + 1)))
    return total


def return_inside_loop(xs):
    total = 0.0
    for a in xs:
        total = total + np.sum(a ** 2)
        if total > 2.0:
            return total * 2.0
    return total


def loop_break(x):
    total = 0.0
    for i in range(10):
        if i >= 3:
            break
        total = total + np.sum(x ** (i + 1))
    return total


def _row_sum(r, n, sign):
    """A (n,) vector whose sum has the given sign, well away from 0."""
    x = randn(r, n)
    return x - np.mean(x) + sign * 0.7


def branch_decisions_vary_per_iteration(x):
    # the branch taken changes from one iteration to the next
    for _ in range(5):
        if np.sum(x) > 0:
            x = x - 0.7
        else:
            x = x * 1.5 + 0.3
    return np.sum(x ** 2)


def chained_comparison_condition(x):
    s = np.sum(x)
    if 0.0 < s < 10.0:
        y = np.log(s) * x
    else:
        y = x
    return np.sum(y ** 2)


def not_condition(x):
    if not np.all(x > 0):
        x = x ** 2
    return np.sum(np.sqrt(x + 1.0))


def while_counter_in_branch(x):
    i = 0
    total = 0.0
    while i < 6:
        if i % 3 == 0:
            total = total + np.sum(np.sin(x * i))
            i = i + 2
        else:
            total = total + np.sum(x ** 2)
            i = i + 1
    return total


def loop_over_reversed(xs):
    h = 0.0
    for a in reversed(xs):
        h = np.tanh(a + h)
    return np.sum(h)


def loop_range_len_neighbours(xs):
    total = 0.0
    for i in range(1, len(xs)):
        total = total + np.sum(xs[i] * xs[i - 1])
    return total


def loop_over_array_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w)
    return total


def enumerate_with_start(xs):
    total = 0.0
    for k, a in enumerate(xs, 1):
        total = total + k * np.sum(a ** 2)
    return total


def zip_three(ws, bs, xs):
    total = 0.0
    for w, b, x in zip(ws, bs, xs):
        total = total + np.sum(np.tanh(w * x + b))
    return total


ROWS = [
    case(if_else_on_sum, lambda r: (_row_sum(r, 4, +1),), name="if_else_on_sum-pos"),
    case(if_else_on_sum, lambda r: (_row_sum(r, 4, -1),), name="if_else_on_sum-neg"),
    case(if_elif_else, lambda r: (_row_sum(r, 3, +1),), name="if_elif_else-if"),
    case(if_elif_else, lambda r: (_row_sum(r, 3, 0) + 0.1,), name="if_elif_else-elif"),
    case(if_elif_else, lambda r: (_row_sum(r, 3, -1),), name="if_elif_else-else"),
    case(if_without_else, lambda r: (np.array([0.3, -2.0, 0.8]),), name="if_without_else-taken"),
    case(if_without_else, lambda r: (np.array([0.3, -0.6, 0.8]),), name="if_without_else-skip"),
    case(conditional_expression, lambda r: (_row_sum(r, 4, +1),),
         name="conditional_expression-pos"),
    case(conditional_expression, lambda r: (_row_sum(r, 4, -1),),
         name="conditional_expression-neg"),
    case(return_in_branches, lambda r: (_row_sum(r, 3, +1),), name="return_in_branches-pos"),
    case(return_in_branches, lambda r: (_row_sum(r, 3, -1),), name="return_in_branches-neg"),
    case(for_range_powers, lambda r: (randn(r, 2, 3),)),
    case(for_range_start_stop_step, lambda r: (randn(r, 6),)),
    case(for_over_list_of_arrays, lambda r: ([randn(r, 3), randn(r, 2, 2), randn(r, 4)],)),
    case(for_enumerate, lambda r: ([randn(r, 3), randn(r, 3), randn(r, 2)],)),
    case(for_zip, lambda r: ([randn(r, 3), randn(r, 2)], [randn(r, 3), randn(r, 2)]), (0, 1)),
    case(nested_loops, lambda r: (randn(r, 3, 3),)),
    case(while_counter, lambda r: (randn(r, 4),)),
    case(while_data_dependent, lambda r: (np.array([2.0, -1.5, 2.5]),)),
    case(while_tolerance_and_counter, lambda r: (np.array([1.3, -0.9, 2.0]),)),
    case(recurrent_tanh, lambda r: (0.5 * randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(rnn_with_inputs, lambda r: (0.5 * randn(r, 3, 3), randn(r, 3, 2),
                                     [randn(r, 2), randn(r, 2), randn(r, 2)]), (0, 1, 2)),
    case(loop_accumulates_array, lambda r: (randn(r, 5),)),
    case(loop_body_never_runs, lambda r: (randn(r, 3),)),
    case(while_body_never_runs, lambda r: (randn(r, 3),)),
    case(if_inside_loop, lambda r: (randn(r, 3),)),
    case(data_branch_inside_loop,
         lambda r: ([_row_sum(r, 3, +1), _row_sum(r, 3, -1), _row_sum(r, 2, +1)],)),
    case(loop_extends_list, lambda r: (randn(r, 4),)),
    case(loop_appends_to_list, lambda r: (randn(r, 4),)),
    case(while_instead_of_break, lambda r: (randn(r, 3),)),
    case(loop_break, lambda r: (randn(r, 3),)),
    case(loop_continue, lambda r: (randn(r, 3),)),
    case(early_return, lambda r: (_row_sum(r, 3, +1),), name="early_return-pos"),
    case(early_return, lambda r: (_row_sum(r, 3, -1),), name="early_return-neg"),
    case(return_inside_loop, lambda r: ([np.array([0.5, 0.6]), np.array([1.0, 0.9]),
                                         np.array([2.0])],), name="return_inside_loop-early"),
    case(return_inside_loop, lambda r: ([np.array([0.5, 0.6]), np.array([0.3, 0.2])],),
         name="return_inside_loop-late"),
    case(loop_over_len, lambda r: ([randn(r, 4, 3), randn(r, 4), randn(r, 2, 4), randn(r, 2)],
                                   randn(r, 3)), (0, 1)),
    case(branch_decisions_vary_per_iteration, lambda r: (np.array([0.9, -0.2, 0.5]),)),
    case(chained_comparison_condition, lambda r: (positive(r, 3),), name="chained_comparison-in"),
    case(chained_comparison_condition, lambda r: (_row_sum(r, 3, -1),),
         name="chained_comparison-out"),
    case(not_condition, lambda r: (positive(r, 3),), name="not_condition-all_positive"),
    case(not_condition, lambda r: (randn(r, 4, margin=0.2) * [1, -1, 1, 1],),
         name="not_condition-some_negative"),
    case(while_counter_in_branch, lambda r: (randn(r, 3),)),
    case(loop_over_reversed, lambda r: ([randn(r, 3), randn(r, 3), randn(r, 3)],)),
    case(loop_range_len_neighbours, lambda r: ([randn(r, 2), randn(r, 2), randn(r, 2)],)),
    case(loop_over_array_rows, lambda r: (randn(r, 4, 3), randn(r, 3)), (0, 1)),
    case(enumerate_with_start, lambda r: ([randn(r, 3), randn(r, 2)],)),
    case(zip_three, lambda r: ([randn(r, 2), randn(r, 3)], [randn(r, 2), randn(r, 3)],
                               [randn(r, 2), randn(r, 3)]), (0, 1)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_control_program(request, f, build, argnums):
    run_case(request, f, build, argnums)

