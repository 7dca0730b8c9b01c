"""In-place operators (`a *= 2.0`) next to NumPy views and aliases: knetc compiles them as
`a = a * 2.0`, so wherever NumPy would change an object another name still reads, it must
refuse (at compile time where the alias check sees it, at run time where only the values
tell), and everywhere else give Python's value and gradient (checked by finite differences).
"""
import inspect

import numpy as np
import pytest

import knetc


def _refusal(f, args, needle, argnums=0, where=None):
    with pytest.raises(knetc.KnetcSyntaxError) as info:
        knetc.grad(f, argnums=argnums)(*args)
    message = str(info.value)
    lines, start = inspect.getsourcelines(where or f)
    offset = next(i for i, text in enumerate(lines) if needle in text)
    assert f"test_views_inplace.py:{start + offset}" in message, message
    assert needle in message
    assert "Instead" in message
    return message


# ------------------------------------------------------------- refused at compile time

def view_by_index(x):
    a = np.tanh(np.outer(x, x))
    v = a[0]
    a *= 2.0
    return np.sum(v)


def view_by_slice(x):
    a = np.tanh(x)
    v = a[1:]
    a *= 2.0
    return np.sum(v)


def view_by_transpose(x):
    a = np.tanh(np.outer(x, x))
    v = a.T
    a += 1.0
    return np.sum(v * v)


def view_by_reshape_function(x):
    a = np.tanh(x)
    v = np.reshape(a, (3, 1))
    a -= 0.5
    return np.sum(v ** 2)


def view_by_method(x):
    a = np.tanh(x)
    v = a.ravel()
    a /= 2.0
    return np.sum(v)


def view_by_none_and_ellipsis(x):
    a = np.tanh(np.outer(x, x))
    v = a[None][..., 0]
    a *= 3.0
    return np.sum(v)


def view_by_asarray(x):
    a = np.tanh(x)
    v = np.squeeze(np.asarray(a))
    a *= 2.0
    return np.sum(v)


def view_mutated_viewed_read(x):
    a = np.tanh(x)
    b = a.reshape(-1)
    b *= 2.0
    return np.sum(a)


def view_of_parameter_mutated(x):
    v = x[0:2]
    v *= 3.0
    return np.sum(x ** 2)


def view_read_next_iteration(x):
    a = np.tanh(x)
    v = a * 1.0
    total = 0.0
    for i in range(2):
        total = total + np.sum(v)  # the view taken in the previous iteration
        v = a.T
        a *= 2.0
    return total


def alias_by_name(x):
    a = np.tanh(x)
    b = a
    b += 1.0
    return np.sum(a * b)


COMPILE_TIME = [
    (view_by_index, "a *= 2.0"), (view_by_slice, "a *= 2.0"),
    (view_by_transpose, "a += 1.0"), (view_by_reshape_function, "a -= 0.5"),
    (view_by_method, "a /= 2.0"), (view_by_none_and_ellipsis, "a *= 3.0"),
    (view_by_asarray, "a *= 2.0"), (view_mutated_viewed_read, "b *= 2.0"),
    (view_of_parameter_mutated, "v *= 3.0"), (view_read_next_iteration, "a *= 2.0"),
    (alias_by_name, "b += 1.0"),
]


@pytest.mark.parametrize("f, needle", [pytest.param(f, n, id=f.__name__)
                                       for f, n in COMPILE_TIME])
def test_refused_at_compile_time(f, needle):
    _refusal(f, (np.array([0.3, -0.2, 0.5]),), needle)


# ------------------------------------------------------------- refused at run time

def _double(v):
    v *= 2.0
    return np.sum(v)


def helper_mutates_parameter(x):
    return _double(x) + np.sum(x)


def _add_and_multiply(x, y):
    x += 1.0
    return np.sum(x * y)


def same_array_twice(a):
    return _add_and_multiply(a, a)


def entry_parameter_held_by_another(x, w):
    x += 1.0
    return np.sum(x * w[0])


def test_helper_parameter_refused_at_run_time():
    _refusal(helper_mutates_parameter, (np.ones(3),), "v *= 2.0", where=_double)


def test_same_array_as_two_arguments_refused_at_run_time():
    _refusal(same_array_twice, (np.array([0.5, 1.0, 1.5]),), "x += 1.0",
             where=_add_and_multiply)


def test_entry_parameter_inside_another_argument_refused_at_run_time():
    x = np.array([0.5, 1.0, 1.5])
    _refusal(entry_parameter_held_by_another, (x, [x]), "x += 1.0")


# ------------------------------------------------------------- allowed: Python's numbers

def _bump(s):
    s += 1.0  # a float: rebinding, nothing is changed in place
    return s * 2.0


def scalar_parameter_of_helper(x):
    return np.sum(x) * _bump(np.sum(x))


def entry_parameter_in_place(x, w):
    x += 1.0  # changes the caller's array in Python; knetc's value is the same
    x *= w[0]
    return np.sum(x ** 2)


def local_arrays_in_place(x, w):
    h = x @ w[1]
    h += w[0]
    total = 0.0
    for i in range(3):
        total += np.sum(np.tanh(h) * i)
        h *= 0.5
    return total


def scalar_item_of_parameter(x, w):
    s = x[0]  # a NumPy scalar, immutable
    s += x[1] * w[0][0]
    return s * np.sum(w[0])


def view_not_read_later(x, w):
    a = np.tanh(x)
    v = a.T
    t = np.sum(v)
    a *= 2.0
    return np.sum(a * w[0]) + t


ALLOWED = [scalar_parameter_of_helper, entry_parameter_in_place, local_arrays_in_place,
           scalar_item_of_parameter, view_not_read_later]


@pytest.mark.parametrize("f", ALLOWED, ids=lambda f: f.__name__)
def test_allowed_gives_python_value_and_gradient(f):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(3)
    w = [rng.standard_normal(3), rng.standard_normal((3, 3))]
    args = (x, w) if len(inspect.signature(f).parameters) == 2 else (x,)
    expected = f(*[np.copy(a) if isinstance(a, np.ndarray) else [np.copy(b) for b in a]
                   for a in args])
    argnums = tuple(range(len(args)))
    value, _ = knetc.value_and_grad(f, argnums=argnums)(*args)
    assert np.allclose(value, expected, rtol=1e-12, atol=1e-12)
    knetc.check_grads(f, *args, argnums=argnums)
