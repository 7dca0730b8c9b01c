"""Corpus of unsupported programs: each must be refused with the right error type, and a
message that names this file, the offending line's number and text, and says what to do
instead. Also: runtime errors inside generated code point at the user's file and line.
"""
import inspect
import math
import traceback

import numpy as np
import pytest

import knetc

COUNTER = 0

# ruff: noqa: F841 (unused locals are part of the programs)


# ------------------------------------------------------------------ unsupported syntax


def uses_yield(x):
    yield np.sum(x)
    return np.sum(x)


def uses_yield_from(x):
    yield from [np.sum(x)]
    return np.sum(x)


async def uses_async_def(x):
    return np.sum(x ** 2)


def uses_try(x):
    try:
        y = np.sum(x ** 2)
    except ValueError:
        y = 0.0
    return y


def uses_global_write(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return np.sum(x ** 2)


def _make_nonlocal():
    calls = 0

    def uses_nonlocal(x):
        nonlocal calls
        calls = calls + 1
        return np.sum(x ** 2)
    return uses_nonlocal


uses_nonlocal = _make_nonlocal()


def uses_with(x):
    with np.errstate(all="ignore"):
        y = np.log(x)
    return np.sum(y)


def uses_del(x):
    y = x ** 2
    del y
    return np.sum(x)


def uses_raise(x):
    if np.sum(x) > 100.0:
        raise ValueError("too big")
    return np.sum(x ** 2)


def uses_nested_def(x):
    def square(t):
        return t ** 2
    return np.sum(square(x))


def uses_class_def(x):
    class Box:
        pass
    return np.sum(x)


def uses_import(x):
    import math as m
    return np.sum(x) * m.pi


def uses_star_args(*xs):
    return np.sum(xs[0] ** 2)


def uses_star_kwargs(x, **options):
    return np.sum(x ** 2)


def uses_star_unpacking(x):
    a, *rest = [x, x, x]
    return np.sum(a)


def uses_walrus(x):
    if (s := np.sum(x)) > 0:
        return s
    return -s


def uses_set_literal(x):
    keys = {0, 1}
    return np.sum(x) * len(keys)


def uses_for_else(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x ** i)
    else:
        total = total * 2.0
    return total


def uses_while_else(x):
    n = 0
    while n < 2:
        x = x * 2.0
        n += 1
    else:
        x = x + 1.0
    return np.sum(x)


def uses_bare_return(x):
    if np.sum(x) > 0:
        return
    return np.sum(x)


def returns_nothing(x):
    y = np.sum(x ** 2)


def uses_attribute_assignment(x, box):
    box.cache = x * 2.0
    return np.sum(box.cache)


def uses_extend(x):
    parts = [np.sum(x)]
    parts.extend([np.sum(x ** 2)])
    return parts[0] + parts[1]


def uses_pop(x):
    parts = [np.sum(x), np.sum(x ** 2)]
    last = parts.pop()
    return parts[0] + last


def uses_dict_update(x):
    d = {"a": x}
    d.update({"b": x ** 2})
    return np.sum(d["a"] + d["b"])


def uses_unnamed_lambda(x):
    return np.sum((lambda t: t ** 2)(x))


def uses_comprehension_in_while(x):
    while sum(np.sum(a) for a in [x]) > 1.0:
        x = x * 0.5
    return np.sum(x)


def uses_lambda_twice(x):
    f = lambda t: t ** 2
    f = lambda t: t ** 3
    return np.sum(f(x))


# ------------------------------------------------------------------ no adjoint rule


def uses_np_sort(x):
    return np.sum(np.sort(x) * np.arange(3.0))


def uses_norm(x):
    return np.linalg.norm(x) ** 2


def uses_cumsum(x):
    return np.sum(np.cumsum(x) ** 2)


def uses_cumsum_method(x):
    return np.sum(x.cumsum() ** 2)


def uses_math_erf(x):
    s = np.sum(x)
    return math.erf(s)


def uses_eval(x):
    y = eval("x * 2.0", {"x": x})
    return np.sum(y)


def uses_exec(x):
    ns = {"x": x}
    exec("y = x * 2.0", ns)  # the namespace holds x; exec stores 2x in it
    return np.sum(ns["y"])


def keywords_through_variable(x, deep):
    act = knetc.softmax if deep else knetc.logp
    return np.sum(act(x, axis=0) * x)


def _user_act(x):
    return np.tanh(x)


def user_function_through_variable(x, deep):
    act = _user_act if deep else np.sin
    return np.sum(act(x))


def sorted_arrays(xs):
    ys = sorted(xs, key=np.sum)
    return np.sum(ys[0])


# ------------------------------------------------------------------ run-time refusals


def array_element_assignment(x):
    h = np.zeros((2, 3))
    for t in range(3):
        h[:, t] = np.tanh(x * t)
    return np.sum(h)


class _Box:
    pass


S = knetc.KnetcSyntaxError
N = knetc.NoAdjointError


def _vec(n=3):
    return (np.array([0.5, -0.25, 1.0, 0.75][:n]),)


# program, its arguments, argnums, expected error type, a fragment of the offending line
PROGRAMS = [
    (uses_yield, _vec(), 0, S, "yield np.sum(x)"),
    (uses_yield_from, _vec(), 0, S, "yield from [np.sum(x)]"),
    (uses_async_def, _vec(), 0, S, "async def uses_async_def(x):"),
    (uses_try, _vec(), 0, S, "try:"),
    (uses_global_write, _vec(), 0, S, "global COUNTER"),
    (uses_nonlocal, _vec(), 0, S, "nonlocal calls"),
    (uses_with, (np.array([0.5, 1.5, 2.0]),), 0, S, "with np.errstate"),
    (uses_del, _vec(), 0, S, "del y"),
    (uses_raise, _vec(), 0, S, 'raise ValueError("too big")'),
    (uses_nested_def, _vec(), 0, S, "def square(t):"),
    (uses_class_def, _vec(), 0, S, "class Box:"),
    (uses_import, _vec(), 0, S, "import math as m"),
    (uses_star_args, _vec(), 0, S, "def uses_star_args(*xs):"),
    (uses_star_kwargs, _vec(), 0, S, "def uses_star_kwargs(x, **options):"),
    (uses_star_unpacking, _vec(), 0, S, "a, *rest = [x, x, x]"),
    (uses_walrus, _vec(), 0, S, "if (s := np.sum(x)) > 0:"),
    (uses_set_literal, _vec(), 0, S, "keys = {0, 1}"),
    (uses_for_else, _vec(), 0, S, "for i in range(3):"),
    (uses_while_else, _vec(), 0, S, "while n < 2:"),
    (uses_bare_return, _vec(), 0, S, "        return\n"),
    (returns_nothing, _vec(), 0, S, "def returns_nothing(x):"),
    (uses_attribute_assignment, _vec() + (_Box(),), 0, S, "box.cache = x * 2.0"),
    (uses_extend, _vec(), 0, S, "parts.extend([np.sum(x ** 2)])"),
    (uses_pop, _vec(), 0, S, "last = parts.pop()"),
    (uses_dict_update, _vec(), 0, S, 'd.update({"b": x ** 2})'),
    (uses_unnamed_lambda, _vec(), 0, S, "(lambda t: t ** 2)(x)"),
    (uses_comprehension_in_while, _vec(), 0, S, "while sum(np.sum(a) for a in [x]) > 1.0:"),
    (uses_lambda_twice, _vec(), 0, S, "f = lambda t: t ** 3"),
    (uses_np_sort, _vec(), 0, N, "np.sort(x)"),
    (uses_norm, _vec(), 0, N, "np.linalg.norm(x)"),
    (uses_cumsum, _vec(), 0, N, "np.cumsum(x)"),
    (uses_cumsum_method, _vec(), 0, N, "x.cumsum()"),
    (uses_math_erf, _vec(), 0, N, "return math.erf(s)"),
    (uses_eval, _vec(), 0, N, 'eval("x * 2.0", {"x": x})'),
    (uses_exec, _vec(), 0, N, 'exec("y = x * 2.0", ns)'),
    (keywords_through_variable, _vec() + (True,), 0, N, "act(x, axis=0)"),
    (user_function_through_variable, _vec() + (True,), 0, S, "return np.sum(act(x))"),
    (sorted_arrays, ([np.ones(2), np.zeros(2)],), 0, S, "ys = sorted(xs, key=np.sum)"),
    (array_element_assignment, _vec(2), 0, S, "h[:, t] = np.tanh(x * t)"),
]


def _expected_line(f, needle):
    """The file line of the first source line of f containing needle."""
    lines, start = inspect.getsourcelines(f)
    for i, text in enumerate(lines):
        if needle in text or needle == text:
            return start + i, text.strip()
    raise AssertionError(f"test bug: {needle!r} not in the source of {f.__name__}")


def _xfail(reason, raises=AssertionError):
    return pytest.mark.xfail(strict=True, raises=raises, reason=reason)


KNOWN = {  # rows refused today, but not the way every refusal must be
}


@pytest.mark.parametrize("f, args, argnums, error, needle",
                         [pytest.param(*row, id=row[0].__name__,
                                       marks=[KNOWN[row[0]]] if row[0] in KNOWN else [])
                          for row in PROGRAMS])
def test_unsupported_program_is_refused(f, args, argnums, error, needle):
    with pytest.raises(error) as info:
        knetc.grad(f, argnums=argnums)(*args)
    exc = info.value
    assert isinstance(exc, SyntaxError)
    message = str(exc)
    lineno, text = _expected_line(f, needle)
    assert "test_errors.py" in message, message
    assert f"test_errors.py:{lineno}" in message, message
    assert text in message, message
    assert "Instead" in message or "@knetc.adjoint" in message, message
    assert exc.lineno == lineno and exc.filename.endswith("test_errors.py")


def test_no_adjoint_error_is_a_knetc_syntax_error():
    assert issubclass(knetc.NoAdjointError, knetc.KnetcSyntaxError)
    assert issubclass(knetc.KnetcSyntaxError, SyntaxError)


def test_errors_name_the_construct():
    cases = {uses_try: "try", uses_yield: "yield", uses_with: "with", uses_del: "del",
             uses_raise: "raise", uses_global_write: "global", uses_nonlocal: "nonlocal",
             uses_nested_def: "def", uses_class_def: "class", uses_np_sort: "sort",
             uses_norm: "norm", uses_cumsum: "cumsum", uses_math_erf: "erf",
             uses_extend: "extend", uses_star_args: "*args"}
    for f, word in cases.items():
        with pytest.raises(knetc.KnetcSyntaxError) as info:
            knetc.grad(f)(*_vec())
        first_line = str(info.value).splitlines()[0]
        assert word in first_line, (f.__name__, first_line)


# ------------------------------------------------------------------ not a scalar, no source


def not_a_scalar(x):
    y = np.tanh(x)
    return y * 2.0


def test_non_scalar_result_names_shape_and_line():
    x = np.ones((3, 4))
    with pytest.raises(knetc.NonScalarError) as info:
        knetc.grad(not_a_scalar)(x)
    text = "".join(traceback.format_exception(info.value))
    assert "(3, 4)" in str(info.value)
    lineno, line = _expected_line(not_a_scalar, "return y * 2.0")
    assert f"test_errors.py:{lineno}" in text, text
    assert line in text


def test_builtin_without_source():
    with pytest.raises(knetc.KnetcError) as info:
        knetc.grad(len)
    message = str(info.value)
    assert "'len'" in message
    assert "def" in message             # says what knetc can differentiate instead
    assert not isinstance(info.value, AssertionError)


def test_numpy_function_without_source():
    with pytest.raises(knetc.KnetcError) as info:
        knetc.grad(np.tanh)
    assert "tanh" in str(info.value)


def test_non_scalar_result_names_shape():
    with pytest.raises(knetc.NonScalarError) as info:
        knetc.grad(not_a_scalar)(np.ones((2, 5)))
    assert "(2, 5)" in str(info.value)


def test_lambdas_sharing_a_line_are_refused_or_right():
    # knetc reads a lambda's source from its line; with two lambdas of the same parameters
    # on one line it must refuse, or find the right one: never differentiate the other
    f, g = lambda x: np.sum(x ** 2), lambda x: np.sum(x)
    x = np.array([0.5, -0.25, 1.0])
    for fn, expected in ((f, 2 * x), (g, np.ones(3))):
        try:
            got = knetc.grad(fn)(x)
        except knetc.KnetcError as exc:
            assert "test_errors.py" in str(exc)
            continue
        np.testing.assert_allclose(got, expected, rtol=1e-12)


# ------------------------------------------------------------------ run-time errors


def shape_mismatch(W, x):
    h = np.tanh(W @ x)
    z = h + np.ones(5)
    return np.sum(z)


def _inner_mismatch(a):
    return a * np.ones((2, 2))


def shape_mismatch_in_callee(x):
    return np.sum(_inner_mismatch(x))


def test_runtime_error_points_at_user_line():
    W, x = np.ones((3, 4)), np.ones(4)
    with pytest.raises(ValueError) as info:
        knetc.grad(shape_mismatch)(W, x)
    text = "".join(traceback.format_exception(info.value))
    lineno, line = _expected_line(shape_mismatch, "z = h + np.ones(5)")
    assert f"test_errors.py:{lineno}" in text, text
    assert line in text


def test_runtime_error_in_callee_points_at_callee_line():
    with pytest.raises(ValueError) as info:
        knetc.grad(shape_mismatch_in_callee)(np.ones(3))
    text = "".join(traceback.format_exception(info.value))
    lineno, line = _expected_line(_inner_mismatch, "return a * np.ones((2, 2))")
    assert f"test_errors.py:{lineno}" in text, text
    assert line in text


def test_runtime_error_in_value_and_grad_points_at_user_line():
    W, x = np.ones((3, 4)), np.ones(4)
    with pytest.raises(ValueError) as info:
        knetc.value_and_grad(shape_mismatch)(W, x)
    text = "".join(traceback.format_exception(info.value))
    lineno, _ = _expected_line(shape_mismatch, "z = h + np.ones(5)")
    assert f"test_errors.py:{lineno}" in text
