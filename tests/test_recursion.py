"""Corpus: recursive user functions: self-recursion on a smaller problem, over lists,
mutual recursion, and recursion with branches. Checked against finite differences."""
import numpy as np
import pytest

import knetc
from corpus_util import case, positive, randn, rng_for, run_case

# ------------------------------------------------------------------ recursive functions


def power_rec(x, n):
    if n == 0:
        return np.ones_like(x)
    return x * power_rec(x, n - 1)


def iterate_tanh(W, x, depth):
    if depth == 0:
        return x
    return iterate_tanh(W, np.tanh(W @ x), depth - 1)


def sum_list(xs):
    # f(xs) = g(xs[0]) + f(xs[1:])
    if len(xs) == 0:
        return 0.0
    return np.sum(np.sin(xs[0])) + sum_list(xs[1:])


def sum_list_indexed(xs, i):
    if i == len(xs):
        return 0.0
    return np.sum(xs[i] ** 2) * (i + 1) + sum_list_indexed(xs, i + 1)


def product_list(xs):
    if len(xs) == 1:
        return xs[0]
    return xs[0] * product_list(xs[1:])


def fold_rnn(W, h, xs):
    if len(xs) == 0:
        return h
    return fold_rnn(W, np.tanh(W @ h + xs[0]), xs[1:])


def is_even_energy(x, n):
    # mutual recursion: even/odd layers alternate their nonlinearity
    if n == 0:
        return np.sum(x ** 2)
    return is_odd_energy(np.sin(x), n - 1)


def is_odd_energy(x, n):
    if n == 0:
        return np.sum(np.exp(x))
    return is_even_energy(np.tanh(x) * 1.5, n - 1)


def branchy_rec(x, n):
    # the branch depends on the data at each level
    if n == 0:
        return np.sum(x)
    if np.sum(x) > 0:
        return branchy_rec(x * 0.5 - 0.3, n - 1) + np.sum(x ** 2)
    return branchy_rec(np.exp(x) - 0.2, n - 1) * 1.1


def tree_sum(xs):
    # divide and conquer: two recursive calls per level
    if len(xs) == 1:
        return np.sum(xs[0] ** 2)
    mid = len(xs) // 2
    return tree_sum(xs[:mid]) * tree_sum(xs[mid:])


def fib_weighted(x, n):
    if n < 2:
        return x * (n + 1.0)
    return fib_weighted(x, n - 1) + np.sin(fib_weighted(x, n - 2))


def nested_list_sum(t):
    # t is a nested structure: either an array or a list of such structures
    if isinstance(t, list):
        total = 0.0
        for sub in t:
            total = total + nested_list_sum(sub)
        return total
    return np.sum(np.tanh(t) * t)


def rec_accumulator(x, n, acc):
    if n == 0:
        return acc
    return rec_accumulator(x, n - 1, acc + np.sum(x ** n) / n)


def rec_with_break(x, n):
    total = 0.0
    for i in range(5):
        if i >= n:
            break
        total = total + np.sum(np.sin(x * i))
    if n == 0:
        return total
    return total + rec_with_break(x * 0.5, n - 1)


def collect(xs, out):
    # recursion that appends to a list it is passed
    if len(xs) == 0:
        return 0.0
    out.append(np.sin(xs[0]))
    return collect(xs[1:], out)


# ------------------------------------------------------------------ the programs


def loss_power_rec(x):
    return np.sum(power_rec(x, 4))


def loss_iterate_tanh(W, x):
    return np.sum(iterate_tanh(W, x, 3) ** 2)


def loss_sum_list(xs):
    return sum_list(xs)


def loss_sum_list_indexed(xs):
    return sum_list_indexed(xs, 0)


def loss_product_list(xs):
    return np.sum(product_list(xs))


def loss_fold_rnn(W, xs):
    return np.sum(fold_rnn(W, np.zeros(W.shape[0]), xs) ** 2)


def loss_mutual_even(x):
    return is_even_energy(x, 4)


def loss_mutual_odd(x):
    return is_odd_energy(x, 3) + is_even_energy(x, 1)


def loss_branchy_rec(x):
    return branchy_rec(x, 4)


def loss_tree_sum(xs):
    return tree_sum(xs)


def loss_fib_weighted(x):
    return np.sum(fib_weighted(x, 5))


def loss_nested_list_sum(t):
    return nested_list_sum(t)


def loss_rec_accumulator(x):
    return rec_accumulator(x, 3, 0.0)


def loss_recursion_depth_zero(x):
    # the base case at the top level
    return np.sum(power_rec(x, 0) * x)


def loss_rec_with_break(x):
    return rec_with_break(x, 3)


def loss_recursion_appends(xs):
    out = []
    z = collect(xs, out)
    return sum(np.sum(o * o) for o in out) + z


ROWS = [
    case(loss_power_rec, lambda r: (randn(r, 3),)),
    case(loss_iterate_tanh, lambda r: (randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(loss_sum_list, lambda r: ([randn(r, 2) for _ in range(4)],)),
    case(loss_sum_list_indexed, lambda r: ([randn(r, 3) for _ in range(3)],)),
    case(loss_product_list, lambda r: ([randn(r, 2) for _ in range(4)],)),
    case(loss_fold_rnn, lambda r: (0.7 * randn(r, 3, 3), [randn(r, 3) for _ in range(3)]),
         (0, 1)),
    case(loss_mutual_even, lambda r: (randn(r, 3),)),
    case(loss_mutual_odd, lambda r: (randn(r, 3),)),
    case(loss_branchy_rec, lambda r: (positive(r, 3, low=0.6),), 0, "branchy_rec_positive"),
    case(loss_branchy_rec, lambda r: (-positive(r, 3),), 0, "branchy_rec_negative"),
    case(loss_tree_sum, lambda r: ([0.5 * randn(r, 2) for _ in range(5)],)),
    case(loss_fib_weighted, lambda r: (randn(r, 3),)),
    case(loss_nested_list_sum, lambda r: ([randn(r, 2), [randn(r, 3), [randn(r, 1)]],
                                           randn(r, 2, 2)],)),
    case(loss_rec_accumulator, lambda r: (randn(r, 3),)),
    case(loss_recursion_depth_zero, lambda r: (randn(r, 3),)),
    case(loss_rec_with_break, lambda r: (randn(r, 3),)),
    case(loss_recursion_appends, lambda r: ([randn(r, 2) for _ in range(3)],)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_recursive_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


def test_recursion_analytic_power():
    x = randn(rng_for("rec_power_analytic"), 4)
    np.testing.assert_allclose(knetc.grad(loss_power_rec)(x), 4 * x ** 3, rtol=1e-12)


def test_recursion_depth_follows_argument():
    # the same compiled gradient serves different recursion depths
    r = rng_for("rec_depths")
    xs = [randn(r, 2) for _ in range(6)]
    g = knetc.grad(loss_sum_list)
    for n in (1, 3, 6):
        d = g(xs[:n])
        assert len(d) == n
        for di, xi in zip(d, xs[:n]):
            np.testing.assert_allclose(di, np.cos(xi), rtol=1e-12)


def test_recursion_source_has_one_pair():
    src = knetc.source(knetc.grad(loss_sum_list))
    assert src.count("def sum_list_forward") == 1
    assert src.count("def sum_list_backward") == 1


def unread_recursive(p0, p2, n):
    if n <= 0:
        return np.sin(p0)
    m = unread_recursive(p0, p0[2], n - 1)
    return m * m


def calls_it_later(p):
    return unread_recursive(p, p[1], 0)


def unread_then_read(w):
    unread = unread_recursive(w, np.cos(w), 3)  # noqa: F841 (unread: the `unread` pair)
    return np.sum(calls_it_later(w))  # a later helper needs the plain pair


def test_pair_skipped_while_unused_is_generated_when_a_later_helper_calls_it():
    # the plain pair was skipped (its only call site switched), then requested again by
    # calls_it_later and never generated: NameError inside the generated code
    w = np.random.RandomState(0).rand(3, 3)
    value, _ = knetc.value_and_grad(unread_then_read)(w)
    np.testing.assert_allclose(value, unread_then_read(w))
    knetc.check_grads(unread_then_read, w)
