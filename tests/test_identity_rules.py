"""Functions once taken for constants or for the identity, one table row per function/argument.

Each GRADS row is a loss written as a user would, its inputs, and is checked against central
finite differences in float64 computed here, on the input's own memory layout: the shape rows
run on C-ordered, Fortran-ordered, transposed, strided and reversed views, and each element is
perturbed through the same view (knetc.check_grads perturbs C-ordered copies, which would hide
a permuted gradient). Each REFUSED row is code knetc cannot honour: it must raise
KnetcSyntaxError (or NoAdjointError) naming this file, the line and its text.
"""
import builtins
import inspect
import math

import numpy as np
import pytest

import knetc

W12 = np.linspace(-1.0, 1.3, 12) ** 3 + 0.1 * np.arange(12)
W3x4, W4x3, W2x6 = W12.reshape(3, 4), W12.reshape(4, 3), W12.reshape(2, 6)
W3x4x1 = W12.reshape(3, 4, 1)
W4, W5, W6 = W12[:4], W12[:5], W12[:6]

# (base shape, view of the base) giving a (3, 4) input in every layout
LAYOUTS = {
    "C": ((3, 4), lambda b: b),
    "F": ((3, 4), np.asfortranarray),
    "transposed": ((4, 3), lambda b: b.T),
    "strided": ((3, 8), lambda b: b[:, ::2]),
    "reversed": ((3, 4), lambda b: b[::-1, ::-1]),
}


# ---- shape rules: the order in which elements were read is the order they go back ----

def ravel_C(x): return np.sum(np.ravel(x) * W12)                               # noqa: E704
def ravel_F(x): return np.sum(np.ravel(x, order="F") * W12)                    # noqa: E704
def ravel_A(x): return np.sum(np.ravel(x, order="A") * W12)                    # noqa: E704
def ravel_K(x): return np.sum(np.ravel(x, order="K") * W12)                    # noqa: E704
def ravel_method_A(x): return np.sum(x.ravel(order="A") * W12)                 # noqa: E704
def ravel_method_K(x): return np.sum(x.ravel("K") * W12)                       # noqa: E704
def flatten_A(x): return np.sum(x.flatten(order="A") * W12)                    # noqa: E704
def flatten_K(x): return np.sum(x.flatten(order="K") * W12)                    # noqa: E704
def flatten_F(x): return np.sum(x.flatten("F") * W12)                          # noqa: E704
def reshape_C(x): return np.sum(np.reshape(x, (4, 3)) * W4x3)                  # noqa: E704
def reshape_F(x): return np.sum(np.reshape(x, (4, 3), order="F") * W4x3)       # noqa: E704
def reshape_A(x): return np.sum(np.reshape(x, (2, 6), order="A") * W2x6)       # noqa: E704
def reshape_method_A(x): return np.sum(x.reshape(4, 3, order="A") * W4x3)      # noqa: E704
def reshape_method_F(x): return np.sum(x.reshape((2, 6), order="F") * W2x6)    # noqa: E704
def np_copy_F(x): return np.sum(np.copy(x, order="F") * W3x4)                  # noqa: E704
def copy_method_F(x): return np.sum(x.copy(order="F") * W3x4)                  # noqa: E704
def asarray_F(x): return np.sum(np.asarray(x, order="F") * W3x4)               # noqa: E704
def array_K(x): return np.sum(np.array(x, order="K", copy=True) * W3x4)        # noqa: E704
def contiguous(x): return np.sum(np.ascontiguousarray(x) * W3x4)               # noqa: E704
def fortran(x): return np.sum(np.asfortranarray(x) * W3x4)                     # noqa: E704
def asanyarray(x): return np.sum(np.asanyarray(x) * W3x4)                      # noqa: E704
def astype_F(x): return np.sum(x.astype(np.float64, order="F") * W3x4)         # noqa: E704
def squeeze(x): return np.sum(np.squeeze(x[:, :, None]) * W3x4)                # noqa: E704
def expand(x): return np.sum(np.expand_dims(x, -1) * W3x4x1)                   # noqa: E704
def transpose(x): return np.sum(np.transpose(x) * W4x3)                        # noqa: E704
def dot_T(x): return np.sum(x.T * W4x3)                                        # noqa: E704
def ravel_of_T(x): return np.sum(np.ravel(x.T, order="A") * W12)               # noqa: E704
def float64_of(x): return np.sum(np.float64(x) * W3x4)                         # noqa: E704
def real(x): return np.sum(np.real(x) * W3x4)                                  # noqa: E704
def real_attribute(x): return np.sum(x.real * W3x4)                           # noqa: E704


SHAPE_ROWS = [ravel_C, ravel_F, ravel_A, ravel_K, ravel_method_A, ravel_method_K, flatten_A,
              flatten_K, flatten_F, reshape_C, reshape_F, reshape_A, reshape_method_A,
              reshape_method_F, np_copy_F, copy_method_F, asarray_F, array_K, contiguous,
              fortran, asanyarray, astype_F, squeeze, expand, transpose, dot_T, ravel_of_T,
              float64_of, real, real_attribute]


# ---- dtype=: to an integer or bool type, no gradient; to a float type, all of it ----

def asarray_int64(x): return np.sum(np.asarray(x, dtype=np.int64) * x)         # noqa: E704
def array_bool(x): return np.sum(np.array(x, dtype=bool) * x)                  # noqa: E704
def array_int32_str(x): return np.sum(np.array(x, "int32") * W4)               # noqa: E704
def astype_int(x): return np.sum(x.astype(int) * x)                            # noqa: E704
def sum_dtype_int(x): return np.sum(x, dtype=np.int64) * np.sum(x)             # noqa: E704
def mean_dtype_float(x): return np.mean(x ** 2, dtype=np.float64)              # noqa: E704
def copy_float(x): return np.sum(np.asarray(x, dtype="float64") ** 2)          # noqa: E704
def int64_of(x): return np.sum(np.int64(x[0]) * x)                             # noqa: E704


# ---- joins and creation once taken for constants ----

def r_join(x): return np.sum(np.r_[x, x] * np.arange(8.0))                     # noqa: E704
def r_scalar_range(x): return np.sum(np.r_[x[0], x, 0:3] * W12[:8])             # noqa: E704
def r_tuple(x):
    t = (x, 2 * x)
    return np.sum(np.r_[t] * np.arange(8.0))


def c_join(x): return np.sum(np.c_[x, x ** 2] * W4x3[:, :2])                   # noqa: E704
def linspace_ends(x): return np.sum(np.linspace(x[0], x[1], 5) ** 2)          # noqa: E704
def linspace_open(x): return np.sum(np.linspace(x[0], x[1], 4, endpoint=False) * W4)  # noqa
def full_fill(x): return np.sum(np.full((2, 3), x[0]) * W6.reshape(2, 3))      # noqa: E704
def full_like_fill(x): return np.sum(np.full_like(x, x[1]) * x)                # noqa: E704
def arange_start(x): return np.sum(np.arange(x[0], x[0] + 0.9, 0.25) * W4)     # noqa: E704


# ---- builtins and math over arrays, lists and floats ----

def builtin_sum_1d(x): return sum(x * 2.0) ** 2                                # noqa: E704
def builtin_sum_2d(x): return np.sum(sum(np.reshape(x, (2, 2))) * W4[:2])      # noqa: E704
def builtin_sum_start(x): return np.sum(sum(x, x[0]))                          # noqa: E704
def builtin_sum_gen(x): return sum(v * v for v in x)                           # noqa: E704
def builtin_max_exp(x): return max(np.exp(x))                                  # noqa: E704
def builtin_min_list(x): return min([x[0], x[1] * 2.0, x[2]]) ** 2             # noqa: E704
def builtin_abs_float(x): return abs(float(x[0])) * 3.0                        # noqa: E704
def builtin_round(x): return round(float(x[0])) * x[1]                         # noqa: E704
def builtin_pow(x): return pow(float(x[1]), 3) + np.sum(pow(x, 2))             # noqa: E704
def math_funcs(x):
    a = float(x[1])
    return math.sqrt(a) + math.exp(a) * math.log(a) + math.tanh(a) + math.floor(a) * a


VECTOR_ROWS = [asarray_int64, array_bool, array_int32_str, astype_int, sum_dtype_int,
               mean_dtype_float, copy_float, int64_of, r_join, r_scalar_range, r_tuple, c_join,
               linspace_ends, linspace_open, full_fill, full_like_fill, arange_start,
               builtin_sum_1d, builtin_sum_2d, builtin_sum_start, builtin_sum_gen,
               builtin_max_exp, builtin_min_list, builtin_abs_float, builtin_round,
               builtin_pow, math_funcs]


def numeric_grad(f, base, view, eps=1e-6):
    """Central differences of f(view(base)), each element perturbed through the view."""
    x = view(base)
    g = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        values = []
        for step in (eps, -eps):
            b = base.copy()
            v = view(b)
            v[i] += step
            values.append(f(v))
        g[i] = (values[0] - values[1]) / (2 * eps)
    return g


def check(f, base, view):
    want = numeric_grad(f, base, view)
    x = view(base.copy())
    got = knetc.grad(f)(x)
    assert np.shape(got) == x.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f.__name__)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("f", SHAPE_ROWS, ids=lambda f: f.__name__)
def test_shape_rule_on_every_layout(f, layout):
    shape, view = LAYOUTS[layout]
    base = np.random.default_rng(0).uniform(0.2, 1.8, shape)
    check(f, base, view)


@pytest.mark.parametrize("f", VECTOR_ROWS, ids=lambda f: f.__name__)
def test_vector_rule(f):
    check(f, np.array([0.6, 1.35, -0.45, 2.2]), lambda b: b)


# ---- refused: never a number ----

def sum_into_out(x):
    buf = np.zeros(())
    return np.sum(x, out=buf)


def sum_into_positional_out(x):
    buf = np.zeros(())
    return np.sum(x, None, None, buf)


def exp_into_out(x):
    buf = np.zeros(4)
    return np.sum(np.exp(x, out=buf))


def exp_where(x):
    return np.sum(np.exp(x, where=x > 0))


def r_directive(x):
    return np.sum(np.r_["0,2", x, x])


def r_variable_range(x):
    n = len(x)
    return np.sum(np.r_[0:n, x])


def asarray_runtime_dtype(x):
    return np.sum(np.asarray(x, dtype=x.dtype) ** 2)


def pow_mod(x):
    return pow(x[0], 2, 3)


REFUSED = [
    (sum_into_out, "np.sum(x, out=buf)", "out="),
    (sum_into_positional_out, "np.sum(x, None, None, buf)", "out="),
    (exp_into_out, "np.exp(x, out=buf)", "out="),
    (exp_where, "np.exp(x, where=x > 0)", "where="),
    (r_directive, "np.r_[", "string directive"),
    (r_variable_range, "np.r_[0:n, x]", "variable bounds"),
    (asarray_runtime_dtype, "np.asarray(x, dtype=x.dtype)", "dtype known only when it runs"),
    (pow_mod, "pow(x[0], 2, 3)", "pow"),
]


@pytest.mark.parametrize("f, needle, what", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_refused_at_the_users_line(f, needle, what):
    lines, first = inspect.getsourcelines(f)
    offset = next(k for k, text in enumerate(lines) if needle in text)
    with pytest.raises(knetc.KnetcSyntaxError) as info:  # NoAdjointError is one
        knetc.grad(f)(np.array([0.6, 1.35, -0.45, 2.2]))
    message = str(info.value)
    assert f"test_identity_rules.py:{first + offset}" in message, message
    assert lines[offset].strip() in message and what in message, message


def test_builtins_resolve_to_the_real_ones():
    """The rows above use the builtins themselves, not look-alikes."""
    assert sum is builtins.sum and max is builtins.max and pow is builtins.pow
