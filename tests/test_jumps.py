"""Corpus: break, continue, early and multiple returns, while loops with break; print and
logging calls in the loss (kept in the forward sweep, run once per gradient call), assert
statements and docstrings. Checked against finite differences."""
import logging

import numpy as np
import pytest

import knetc
from corpus_util import case, check_program, positive, randn, rng_for, run_case

logger = logging.getLogger("knetc_corpus_jumps")


# ------------------------------------------------------------------ break and continue


def break_on_index(x):
    total = 0.0
    for i in range(len(x)):
        if i == 3:
            break
        total = total + x[i] ** 2
    return total


def break_on_data(xs):
    total = 0.0
    for a in xs:
        if np.sum(a) < 0:
            break
        total = total + np.sum(np.sin(a))
    return total


def continue_on_index(x):
    total = 0.0
    for i in range(len(x)):
        if i % 2 == 1:
            continue
        total = total + np.exp(x[i])
    return total


def continue_on_data(xs):
    total = 0.0
    for a in xs:
        if np.sum(a) < 0:
            continue
        total = total + np.sum(a ** 3)
    return total


def break_and_continue(x):
    total = 0.0
    for i in range(len(x)):
        if i == 1:
            continue
        if i == 4:
            break
        total = total + x[i] * x[0]
    return total


def break_inner_loop_only(x):
    # x: (3, 4)
    total = 0.0
    for i in range(3):
        for j in range(4):
            if j > i:
                break
            total = total + x[i, j] ** 2
    return total


def continue_in_inner_loop(x):
    total = 0.0
    for i in range(3):
        for j in range(3):
            if i == j:
                continue
            total = total + x[i, j] * x[j, i]
    return total


def break_outer_via_flag(x):
    total = 0.0
    done = False
    for i in range(3):
        for j in range(3):
            if x[i, j] > 1.0:
                done = True
                break
            total = total + np.tanh(x[i, j])
        if done:
            break
    return total


def while_true_with_break(x):
    n = 0
    while True:
        x = np.sin(x) * 1.5
        n += 1
        if n >= 3:
            break
    return np.sum(x)


def while_break_on_convergence(x):
    it = 0
    while it < 20:
        x = 0.5 * x + 0.1 * np.tanh(x)
        it += 1
        if np.max(np.abs(x)) < 0.05:
            break
    return np.sum(x) * it


def while_with_continue(x):
    i = 0
    total = 0.0
    while i < 5:
        i += 1
        if i == 2:
            continue
        total = total + np.sum(x ** i) / i
    return total


def loop_state_after_break(x):
    # the value carried out of a loop that stopped early
    h = x
    for k in range(10):
        h = np.tanh(h + k * 0.1)
        if k == 2:
            break
    return np.sum(h * x)


# ------------------------------------------------------------------ returns


def early_return_first(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    y = np.exp(x)
    return np.sum(y)


def multiple_returns(x):
    s = np.sum(x)
    if s > 1.0:
        return np.sum(np.sin(x))
    elif s > -1.0:
        return np.sum(x ** 3)
    else:
        return np.sum(np.exp(x))


def return_inside_for(xs):
    total = 0.0
    for a in xs:
        total = total + np.sum(a)
        if np.sum(a ** 2) > 4.0:
            return total * 2.0
    return total


def return_in_nested_loops(x):
    # x: (3, 3)
    acc = 0.0
    for i in range(3):
        for j in range(3):
            acc = acc + x[i, j] * (i + j)
            if i == 1 and j == 1:
                return acc ** 2
    return acc


def return_inside_while(x):
    n = 0
    while n < 10:
        x = x * 1.3
        n += 1
        if np.sum(x ** 2) > 10.0:
            return np.sum(x) * n
    return np.sum(x)


def return_before_loop_variable_defined(x, skip):
    if skip:
        return np.sum(x)
    for i in range(3):
        last = x * i
    return np.sum(last ** 2)


def return_in_else_of_loop_branch(xs):
    for a in xs:
        if np.sum(a) > 0:
            pass
        else:
            return np.sum(a ** 2) * 3.0
    return 0.0


def falls_through_loop(xs):
    for a in xs:
        if np.sum(a) > 100.0:
            return 0.0
    return np.sum(xs[0] * xs[-1])


def guard_clause_chain(x, mode):
    if mode == 0:
        return np.sum(x)
    if mode == 1:
        return np.sum(x ** 2)
    if mode == 2:
        return np.sum(np.sin(x))
    return np.sum(np.cos(x))


# ------------------------------------------------------------------ print, logging, assert


def prints_constant(x):
    print("computing the loss")
    return np.sum(x ** 2)


def prints_value(x):
    total = np.sum(np.tanh(x))
    print("loss", total)
    return total


def prints_fstring_in_loop(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x ** (i + 1))
        print(f"step {i}: {total:.6f}")
    return total


def _noisy_helper(x):
    print("helper called")
    return np.sum(np.sin(x))


def prints_in_callee(x):
    return _noisy_helper(x) + _noisy_helper(2.0 * x)


def logs_value(x):
    total = np.sum(x ** 2)
    logger.info("loss %.6f", total)
    logging.getLogger("knetc_corpus_jumps").debug("debug %s", "message")
    return total


def with_assert(x):
    assert x.ndim == 1, "x must be a vector"
    y = np.tanh(x)
    assert np.all(np.abs(y) <= 1.0)
    return np.sum(y * x)


def with_docstring(x):
    """The loss: a docstring is not code."""
    return np.sum(np.sin(x) ** 2)


def docstring_and_pass(w, x):
    """Docstring first.

    More lines.
    """
    pass
    h = w @ x  # a comment
    "a bare string statement"
    return np.sum(h ** 2)


ROWS = [
    case(break_on_index, lambda r: (randn(r, 6),)),
    case(break_on_data, lambda r: ([positive(r, 2), positive(r, 2), -positive(r, 2),
                                    randn(r, 2)],)),
    case(continue_on_index, lambda r: (randn(r, 5),)),
    case(continue_on_data, lambda r: ([positive(r, 2), -positive(r, 2), positive(r, 3)],)),
    case(break_and_continue, lambda r: (randn(r, 6),)),
    case(break_inner_loop_only, lambda r: (randn(r, 3, 4),)),
    case(continue_in_inner_loop, lambda r: (randn(r, 3, 3),)),
    case(break_outer_via_flag, lambda r: (np.array([[0.1, 0.2, -0.3], [0.4, 1.8, 0.5],
                                                    [0.2, 0.1, 0.3]]) + 0.01 * randn(r, 3, 3),)),
    case(while_true_with_break, lambda r: (randn(r, 3),)),
    case(while_break_on_convergence, lambda r: (randn(r, 3),)),
    case(while_with_continue, lambda r: (randn(r, 3),)),
    case(loop_state_after_break, lambda r: (randn(r, 3),)),
    case(early_return_first, lambda r: (positive(r, 3),), 0, "early_return_taken"),
    case(early_return_first, lambda r: (-positive(r, 3),), 0, "early_return_not_taken"),
    case(multiple_returns, lambda r: (positive(r, 3, low=1.0),), 0, "multiple_returns_1"),
    case(multiple_returns, lambda r: (np.array([0.3, -0.4, 0.2]),), 0, "multiple_returns_2"),
    case(multiple_returns, lambda r: (-positive(r, 3, low=1.0),), 0, "multiple_returns_3"),
    case(return_inside_for, lambda r: ([randn(r, 2) * 0.3, np.array([2.0, 1.5]),
                                        randn(r, 2)],), 0, "return_inside_for_taken"),
    case(return_inside_for, lambda r: ([randn(r, 2) * 0.3, randn(r, 2) * 0.3],), 0,
         "return_inside_for_not_taken"),
    case(return_in_nested_loops, lambda r: (randn(r, 3, 3),)),
    case(return_inside_while, lambda r: (positive(r, 3),)),
    case(return_before_loop_variable_defined, lambda r: (randn(r, 3), True), 0,
         "return_before_loop_skip"),
    case(return_before_loop_variable_defined, lambda r: (randn(r, 3), False), 0,
         "return_before_loop_run"),
    case(return_in_else_of_loop_branch, lambda r: ([positive(r, 2), -positive(r, 2),
                                                    randn(r, 2)],)),
    case(falls_through_loop, lambda r: ([randn(r, 3), randn(r, 3)],)),
    case(guard_clause_chain, lambda r: (randn(r, 3), 0), 0, "guard_0"),
    case(guard_clause_chain, lambda r: (randn(r, 3), 1), 0, "guard_1"),
    case(guard_clause_chain, lambda r: (randn(r, 3), 2), 0, "guard_2"),
    case(guard_clause_chain, lambda r: (randn(r, 3), 3), 0, "guard_3"),
    case(prints_constant, lambda r: (randn(r, 3),)),
    case(prints_value, lambda r: (randn(r, 3),)),
    case(prints_fstring_in_loop, lambda r: (randn(r, 3),)),
    case(prints_in_callee, lambda r: (randn(r, 3),)),
    case(logs_value, lambda r: (randn(r, 3),)),
    case(with_assert, lambda r: (randn(r, 4),)),
    case(with_docstring, lambda r: (randn(r, 4),)),
    case(docstring_and_pass, lambda r: (randn(r, 2, 3), randn(r, 3, 2)), (0, 1)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_jump_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


# ------------------------------------------------------------------ side effects run once


def _printed(capsys, fn, *args):
    capsys.readouterr()
    out = fn(*args)
    return out, capsys.readouterr().out


@pytest.mark.parametrize("f, n", [(prints_constant, 3), (prints_value, 3),
                                  (prints_fstring_in_loop, 3), (prints_in_callee, 3)])
def test_print_runs_once_per_gradient_call(capsys, f, n):
    x = randn(rng_for("print_" + f.__name__), 3)
    _, plain = _printed(capsys, f, x)
    assert plain, "the program prints something"
    g = knetc.grad(f)
    _, first = _printed(capsys, g, x)
    assert first == plain            # the same lines, with the same values, once
    vg = knetc.value_and_grad(f)
    _, second = _printed(capsys, vg, x)
    assert second == plain
    capsys.readouterr()
    for _ in range(n):
        g(x)
    assert capsys.readouterr().out == plain * n


def test_logging_runs_once_per_gradient_call(caplog):
    x = randn(rng_for("logging"), 3)
    with caplog.at_level(logging.DEBUG, logger="knetc_corpus_jumps"):
        logs_value(x)
        plain = [r.getMessage() for r in caplog.records]
        caplog.clear()
        knetc.grad(logs_value)(x)
        got = [r.getMessage() for r in caplog.records]
    assert len(plain) == 2
    assert got == plain


def test_failing_assert_raises_from_gradient():
    x = randn(rng_for("assert_fails"), 2, 2)
    with pytest.raises(AssertionError, match="x must be a vector"):
        with_assert(x)
    with pytest.raises(AssertionError, match="x must be a vector"):
        knetc.grad(with_assert)(x)


def test_break_zeroes_gradient_after_break():
    x = randn(rng_for("break_zero"), 6)
    d = knetc.grad(break_on_index)(x)
    np.testing.assert_allclose(d, np.r_[2 * x[:3], np.zeros(3)])


def test_continue_analytic():
    x = randn(rng_for("continue_analytic"), 5)
    d = knetc.grad(continue_on_index)(x)
    np.testing.assert_allclose(d, np.where(np.arange(5) % 2 == 0, np.exp(x), 0.0))


def test_docstring_kept_on_gradient():
    assert knetc.grad(with_docstring).__doc__ == with_docstring.__doc__
    check_program(with_docstring, (randn(rng_for("doc"), 3),))
