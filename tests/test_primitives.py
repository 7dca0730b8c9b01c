"""Every primitive knetc differentiates, gradient-checked in float64, one table row per use.

`TABLE` maps each adjoint rule's name (see knetc/rules/*.py) to rows. A row is a plain
module-level function written the way a user would write it, a builder `rng -> args`, the
argnums to differentiate, and the rule keys the row exercises: NumPy/knetc function objects,
operator symbols ("+", "neg", "@"), method names (".sum"), ".T" for the attribute, and the
special keys "[]", "[]=", "tuple", "list", "join" and "repeat". Reading the table is reading
the list of what knetc supports.

Each function reduces its result with a fixed random weight (`np.sum(y * W3x4)`, W3x4 a (3, 4)
array), so the scalar depends on every element of the primitive's output with a different
coefficient. Inputs stay away from non-differentiable points: ties and kinks of max/min/abs/relu,
the bounds of clip, non-positive arguments of log/sqrt/power bases, and where-conditions that a
finite-difference step could flip.

* `test_primitive`: `knetc.check_grads` on every row.
* `test_float32_dtype`: float32 inputs get float32 gradients (and pass float32 tolerances).
* `test_every_rule_has_a_row`: every rule in `all_rules()` has rows, every key of every rule is
  exercised by some row, and TABLE names no rule that is gone.
* `test_row_keys_are_in_the_source`: a row's keys really occur in its function's source.

A row for a case knetc gets wrong is wrapped in `known_bug(row, reason, raises)` (a strict
xfail), so it is both documented and noticed when it gets fixed.
"""
import ast
import builtins
import copy
import inspect
import math
import textwrap
import zlib
from typing import NamedTuple

import numpy as np
import pytest

import knetc
import knetc.runtime
from knetc.rules import all_rules

# ---------------------------------------------------------------- inputs and weights

_WEIGHTS = np.random.default_rng(20240611)


def weights(*shape, dtype=np.float64):
    """A fixed random weight: entries of both signs, magnitudes in [0.5, 1.5]."""
    w = _WEIGHTS.uniform(0.5, 1.5, shape) * _WEIGHTS.choice([-1.0, 1.0], shape)
    return w.astype(dtype)


# Fixed weights, named by shape: W3x4 = weights(3, 4).
W2 = weights(2)
W3 = weights(3)
W4 = weights(4)
W5 = weights(5)
W6 = weights(6)
W12 = weights(12)
W24 = weights(24)
W2x2 = weights(2, 2)
W2x3 = weights(2, 3)
W2x4 = weights(2, 4)
W2x5 = weights(2, 5)
W2x6 = weights(2, 6)
W3x2 = weights(3, 2)
W3x4 = weights(3, 4)
W3x5 = weights(3, 5)
W3x6 = weights(3, 6)
W4x3 = weights(4, 3)
W5x4 = weights(5, 4)
W6x4 = weights(6, 4)
W12x2 = weights(12, 2)
W2x2x4 = weights(2, 2, 4)
W2x3x4 = weights(2, 3, 4)
W2x3x5 = weights(2, 3, 5)
W2x3x6 = weights(2, 3, 6)
W3x3x4 = weights(3, 3, 4)
W3x2x2 = weights(3, 2, 2)
W2x5x3x6 = weights(2, 5, 3, 6)
W3x2x4 = weights(3, 2, 4)
W3x2x5 = weights(3, 2, 5)
W3x4x3 = weights(3, 4, 3)
W4x2x3 = weights(4, 2, 3)
W4x3x2 = weights(4, 3, 2)
W1x2x4x2 = weights(1, 2, 4, 2)
W1x2x4x4 = weights(1, 2, 4, 4)
W2x2x2x2 = weights(2, 2, 2, 2)
W2x2x3x3 = weights(2, 2, 3, 3)
W4_f32 = weights(4, dtype=np.float32)
W2x4_f32 = weights(2, 4, dtype=np.float32)
W3x4_f32 = weights(3, 4, dtype=np.float32)
W2x2x2x2_f32 = weights(2, 2, 2, 2, dtype=np.float32)
W2x2x3x3_f32 = weights(2, 2, 3, 3, dtype=np.float32)
M3x4 = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)  # a fixed mask


def randn(r, *shape, dtype=np.float64):
    """Standard normal values; no shape gives a 0-d array."""
    return r.standard_normal(shape).astype(dtype)


def scalar(r, low=-1.5, high=1.5):
    """A Python float."""
    return float(r.uniform(low, high))


def positive(r, *shape, low=0.5, high=2.0):
    """Values in [low, high]: arguments of log, sqrt, 1/x, bases of a differentiated power."""
    return r.uniform(low, high, shape)


def distinct(r, *shape, gap=0.3):
    """Shuffled values pairwise at least ~gap apart and at least gap/5 away from 0.

    For max/min/maximum/abs/relu: no tie and no kink within a finite-difference step.
    """
    n = int(np.prod(shape))
    base = (np.arange(n) - (n - 1) / 2) * gap + gap / 4 + r.uniform(-gap / 20, gap / 20, n)
    return r.permutation(base).reshape(shape)


def away_from_bounds(r, *shape, bound=0.5, margin=0.1):
    """Values in (-1.5, 1.5) at least `margin` away from +-bound (the bounds of a clip)."""
    x = r.uniform(-1.5, 1.5, shape)
    return np.where(np.abs(np.abs(x) - bound) < margin, x + 3 * margin * np.sign(x), x)


def between_integers(r, *shape):
    """Values at least 0.2 away from every integer (casting them to int is locally constant)."""
    return r.integers(-3, 3, shape) + r.uniform(0.2, 0.8, shape)


def labels(r, nclass, *shape):
    """Integer class labels in [0, nclass)."""
    return r.integers(0, nclass, shape)


# ---------------------------------------------------------------- the row type


class Row(NamedTuple):
    f: object        # the user's function, returning a scalar
    build: object    # rng -> tuple of arguments
    argnums: object  # int or tuple, as for knetc.grad
    keys: list       # the rule keys this row exercises


def row(f, build, keys, argnums=0):
    return Row(f, build, argnums, list(keys))


def known_bug(r, reason, raises):
    """A row knetc currently gets wrong: a strict xfail, so the fix gets noticed. `raises` pins
    today's failure, so that a different one (say, a silently wrong gradient) still fails."""
    return pytest.param(r, marks=pytest.mark.xfail(strict=True, reason=reason, raises=raises))


# ================================================================ elementwise arithmetic


def add_matrices(x, y):
    return np.sum((x + y) * W3x4)


def add_row_to_matrix(x, b):
    return np.sum((x + b) * W3x4)


def add_column_to_matrix(x, b):
    return np.sum((x + b) * W3x4)


def add_column_to_row(u, v):
    return np.sum((u + v) * W3x4)  # (3, 1) + (1, 4)


def add_matrix_to_3d(x, y):
    return np.sum((x + y) * W2x3x4)  # (2, 3, 4) + (3, 4)


def add_float_and_array(s, x):
    return np.sum((s + x) * W3)


def add_constant_left(x):
    return np.sum((2.5 + x) ** 2 * W3)


def add_constant_right(x):
    return np.sum((x + 2.5) ** 2 * W3)


def add_python_floats(a, b):
    return (a + b) * 1.7


def add_0d_arrays(a, b):
    return (a + b) * 1.7


def np_add_broadcast(x, b):
    return np.sum(np.add(x, b) * W3x4)


def np_add_constant(x):
    return np.sum(np.add(1.0, x) ** 2 * W3x4)


def subtract_matrices(x, y):
    return np.sum((x - y) * W3x4)


def subtract_row_from_matrix(x, b):
    return np.sum((x - b) * W3x4)


def subtract_matrix_from_column(b, x):
    return np.sum((b - x) * W3x4)


def subtract_from_constant(x):
    return np.sum((1.0 - x) ** 2 * W3)


def subtract_constant(x):
    return np.sum((x - 1.0) ** 2 * W3)


def subtract_python_floats(a, b):
    return (a - b) * 1.7 + a * b


def np_subtract_broadcast(x, b):
    return np.sum(np.subtract(x, b) * W2x3x4)  # (2, 3, 4) - (4,)


def multiply_matrices(x, y):
    return np.sum(x * y * W3x4)


def multiply_row(x, b):
    return np.sum(x * b * W3x4)


def multiply_column_by_row(u, v):
    return np.sum(u * v * W3x4)  # (3, 1) * (1, 4)


def multiply_by_float(s, x):
    return np.sum(s * x * W3)


def multiply_constant_left(x):
    return np.sum(3.0 * x * W3)


def multiply_constant_right(x):
    return np.sum(x * 3.0 * x * W3)


def multiply_same_operand(x):
    return np.sum(x * x * W2x3x4)


def multiply_python_floats(a, b):
    return a * b * 1.7


def np_multiply_broadcast(x, b):
    return np.sum(np.multiply(x, b) * W2x3x4)  # (2, 3, 4) * (3, 1)


def divide_matrices(x, y):
    return np.sum(x / y * W3x4)  # y > 0


def divide_by_row(x, b):
    return np.sum(x / b * W3x4)


def divide_column_by_matrix(b, y):
    return np.sum(b / y * W3x4)


def divide_constant_by_array(x):
    return np.sum(1.0 / x * W3)


def divide_by_constant(x):
    return np.sum(x / 4.0 * W3)


def divide_python_floats(a, b):
    return a / b * 1.7


def np_divide_broadcast(x, b):
    return np.sum(np.divide(x, b) * W3x4)


def np_true_divide(x, y):
    return np.sum(np.true_divide(x, y) * W2x3x4)


def power_constant_int(x):
    return np.sum(x ** 2 * W3x4)  # any sign: only the base is differentiated


def power_constant_float(x):
    return np.sum(x ** 1.5 * W3)


def power_negative_exponent(x):
    return np.sum(x ** -1 * W3)


def power_constant_base(x):
    return np.sum(2.0 ** x * W3x4)


def power_both_arrays(a, b):
    return np.sum(a ** b * W3x4)  # a > 0


def power_row_exponent(a, b):
    return np.sum(a ** b * W3x4)  # (3, 4) ** (4,)


def power_float_exponent(x, p):
    return np.sum(x ** p * W3)


def power_python_floats(a, b):
    return a ** b * 1.7


def np_power(a, b):
    return np.sum(np.power(a, b) * W2x3x4)


def np_power_constant(x):
    return np.sum(np.power(x, 3) * W3)


def negate_matrix(x):
    return np.sum(-x * W3x4)


def negate_expression(x, y):
    return np.sum(-(x * y) * W2x3x4)


def negate_python_float(a):
    return -a * 1.7 + a * a


def np_negative(x):
    return np.sum(np.negative(x) * W3)


def unary_plus(x):
    return np.sum(+x * W3x4)


def unary_plus_python_float(a):
    return +a * a


def np_positive(x):
    return np.sum(np.positive(x) * W3)


# ---------------------------------------------------------------- copies and conversions


def np_copy(x):
    return np.sum(np.copy(x) * W3x4)


def copy_method(x):
    return np.sum(x.copy() * W2x3x4)


def np_array_of_array(x):
    return np.sum(np.array(x) * W3x4)


def np_array_of_list(a, b):
    return np.sum(np.array([a, b]) * W2x3)


def np_array_of_nested_floats(a, b):
    return np.sum(np.array([[a, b], [b * a, 1.0]]) * W2x2)


def np_asarray(x):
    return np.sum(np.asarray(x) * W3)


def float_of_element(x):
    return float(x[1]) * 1.7 + float(x[0]) ** 2


def float_of_0d(a):
    return float(a) ** 2 * 1.7


def np_float64_of_element(x):
    return np.float64(x[2]) * 1.7 + np.float64(x[0]) ** 2


def np_float64_of_python_float(a):
    return np.float64(a) ** 3


def np_float32_of_float32(x):
    return np.sum(np.float32(x) * W3)  # x is float32 (rounding a float64 would defeat the check)


def astype_float64(x):
    return np.sum(x.astype(np.float64) * W3x4)


def astype_string_dtype(x):
    return np.sum(x.astype("float64") * W3)


def astype_float32_to_float64(x):
    return np.sum(x.astype(np.float64) * W3x4)  # x is float32


def astype_int_is_constant(x):
    return np.sum(x.astype(int) * x * W3x4)  # the int cast carries no gradient


# ---------------------------------------------------------------- elementwise functions


def exp_python_float(a):
    return np.exp(a) * 1.7


def exp_0d(a):
    return np.exp(a) * 1.7


def exp_vector(x):
    return np.sum(np.exp(x) * W3)


def exp_matrix(x):
    return np.sum(np.exp(x) * W3x4)


def exp_3d(x):
    return np.sum(np.exp(x) * W2x3x4)


def log_python_float(a):
    return np.log(a) * 1.7


def log_vector(x):
    return np.sum(np.log(x) * W3)


def log_3d(x):
    return np.sum(np.log(x) * W2x3x4)


def log1p_vector(x):
    return np.sum(np.log1p(x) * W3)


def log1p_matrix(x):
    return np.sum(np.log1p(x) * W3x4)


def expm1_python_float(a):
    return np.expm1(a) * 1.7


def expm1_matrix(x):
    return np.sum(np.expm1(x) * W3x4)


def sqrt_python_float(a):
    return np.sqrt(a) * 1.7


def sqrt_matrix(x):
    return np.sum(np.sqrt(x) * W3x4)


def square_vector(x):
    return np.sum(np.square(x) * W3)


def square_3d(x):
    return np.sum(np.square(x) * W2x3x4)


def np_abs(x):
    return np.sum(np.abs(x) * W3x4)


def np_absolute(x):
    return np.sum(np.absolute(x) * W3)


def builtin_abs_array(x):
    return np.sum(abs(x) * W2x3x4)


def builtin_abs_python_float(a):
    return abs(a) * 1.7


def tanh_vector(x):
    return np.sum(np.tanh(x) * W3)


def tanh_matrix(x):
    return np.sum(np.tanh(x) * W3x4)


def sinh_matrix(x):
    return np.sum(np.sinh(x) * W3x4)


def cosh_vector(x):
    return np.sum(np.cosh(x) * W3)


def sin_python_float(a):
    return np.sin(a) * 1.7


def sin_matrix(x):
    return np.sum(np.sin(x) * W3x4)


def cos_3d(x):
    return np.sum(np.cos(x) * W2x3x4)


def tan_vector(x):
    return np.sum(np.tan(x) * W3)  # |x| < 1.2, away from the poles


def arctan_matrix(x):
    return np.sum(np.arctan(x) * W3x4)


def arctan_python_float(a):
    return np.arctan(a) * 1.7


def arcsin_vector(x):
    return np.sum(np.arcsin(x) * W3)  # |x| < 0.9, away from the branch points


def arccos_python_float(a):
    return np.arccos(np.tanh(a)) * 1.7


def maximum_arrays(x, y):
    return np.sum(np.maximum(x, y) * W3x4)  # x, y never close


def maximum_constant_right(x):
    return np.sum(np.maximum(x, 0.1) * W3x4)


def maximum_constant_left(x):
    return np.sum(np.maximum(0.0, x) * W3x4)  # the relu spelling


def maximum_row_broadcast(x, b):
    return np.sum(np.maximum(x, b) * W3x4)


def maximum_python_floats(a, b):
    return np.maximum(a, b) * 1.7


def minimum_arrays(x, y):
    return np.sum(np.minimum(x, y) * W3x4)


def minimum_constant_right(x):
    return np.sum(np.minimum(x, 0.1) * W3)


def minimum_constant_left(x):
    return np.sum(np.minimum(0.0, x) * W3)


def minimum_column_broadcast(x, b):
    return np.sum(np.minimum(x, b) * W3x4)


def where_on_sign(x):
    return np.sum(np.where(x > 0, x ** 2, -3.0 * x) * W3x4)


def where_fixed_mask(x, y):
    return np.sum(np.where(M3x4, x, y) * W3x4)


def where_scalar_branch(x, s):
    return np.sum(np.where(M3x4, x, s) * W3x4)  # s broadcasts


def where_row_branch(x, b):
    return np.sum(np.where(x > b, x * b, x + b) * W3x4)  # x, b never close


def np_clip(x):
    return np.sum(np.clip(x, -0.5, 0.5) * W3x4)


def np_clip_keywords(x):
    return np.sum(np.clip(x, a_min=-0.5, a_max=0.5) * W3x4)


def np_clip_upper_only(x):
    return np.sum(np.clip(x, None, 0.5) * W3)


def np_clip_array_bounds(x):
    return np.sum(np.clip(x, -0.5 * np.ones(4), 0.5) * W3x4)


def clip_method(x):
    return np.sum(x.clip(-0.5, 0.5) * W2x3x4)


def clip_method_min_keyword(x):
    return np.sum(x.clip(min=-0.5) * W3)  # ndarray.clip's keywords are min and max


def np_clip_min_max_keywords(x):
    return np.sum(np.clip(x, min=-0.5, max=0.5) * W3)  # NumPy >= 2.1 spelling


def np_clip_differentiated_bound(x, lo):
    return np.sum(np.clip(x, lo, 0.5) * W3)  # the gradient of lo is where x < lo


def np_clip_differentiated_bounds(x, lo, hi):
    return np.sum(np.clip(x, lo, hi) * W3x4)  # lo (4,) and hi (3, 1) broadcast


def clip_method_differentiated_max(x, hi):
    return np.sum(x.clip(max=hi) * W3)


def sigm_python_float(a):
    return knetc.sigm(a) * 1.7


def sigm_vector(x):
    return np.sum(knetc.sigm(x) * W3)


def sigm_matrix(x):
    return np.sum(knetc.sigm(x) * W3x4)


def sigm_large_inputs(x):
    return np.sum(knetc.sigm(10.0 * x) * W2x3x4)


def relu_vector(x):
    return np.sum(knetc.relu(x) * W6)


def relu_matrix(x):
    return np.sum(knetc.relu(x) * W3x4)


def relu_python_float(a):
    return knetc.relu(a) * 1.7


# ================================================================ reductions


def np_sum_all(x):
    return np.sum(x) * 1.7 + np.sum(x * W3)


def np_sum_3d(x):
    return np.sum(x * W2x3x4) * np.sum(x)


def np_sum_axis0(x):
    return np.sum(np.sum(x, axis=0) ** 2 * W4)


def np_sum_axis1_keepdims(x):
    return np.sum(np.sum(x, axis=1, keepdims=True) * x * W3x4)


def np_sum_axis_negative(x):
    return np.sum(np.sum(x, axis=-1) ** 2 * W2x3)


def np_sum_positional_axis(x):
    return np.sum(np.sum(x, 1) ** 2 * W3)


def np_sum_keepdims_all(x):
    return np.sum(np.sum(x, keepdims=True) * x * W3x4)


def np_sum_axis_tuple(x):
    return np.sum(np.sum(x, axis=(0, 2)) ** 2 * W3)


def np_sum_axis_tuple_keepdims(x):
    return np.sum(np.sum(x, axis=(0, 2), keepdims=True) * x * W2x3x4)


def sum_method(x):
    return x.sum() * 1.7 + np.sum(x * W3x4)


def sum_method_axis(x):
    return np.sum(x.sum(axis=0) ** 2 * W4) + np.sum(x.sum(1) ** 2 * W3)


def sum_method_keepdims(x):
    return np.sum(x.sum(axis=-1, keepdims=True) * x * W2x3x4)


def np_mean_all(x):
    return np.mean(x) ** 2 + np.sum(x * W3x4)


def np_mean_axis0(x):
    return np.sum(np.mean(x, axis=0) ** 2 * W4)


def np_mean_axis1_keepdims(x):
    return np.sum(np.mean(x, axis=1, keepdims=True) * x * W3x4)


def np_mean_axis_tuple(x):
    return np.sum(np.mean(x, axis=(1, 2)) ** 2 * W2)


def np_mean_keepdims_all(x):
    return np.sum(np.mean(x, keepdims=True) * x * W2x3x4)


def mean_method(x):
    return np.sum(x.mean(axis=-1) ** 2 * W2x3) + x.mean() ** 2


def np_max_all(x):
    return np.max(x) ** 2 + np.sum(x * W3x4)


def np_max_axis0(x):
    return np.sum(np.max(x, axis=0) ** 2 * W4)


def np_max_axis1_keepdims(x):
    return np.sum(np.max(x, axis=1, keepdims=True) * x * W3x4)


def np_max_axis_tuple(x):
    return np.sum(np.max(x, axis=(0, 2)) ** 2 * W3)


def np_amax(x):
    return np.sum(np.amax(x, axis=-1) ** 2 * W2x3)


def max_method(x):
    return np.sum(x.max(axis=1) ** 2 * W3) + x.max() ** 3


def np_min_all(x):
    return np.min(x) ** 3 + np.sum(x * W3)


def np_min_axis1(x):
    return np.sum(np.min(x, axis=1) ** 2 * W3)


def np_amin_keepdims(x):
    return np.sum(np.amin(x, axis=0, keepdims=True) * x * W3x4)


def min_method(x):
    return np.sum(x.min(0) ** 2 * W3x4) + x.min() ** 3  # x is (2, 3, 4)


def np_prod_all(x):
    return np.prod(x) * 1.7  # x away from 0


def np_prod_axis0(x):
    return np.sum(np.prod(x, axis=0) * W4)


def np_prod_axis1_keepdims(x):
    return np.sum(np.prod(x, axis=1, keepdims=True) * x * W3x4)


def prod_method(x):
    return np.sum(x.prod(axis=-1) * W2x3)


def np_var_all(x):
    return np.var(x) * 1.7 + np.sum(x * W3x4)


def np_var_all_ddof(x):
    return np.var(x, ddof=1) ** 2


def np_var_axis0_ddof(x):
    return np.sum(np.var(x, axis=0, ddof=1) * W4)


def np_var_axis_tuple_keepdims(x):
    return np.sum(np.var(x, axis=(0, 2), keepdims=True) * x * W2x3x4)


def var_method(x):
    return np.sum(x.var(axis=1) * W3)


def np_std_all(x):
    return np.std(x) * 1.7


def np_std_axis1_keepdims(x):
    return np.sum(np.std(x, axis=1, keepdims=True) * x * W3x4)


def np_std_axis_negative_ddof(x):
    return np.sum(np.std(x, axis=-1, ddof=1) * W2x3)


def std_method(x):
    return np.sum(x.std(axis=0) * W4)


def sumabs2_vector(x):
    return knetc.sumabs2(x * W3)


def sumabs2_matrix(x):
    return knetc.sumabs2(x - W3x4)


def sumabs2_python_float(a):
    return knetc.sumabs2(a) * 1.7


def logsumexp_all(x):
    return knetc.logsumexp(x) * 1.7 + np.sum(x * W3x4)


def logsumexp_keepdims_all(x):
    return np.sum(knetc.logsumexp(x, keepdims=True) * x * W3x4)


def logsumexp_axis0(x):
    return np.sum(knetc.logsumexp(x, axis=0) * W4)


def logsumexp_axis1_keepdims(x):
    return np.sum(knetc.logsumexp(x, axis=1, keepdims=True) * x * W3x4)


def logsumexp_axis_negative(x):
    return np.sum(knetc.logsumexp(x, axis=-1) * W2x3)


def logsumexp_axis_tuple(x):
    return np.sum(knetc.logsumexp(x, axis=(0, 2)) * W3)


def logsumexp_large(x):
    return np.sum(knetc.logsumexp(100.0 * x, axis=0) * W4)


# ================================================================ indexing and containers


def index_int(x):
    return np.sum(x[1] * W4)


def index_negative(x):
    return np.sum(x[-1] * W3) + x[0] * 1.7


def index_element(x):
    return x[1, 2] * 1.7 + x[0, 0] * x[2, 3]


def index_chained(x):
    return x[2][1] * 1.7 + np.sum(x[0][1:] * W3)


def index_slice(x):
    return np.sum(x[1:4] * W3)


def index_step_and_reverse(x):
    return np.sum(x[::2] * W3) + np.sum(x[::-1] * W6)


def index_column(x):
    return np.sum(x[:, 1] * W3) + np.sum(x[:, -2:] * W3x2)


def index_3d_mixed(x):
    return np.sum(x[1, :, ::2] * W3x2)


def index_ellipsis(x):
    return np.sum(x[..., 1] * W2x3)


def index_newaxis(x):
    return np.sum(x[:, None, :] * x[None, :, :] * W3x3x4)  # (3, 1, 4) * (1, 3, 4)


def index_fancy_repeated(x):
    return np.sum(x[[0, 2, 2, 1, 0]] * W5)  # repeated indices accumulate


def index_integer_array_argument(x, idx):
    return np.sum(x[idx] * W3x4)  # x (3,), idx (3, 4)


def index_fancy_rows_and_columns(x):
    return np.sum(x[[0, 2, 1], [3, 3, 0]] * W3)


def index_boolean_mask(x):
    return np.sum(x[M3x4] * W6)


def index_computed_mask(x):
    return np.sum(x[x > 0] ** 2)  # x away from 0


def index_list_argument(xs):
    return np.sum(xs[0] * W3) + np.sum(xs[1] * xs[2] * W3x4)


def index_tuple_argument(t):
    return t[0] * 1.7 + np.sum(t[1] * W3)


def index_dict_argument(p):
    return np.sum((p["w"] @ p["x"] + p["b"]) * W3x4)


def index_list_slice(xs):
    rest = xs[1:]
    return np.sum(np.stack(rest) * W2x4) + np.sum(xs[-1] * W4)


def np_take_flat(x):
    return np.sum(np.take(x, [0, 5, 5, 11]) * W4)


def np_take_axis0(x):
    return np.sum(np.take(x, [2, 0, 2], axis=0) * W3x4)


def np_take_axis1(x):
    return np.sum(np.take(x, [3, 1], axis=1) * W3x2)


def np_take_axis_negative(x):
    return np.sum(np.take(x, [3, 1], axis=-1) * W3x2)


def np_take_2d_indices(x):
    return np.sum(np.take(x, [[0, 1], [2, 2]], axis=0) * W2x2x4)


def np_take_2d_indices_last_axis(x):
    return np.sum(np.take(x, [[0, 1], [3, 3]], axis=-1) * W3x2x2)


def take_method(x):
    return np.sum(x.take([1, 1], axis=1) * W3x2)


def build_tuple(a, b):
    pair = (a, b * 2.0)
    return np.sum(pair[0] * pair[1] * W3)


def build_list(a, b):
    parts = [a, b, a * b]
    return np.sum(np.stack(parts) * W3x4)


def build_list_of_python_floats(a, b):
    v = [a * b, a, 2.0]
    return v[0] * 1.7 + v[1] ** 2 + v[2]


def build_nested(a, b):
    rows = [(a, b), (b, a * a)]
    return np.sum(rows[0][1] * W3) + np.sum(rows[1][1] * W3)


def join_append(xs, x):
    ys = xs + [x]
    return np.sum(np.stack(ys) * W3x4)


def join_prepend(xs, x):
    ys = [x * 2.0] + xs
    return np.sum(ys[0] * W3) + np.sum(ys[2] * W3)


def join_tuples(t, x):
    u = t + (x,)
    return np.sum(u[0] * u[1] * W3) + np.sum(u[2] * W3)


def repeat_items(x, y):
    ys = [np.sin(x), y * 2.0] * (len(x) - 1)  # a count that is not a constant
    return np.sum(ys[0] * W3) + np.sum(ys[3] * ys[2] * W3)


def repeat_count_first(x, y):
    ys = len(y) * (x * y,)
    return np.sum(ys[0] * ys[2] * W3)


# ---------------------------------------------------------------- mutating lists and dicts


def setitem_list(a, b):
    h = [a, a]
    h[1] = h[0] * b
    return np.sum(h[0] * W3) + np.sum(h[1] * W3)


def setitem_overwrites(a, b):
    h = [a, b]
    h[0] = b * 2.0  # a's only use is overwritten: its gradient is zero
    return np.sum(h[0] * h[1] * W3)


def setitem_dict(a, b):
    p = {"u": a}
    p["v"] = a * b
    return np.sum(p["u"] * W3) + np.sum(p["v"] ** 2 * W3)


def setitem_nested(a, b):
    grid = [[a, b], [b, a]]
    grid[0][1] = a * b
    return np.sum(grid[0][1] * W3) + np.sum(grid[1][0] * grid[0][0] * W3)


def setitem_argument(xs, b):
    xs[0] = xs[0] * b
    return np.sum(xs[0] * W3) + np.sum(xs[1] * W3)


def append_in_loop(x, w):
    hs = []
    for i in range(3):
        x = np.tanh(w * x)
        hs.append(x)
    return np.sum(np.stack(hs) * W3x4)


def append_to_argument(xs, x):
    xs.append(x * 2.0)
    return np.sum(np.stack(xs) * W3x4)


# ---------------------------------------------------------------- builtins over sequences


def list_of_tuple(t):
    xs = list(t)
    return np.sum(xs[0] * W3) + np.sum(xs[1] * xs[0] * W3)


def tuple_of_list(xs):
    t = tuple(xs)
    return np.sum(t[1] * W3) + t[0][2] * 1.7


def list_of_array_rows(x):
    rows = list(x)
    return np.sum(rows[0] * rows[2] * W4) + np.sum(rows[1] * W4)


def for_over_display(a, b):
    total = 0.0
    for v in [a, b * 2.0]:
        total = total + np.sum(v * v * W3)
    return total


def for_over_slice(xs):
    total = 0.0
    for v in xs[1:]:
        total = total * 0.5 + np.sum(v * W3)
    return total


def sorted_dict_keys(p):
    total = 0.0
    for k in sorted(p):
        total = total * 0.5 + np.sum(p[k] * W3)
    return total


def list_copy_method(a, b):
    t = [a, b].copy()
    return np.sum(t[0] * W3)


def dict_values_sum(d):
    return np.sum(sum(d.values()) * W3)


def dict_items_loop(d):
    total = 0.0
    for pair in d.items():
        total = total + np.sum(pair[1] ** 2)
    return total


def dict_get(d):
    return np.sum(d.get("a") * W3) + np.sum(d["b"])


def builtin_sum_list(a, b):
    return np.sum(sum([a, 2.0 * b]) * W3)


def builtin_sum_start(a, b):
    return np.sum(sum([a], b) * W3)


class Params:
    """A small object whose attributes hold parameters."""

    def __init__(self, w, b):
        self.w, self.b, self.label = w, b, "layer"


def attribute_read(p, x):
    return np.sum(np.tanh(p.w @ x + p.b) * W3)


def call_through_variable(x, deep):
    act = np.tanh if deep else np.sin
    return np.sum(act(x) * W3) + np.sum(act(x * 2.0))


def builtin_max_floats(a, b):
    return max(a, b) * 1.7 + a


def builtin_min_three(a, b, c):
    return min(a, b * 2.0, c) ** 2


def builtin_max_of_list(xs):
    return max(xs) ** 2 + xs[0]


# ================================================================ matrix products


def matmul_matrices(a, b):
    return np.sum((a @ b) * W3x5)


def matmul_matrix_vector(a, v):
    return np.sum((a @ v) * W3)


def matmul_vector_matrix(v, b):
    return np.sum((v @ b) * W5)


def matmul_vectors(u, v):
    return (u @ v) * 1.7


def matmul_batched(a, b):
    return np.sum((a @ b) * W2x3x5)  # (2, 3, 4) @ (2, 4, 5)


def matmul_batch_broadcast(a, b):
    return np.sum((a @ b) * W2x3x5)  # (2, 3, 4) @ (4, 5)


def matmul_matrix_by_batch(a, b):
    return np.sum((a @ b) * W2x3x5)  # (3, 4) @ (2, 4, 5)


def matmul_batch_by_vector(a, v):
    return np.sum((a @ v) * W2x3)  # (2, 3, 4) @ (4,)


def matmul_vector_by_batch(v, b):
    return np.sum((v @ b) * W2x5)  # (4,) @ (2, 4, 5)


def matmul_broadcast_batch_dims(a, b):
    return np.sum((a @ b) * W2x5x3x6)  # (2, 1, 3, 4) @ (5, 4, 6)


def np_matmul(a, b):
    return np.sum(np.matmul(a, b) * W3x5)


def np_dot_matrices(a, b):
    return np.sum(np.dot(a, b) * W3x5)


def np_dot_matrix_vector(a, v):
    return np.sum(np.dot(a, v) * W3)


def np_dot_vectors(u, v):
    return np.dot(u, v) * 1.7


def np_dot_scalar(s, x):
    return np.sum(np.dot(s, x) * W3x4)


def np_dot_3d_by_matrix(a, b):
    return np.sum(np.dot(a, b) * W2x3x5)  # same as matmul here


def np_dot_matrix_by_3d(a, b):
    return np.sum(np.dot(a, b) * W3x2x5)  # (3, 4) . (2, 4, 5) -> (3, 2, 5)


def dot_method(a, b):
    return np.sum(a.dot(b) * W3x5)


def np_outer_vectors(u, v):
    return np.sum(np.outer(u, v) * W3x4)


def np_outer_flattens(a, v):
    return np.sum(np.outer(a, v) * W6x4)  # a (2, 3) is flattened


# ================================================================ Knet operators


def logp_axis0(x):
    return np.sum(knetc.logp(x) * W3x4)


def logp_axis1(x):
    return np.sum(knetc.logp(x, axis=1) * W3x4)


def logp_axis_negative(x):
    return np.sum(knetc.logp(x, axis=-1) * W2x3x4)


def logp_vector(x):
    return np.sum(knetc.logp(x) * W5)


def logp_large(x):
    return np.sum(knetc.logp(100.0 * x) * W3x4)


def softmax_axis0(x):
    return np.sum(knetc.softmax(x) * W3x4)


def softmax_axis1(x):
    return np.sum(knetc.softmax(x, axis=1) * W3x4)


def softmax_vector(x):
    return np.sum(knetc.softmax(x) * W5)


def softmax_3d(x):
    return np.sum(knetc.softmax(x, axis=1) * W2x3x4)


def nll_axis0(scores, y):
    return knetc.nll(scores, y)  # classes x batch


def nll_axis1(scores, y):
    return knetc.nll(scores, y, axis=1)  # batch x classes


def nll_scaled(scores, y):
    return knetc.nll(scores, y) * 3.0 + np.sum(scores * W3x4)


def nll_single_example(scores, y):
    return knetc.nll(scores, y)  # scores (5,), y a 0-d label


def nll_3d(scores, y):
    return knetc.nll(scores, y)  # scores (classes, batch, time), y (batch, time)


# ================================================================ shapes


def np_reshape(x):
    return np.sum(np.reshape(x, (4, 3)) * W4x3)


def np_reshape_fortran_order(x):
    return np.sum(np.reshape(x, (4, 3), order="F") * W4x3)


def reshape_method_fortran_order(x):
    return np.sum(x.reshape(4, 3, order="F") * W4x3)


def ravel_method_fortran_order(x):
    return np.sum(x.ravel("F") * W12)


def flatten_method_fortran_order(x):
    return np.sum(x.flatten(order="F") * W24)


def reshape_method_args(x):
    return np.sum(x.reshape(2, -1) * W2x6)


def reshape_method_tuple(x):
    return np.sum(x.reshape((2, -1)) * W2x6)


def reshape_to_vector(x):
    return np.sum(x.reshape(-1) * W24)


def np_ravel(x):
    return np.sum(np.ravel(x) * W12)


def ravel_method(x):
    return np.sum(x.ravel() * W24)


def flatten_method(x):
    return np.sum(x.flatten() * W12)


def np_squeeze(x):
    return np.sum(np.squeeze(x) * W3x4)  # x (3, 1, 4)


def squeeze_method_axis(x):
    return np.sum(x.squeeze(axis=0) * W4)  # x (1, 4)


def np_expand_dims(x):
    return np.sum(np.expand_dims(x, 0) * x[:, None] * W3x4.T[:3, :3])


def np_atleast_1d(a):
    return np.sum(np.atleast_1d(a) * W2[:1])


def np_atleast_2d(x):
    return np.sum(np.atleast_2d(x) * W3x4[:1])


def np_transpose(x):
    return np.sum(np.transpose(x) * W4x3)


def np_transpose_axes(x):
    return np.sum(np.transpose(x, (1, 0, 2)) * W3x2x4)


def np_transpose_axes_keyword(x):
    return np.sum(np.transpose(x, axes=(2, 0, 1)) * W4x2x3)


def np_transpose_negative_axes(x):
    return np.sum(np.transpose(x, (-1, 0, 1)) * W4x2x3)


def transpose_method_negative_axes(x):
    return np.sum(x.transpose(-1, 0, 1) * W4x2x3)


def np_transpose_3d_reverse(x):
    return np.sum(np.transpose(x) * W4x3x2)


def transpose_method_no_args(x):
    return np.sum(x.transpose() * W4x3)


def transpose_method_args(x):
    return np.sum(x.transpose(1, 0, 2) * W3x2x4)


def transpose_method_tuple(x):
    return np.sum(x.transpose((2, 0, 1)) * W4x2x3)


def transpose_attribute(x):
    return np.sum(x.T * W4x3)


def transpose_attribute_3d(x):
    return np.sum(x.T * W4x3x2)


def transpose_attribute_vector(x):
    return np.sum(x.T * W3)


def np_swapaxes(x):
    return np.sum(np.swapaxes(x, 0, 2) * W4x3x2)


def swapaxes_method(x):
    return np.sum(x.swapaxes(-1, 0) * W4x3)


def broadcast_row(x):
    return np.sum(np.broadcast_to(x, (2, 3)) * W2x3)


def broadcast_column(x):
    return np.sum(np.broadcast_to(x, (3, 4)) * W3x4)  # x (3, 1)


def broadcast_scalar(a):
    return np.sum(np.broadcast_to(a, (2, 2)) * W2x2)


def concatenate_axis0(a, b):
    return np.sum(np.concatenate([a, b]) * W5x4)  # (2, 4) and (3, 4)


def concatenate_axis1(a, b):
    return np.sum(np.concatenate((a, b), axis=1) * W3x6)  # (3, 2) and (3, 4)


def concatenate_axis_negative(a, b):
    return np.sum(np.concatenate([a, b, a], axis=-1) * W2x3x6)


def concatenate_list_argument(xs):
    return np.sum(np.concatenate(xs) * W6)


def concatenate_axis_none(a, b):
    return np.sum(np.concatenate([a, b], axis=None) * W12)  # flattens (2, 3) and (3, 2)


def hstack_vectors(a, b):
    return np.sum(np.hstack([a, b]) * W5)


def hstack_matrices(a, b):
    return np.sum(np.hstack((a, b)) * W3x5)


def hstack_python_floats(a, b):
    return np.sum(np.hstack([a, b]) * W2)


def vstack_vectors(a, b):
    return np.sum(np.vstack([a, b]) * W2x4)


def vstack_matrices(a, b):
    return np.sum(np.vstack((a, b)) * W5x4)


def vstack_matrix_and_vector(a, v):
    return np.sum(np.vstack([a, v]) * W3x4)


def stack_axis0(a, b):
    return np.sum(np.stack([a, b]) * W2x3x4)


def stack_axis1(a, b):
    return np.sum(np.stack((a, b), axis=1) * W3x2x4)


def stack_axis_negative(a, b):
    return np.sum(np.stack([a, b, a * b], axis=-1) * W3x4x3)


def meshgrid_xy(a, b):
    X, Y = np.meshgrid(a, b)
    return np.sum(X * Y ** 2 * W2x3)


def meshgrid_ij_sparse(a, b):
    X, Y = np.meshgrid(a, b, indexing="ij", sparse=True)
    return np.sum(np.sin(X + Y) * W3x2)


def split_sections(x):
    a, b = np.split(x, 2)
    return np.sum(a * W2x4 + b ** 2 * W2x4)


def split_indices_axis1(x):
    parts = np.split(x, [1, 3], axis=1)
    return np.sum(parts[0] * W3[:, None]) + np.sum(parts[1] * W3x2) + np.sum(parts[2] ** 2)


def split_part_unused(x):
    parts = np.split(x, 3, axis=-1)
    return np.sum(parts[1] * W3x2)


def mat_matrix(x):
    return np.sum(knetc.mat(x) * W4x3)  # (3, 4) -> (4, 3)


def mat_4d(x):
    return np.sum(knetc.mat(x) * W12x2)  # (2, 3, 2, 2) -> (12, 2)


# ================================================================ convolution and pooling


def conv4_basic(w, x):
    return np.sum(knetc.conv4(w, x) * W2x2x3x3)  # (2, 3, 2, 2) with (2, 3, 4, 4)


def conv4_padding_stride(w, x):
    return np.sum(knetc.conv4(w, x, padding=1, stride=2) * W2x2x3x3)  # 3x3 filters, 5x5 images


def conv4_pairs(w, x):
    return np.sum(knetc.conv4(w, x, (1, 0), (1, 2)) * W1x2x4x2)  # (2, 2, 3, 2) with (1, 2, 4, 5)


def pool_max(x):
    return np.sum(knetc.pool(x) * W2x2x2x2)  # (2, 2, 4, 4) -> (2, 2, 2, 2)


def pool_max_overlapping(x):
    return np.sum(knetc.pool(x, 3, stride=1, padding=1) * W1x2x4x4)  # padded with -inf


def pool_avg_padded(x):
    return np.sum(knetc.pool(x, window=3, stride=2, padding=1, mode="avg") * W2x2x3x3)


def pool_tangent_max(t, x):  # the runtime's tangent of max pooling (second derivatives)
    return np.sum(knetc.runtime.pool_tangent(t, knetc.pool(x), x) * W2x2x2x2)


def take_labels_axis0(t, y):  # the runtime's gather of nll's tangent
    picked = knetc.runtime.take_labels(t, y, 0)
    return np.sum(picked * W4)


def join_tangent_lists(a, b):  # the tangent of `xs + ys`
    out = knetc.runtime.join_tangent([a * 2.0], [b], [a], [b])
    return np.sum(out[0] * W3) + np.sum(out[1] * W3)


def sequence_tangent_tuple(x):  # the tangent of `tuple(xs)`
    out = knetc.runtime.sequence_tangent([x, x * 2.0], [x, x], (x, x))
    return np.sum(out[0] * W3) + np.sum(out[1] * W3)


def sorted_tangent_keys(x):  # sorted dict keys carry no tangent
    keys = knetc.runtime.sorted_tangent([x, x], ["b", "a"], ["a", "b"])
    return np.sum(x * W3) + len(keys)


def values_tangent_dict(a, b):  # the tangent of `list(d.values())`
    out = knetc.runtime.values_tangent({"p": a, "q": b}, {"p": 1.0, "q": 2.0})
    return np.sum(out[0] * W3) + np.sum(out[1] * W3 * out[0])


def items_tangent_dict(a):  # the tangent of `list(d.items())`
    out = knetc.runtime.items_tangent({"p": a}, {"p": 1.0})
    pair = out[0]
    return np.sum(pair[1] * W3)


def reshape_tangent_orders(t, x):  # the tangent of np.reshape, read in C and F order
    y = np.reshape(x, (4, 3))
    c = knetc.runtime.reshape_tangent(t, x, y, "C")
    f = knetc.runtime.reshape_tangent(t, x, y, "F")
    return np.sum(c * W4x3) + np.sum(f * f * W4x3)


def match_tangent_broadcast(t, like):  # forward mode's broadcast to the result's shape
    return np.sum(knetc.runtime.match_tangent(t, like) * W3x4)


def aux_loss_pair(x):  # has_aux=True: the loss of (loss, aux)
    return knetc.runtime.aux_loss((np.sum(x * W3), x))


# ================================================================ joins, creation and builtins
# (issue 11: functions once treated as constants or as the identity)


def r_of_arrays(x, y):
    return np.sum(np.r_[x, y] * W5)


def r_of_scalar_and_range(x, c):
    return np.sum(np.r_[c, x, 0:2] * W6)


def c_of_vectors(x, y):
    return np.sum(np.c_[x, y] * W3x2)


def linspace_between(a, b):
    return np.sum(np.linspace(a, b, 5) * W5)


def linspace_arrays_no_endpoint(a, b):
    return np.sum(np.linspace(a, b, 4, endpoint=False, axis=-1) * W3x4)


def full_of_python_float(c):
    return np.sum(np.full((3, 4), c) * W3x4)


def full_like_array(x, c):
    return np.sum(np.full_like(x, c) * W3x4 + x)


def arange_from_float(c):
    return np.sum(np.arange(c, c + 0.9, 0.25) * W4)


def arange_with_step(c, s):
    return np.sum(np.arange(0.0, 1.0, s) * W3) + c


def np_asarray_float64(x):
    return np.sum(np.asarray(x, dtype="float64") * W3)


def np_ascontiguousarray_of_transpose(x):
    return np.sum(np.ascontiguousarray(x.T) * W4x3)


def np_asfortranarray(x):
    return np.sum(np.asfortranarray(x) * W3x4)


def real_part(x):
    return np.sum((np.real(x) + x.real) * W3)


def np_asanyarray(x):
    return np.sum(np.asanyarray(x) * W3)


def builtin_sum_vector(x):
    return sum(x * 2.0) ** 2


def builtin_sum_rows_start(x, b):
    return np.sum(sum(x, b) * W4)


def builtin_max_vector(x):
    return max(np.exp(x)) + min(x) ** 2


def builtin_pow(a):
    return pow(a, 3) + math.pow(a, 2.0)


def math_functions(a):
    return (math.exp(a) + math.log(a) + math.log1p(a) + math.expm1(a) + math.sqrt(a)
            + math.sin(a) * math.cos(a) + math.tan(a) + math.tanh(a) + math.sinh(a)
            + math.cosh(a) + math.atan(a) + math.fabs(a) + math.asin(a / 2)
            + math.acos(a / 2))



# ================================================================ the table


def args(*makers):
    """A builder calling each maker on the rng: args(m34, m4) -> lambda r: (m34(r), m4(r))."""
    return lambda r: tuple(make(r) for make in makers)


def normal(*shape):
    return lambda r: randn(r, *shape)


def pos(*shape):
    return lambda r: positive(r, *shape)


def apart(*shape):
    return lambda r: distinct(r, *shape)


def flt(r):
    return scalar(r)


def pos_flt(r):
    return scalar(r, 0.5, 2.0)


def apart_together(*shapes):
    """Arrays of the given shapes drawn as one distinct set: no two elements are ever close
    (for np.maximum(x, y) or np.where(x > b, ...), whose kinks are where operands meet)."""
    def build(r):
        sizes = [int(np.prod(s)) for s in shapes]
        cuts = np.split(distinct(r, sum(sizes)), np.cumsum(sizes)[:-1])
        return tuple(c.reshape(s) for c, s in zip(cuts, shapes))
    return build


BOTH = (0, 1)  # argnums differentiating both operands

TABLE = {
    # ------------------------------------------------------------ arithmetic
    "add": [
        row(add_matrices, args(normal(3, 4), normal(3, 4)), ["+"], BOTH),
        row(add_row_to_matrix, args(normal(3, 4), normal(4)), ["+"], BOTH),
        row(add_column_to_matrix, args(normal(3, 4), normal(3, 1)), ["+"], BOTH),
        row(add_column_to_row, args(normal(3, 1), normal(1, 4)), ["+"], BOTH),
        row(add_matrix_to_3d, args(normal(2, 3, 4), normal(3, 4)), ["+"], BOTH),
        row(add_float_and_array, args(flt, normal(3)), ["+"], BOTH),
        row(add_constant_left, args(normal(3)), ["+"]),
        row(add_constant_right, args(normal(3)), ["+"]),
        row(add_python_floats, args(flt, flt), ["+"], BOTH),
        row(add_0d_arrays, args(normal(), normal()), ["+"], BOTH),
        row(np_add_broadcast, args(normal(3, 4), normal(3, 1)), [np.add], BOTH),
        row(np_add_constant, args(normal(3, 4)), [np.add]),
    ],
    "subtract": [
        row(subtract_matrices, args(normal(3, 4), normal(3, 4)), ["-"], BOTH),
        row(subtract_row_from_matrix, args(normal(3, 4), normal(4)), ["-"], BOTH),
        row(subtract_matrix_from_column, args(normal(3, 1), normal(3, 4)), ["-"], BOTH),
        row(subtract_from_constant, args(normal(3)), ["-"]),
        row(subtract_constant, args(normal(3)), ["-"]),
        row(subtract_python_floats, args(flt, flt), ["-"], BOTH),
        row(np_subtract_broadcast, args(normal(2, 3, 4), normal(4)), [np.subtract], BOTH),
    ],
    "multiply": [
        row(multiply_matrices, args(normal(3, 4), normal(3, 4)), ["*"], BOTH),
        row(multiply_row, args(normal(3, 4), normal(4)), ["*"], BOTH),
        row(multiply_column_by_row, args(normal(3, 1), normal(1, 4)), ["*"], BOTH),
        row(multiply_by_float, args(flt, normal(3)), ["*"], BOTH),
        row(multiply_constant_left, args(normal(3)), ["*"]),
        row(multiply_constant_right, args(normal(3)), ["*"]),
        row(multiply_same_operand, args(normal(2, 3, 4)), ["*"]),
        row(multiply_python_floats, args(flt, flt), ["*"], BOTH),
        row(np_multiply_broadcast, args(normal(2, 3, 4), normal(3, 1)), [np.multiply], BOTH),
    ],
    "divide": [
        row(divide_matrices, args(normal(3, 4), pos(3, 4)), ["/"], BOTH),
        row(divide_by_row, args(normal(3, 4), pos(4)), ["/"], BOTH),
        row(divide_column_by_matrix, args(normal(3, 1), pos(3, 4)), ["/"], BOTH),
        row(divide_constant_by_array, args(pos(3)), ["/"]),
        row(divide_by_constant, args(normal(3)), ["/"]),
        row(divide_python_floats, args(flt, pos_flt), ["/"], BOTH),
        row(np_divide_broadcast, args(normal(3, 4), pos(3, 1)), [np.divide], BOTH),
        row(np_true_divide, args(normal(2, 3, 4), pos(2, 3, 4)), [np.true_divide], BOTH),
    ],
    "power": [
        row(power_constant_int, args(normal(3, 4)), ["**"]),
        row(power_constant_float, args(pos(3)), ["**"]),
        row(power_negative_exponent, args(pos(3)), ["**"]),
        row(power_constant_base, args(normal(3, 4)), ["**"]),
        row(power_both_arrays, args(pos(3, 4), normal(3, 4)), ["**"], BOTH),
        row(power_row_exponent, args(pos(3, 4), normal(4)), ["**"], BOTH),
        row(power_float_exponent, args(pos(3), flt), ["**"], BOTH),
        row(power_python_floats, args(pos_flt, flt), ["**"], BOTH),
        row(builtin_pow, args(pos_flt), [builtins.pow, math.pow]),
        row(np_power, args(pos(2, 3, 4), normal(3, 4)), [np.power], BOTH),
        row(np_power_constant, args(normal(3)), [np.power]),
    ],
    "negative": [
        row(negate_matrix, args(normal(3, 4)), ["neg"]),
        row(negate_expression, args(normal(2, 3, 4), normal(3, 4)), ["neg"], BOTH),
        row(negate_python_float, args(flt), ["neg"]),
        row(np_negative, args(normal(3)), [np.negative]),
    ],
    "positive": [
        row(unary_plus, args(normal(3, 4)), ["pos"]),
        row(unary_plus_python_float, args(flt), ["pos"]),
        row(np_positive, args(normal(3)), [np.positive]),
    ],
    "copy": [
        row(np_copy, args(normal(3, 4)), [np.copy]),
        row(copy_method, args(normal(2, 3, 4)), [".copy"]),
        row(list_copy_method, args(normal(3), normal(2)), [".copy"], BOTH),
    ],
    "identity": [
        row(np_array_of_array, args(normal(3, 4)), [np.array]),
        row(np_array_of_list, args(normal(3), normal(3)), [np.array, "list"], BOTH),
        row(np_array_of_nested_floats, args(flt, flt), [np.array, "list"], BOTH),
        row(np_asarray, args(normal(3)), [np.asarray]),
        row(np_asarray_float64, args(normal(3)), [np.asarray]),
        row(np_ascontiguousarray_of_transpose, args(normal(3, 4)), [np.ascontiguousarray]),
        row(np_asfortranarray, args(normal(3, 4)), [np.asfortranarray]),
        row(np_asanyarray, args(normal(3)), [np.asanyarray]),
        row(real_part, args(normal(3)), [np.real, ".real"]),
        row(float_of_element, args(normal(3)), [float]),
        row(float_of_0d, args(normal()), [float]),
        row(np_float64_of_element, args(normal(3)), [np.float64]),
        row(np_float64_of_python_float, args(flt), [np.float64]),
        row(np_float32_of_float32, lambda r: (randn(r, 3, dtype=np.float32),), [np.float32]),
    ],
    "astype": [
        row(astype_float64, args(normal(3, 4)), [".astype"]),
        row(astype_string_dtype, args(normal(3)), [".astype"]),
        row(astype_float32_to_float64, lambda r: (randn(r, 3, 4, dtype=np.float32),),
            [".astype"]),
        row(astype_int_is_constant, lambda r: (between_integers(r, 3, 4),), [".astype"]),
    ],
    # ------------------------------------------------------------ elementwise functions
    "exp": [
        row(exp_python_float, args(flt), [np.exp]),
        row(exp_0d, args(normal()), [np.exp]),
        row(exp_vector, args(normal(3)), [np.exp]),
        row(exp_matrix, args(normal(3, 4)), [np.exp]),
        row(exp_3d, args(normal(2, 3, 4)), [np.exp]),
        row(math_functions, lambda r: (float(r.uniform(0.2, 1.2)),),
            [math.exp, math.log, math.log1p, math.expm1, math.sqrt, math.sin, math.cos,
             math.tan, math.tanh, math.sinh, math.cosh, math.atan, math.fabs, math.asin,
             math.acos]),
    ],
    "full": [row(full_of_python_float, args(flt), [np.full])],
    "full_like": [row(full_like_array, args(normal(3, 4), flt), [np.full_like], BOTH)],
    "arange": [
        row(arange_from_float, args(flt), [np.arange]),
        row(arange_with_step, lambda r: (0.5, float(r.uniform(0.34, 0.49))), [np.arange], BOTH),
    ],
    "log": [
        row(log_python_float, args(pos_flt), [np.log]),
        row(log_vector, args(pos(3)), [np.log]),
        row(log_3d, args(pos(2, 3, 4)), [np.log]),
    ],
    "log1p": [
        row(log1p_vector, args(pos(3)), [np.log1p]),
        row(log1p_matrix, lambda r: (r.uniform(-0.5, 2.0, (3, 4)),), [np.log1p]),
    ],
    "expm1": [
        row(expm1_python_float, args(flt), [np.expm1]),
        row(expm1_matrix, args(normal(3, 4)), [np.expm1]),
    ],
    "sqrt": [
        row(sqrt_python_float, args(pos_flt), [np.sqrt]),
        row(sqrt_matrix, args(pos(3, 4)), [np.sqrt]),
    ],
    "square": [
        row(square_vector, args(normal(3)), [np.square]),
        row(square_3d, args(normal(2, 3, 4)), [np.square]),
    ],
    "absolute": [
        row(np_abs, args(apart(3, 4)), [np.abs]),
        row(np_absolute, args(apart(3)), [np.absolute]),
        row(builtin_abs_array, args(apart(2, 3, 4)), [builtins.abs]),
        row(builtin_abs_python_float, lambda r: (float(distinct(r, 1)[0]),), [builtins.abs]),
    ],
    "tanh": [
        row(tanh_vector, args(normal(3)), [np.tanh]),
        row(tanh_matrix, args(normal(3, 4)), [np.tanh]),
    ],
    "sinh": [row(sinh_matrix, args(normal(3, 4)), [np.sinh])],
    "cosh": [row(cosh_vector, args(normal(3)), [np.cosh])],
    "sin": [
        row(sin_python_float, args(flt), [np.sin]),
        row(sin_matrix, args(normal(3, 4)), [np.sin]),
    ],
    "cos": [row(cos_3d, args(normal(2, 3, 4)), [np.cos])],
    "tan": [row(tan_vector, lambda r: (r.uniform(-1.2, 1.2, 3),), [np.tan])],
    "arctan": [
        row(arctan_matrix, args(normal(3, 4)), [np.arctan]),
        row(arctan_python_float, args(flt), [np.arctan]),
    ],
    "arcsin": [row(arcsin_vector, lambda r: (r.uniform(-0.9, 0.9, 3),), [np.arcsin])],
    "arccos": [row(arccos_python_float, args(flt), [np.arccos, np.tanh])],
    "maximum": [
        row(maximum_arrays, apart_together((3, 4), (3, 4)), [np.maximum], BOTH),
        row(maximum_constant_right, lambda r: (distinct(r, 3, 4) + 0.1 + 0.03,),
            [np.maximum]),
        row(maximum_constant_left, args(apart(3, 4)), [np.maximum]),
        row(maximum_row_broadcast, apart_together((3, 4), (4,)), [np.maximum], BOTH),
        row(maximum_python_floats, lambda r: tuple(float(v) for v in distinct(r, 2)),
            [np.maximum], BOTH),
    ],
    "minimum": [
        row(minimum_arrays, apart_together((3, 4), (3, 4)), [np.minimum], BOTH),
        row(minimum_constant_right, lambda r: (distinct(r, 3) + 0.1 + 0.03,), [np.minimum]),
        row(minimum_constant_left, args(apart(3)), [np.minimum]),
        row(minimum_column_broadcast, apart_together((3, 4), (3, 1)), [np.minimum], BOTH),
    ],
    "where": [
        row(where_on_sign, args(apart(3, 4)), [np.where]),
        row(where_fixed_mask, args(normal(3, 4), normal(3, 4)), [np.where], BOTH),
        row(where_scalar_branch, args(normal(3, 4), flt), [np.where], BOTH),
        row(where_row_branch, apart_together((3, 4), (4,)), [np.where], BOTH),
    ],
    "clip": [
        row(np_clip, lambda r: (away_from_bounds(r, 3, 4),), [np.clip]),
        row(np_clip_keywords, lambda r: (away_from_bounds(r, 3, 4),), [np.clip]),
        row(np_clip_upper_only, lambda r: (away_from_bounds(r, 3),), [np.clip]),
        row(np_clip_array_bounds, lambda r: (away_from_bounds(r, 3, 4),), [np.clip]),
        row(clip_method, lambda r: (away_from_bounds(r, 2, 3, 4),), [".clip"]),
        row(clip_method_min_keyword, lambda r: (away_from_bounds(r, 3),), [".clip"]),
        row(np_clip_min_max_keywords, lambda r: (away_from_bounds(r, 3),), [np.clip]),
        row(np_clip_differentiated_bound, lambda r: (np.array([-1.2, 0.0, 0.3]), -0.4),
            [np.clip], BOTH),
        row(np_clip_differentiated_bounds,
            lambda r: (np.array([[-1.2, 0.0, 0.3, 2.0], [0.1, -2.0, 1.5, -0.1],
                                 [1.1, -0.7, 0.2, 0.0]]), np.array([-0.4, -0.5, -0.6, -0.3]),
                       np.array([[0.5], [0.6], [0.4]])), [np.clip], (0, 1, 2)),
        row(clip_method_differentiated_max, lambda r: (np.array([-1.2, 0.0, 0.9]), 0.4),
            [".clip"], BOTH),
    ],
    "sigm": [
        row(sigm_python_float, args(flt), [knetc.sigm]),
        row(sigm_vector, args(normal(3)), [knetc.sigm]),
        row(sigm_matrix, args(normal(3, 4)), [knetc.sigm]),
        row(sigm_large_inputs, args(normal(2, 3, 4)), [knetc.sigm]),
    ],
    "relu": [
        row(relu_vector, args(apart(6)), [knetc.relu]),
        row(relu_matrix, args(apart(3, 4)), [knetc.relu]),
        row(relu_python_float, lambda r: (float(distinct(r, 1)[0]),), [knetc.relu]),
    ],
    # ------------------------------------------------------------ reductions
    "sum": [
        row(np_sum_all, args(normal(3)), [np.sum]),
        row(np_sum_3d, args(normal(2, 3, 4)), [np.sum]),
        row(np_sum_axis0, args(normal(3, 4)), [np.sum]),
        row(np_sum_axis1_keepdims, args(normal(3, 4)), [np.sum]),
        row(np_sum_axis_negative, args(normal(2, 3, 4)), [np.sum]),
        row(np_sum_positional_axis, args(normal(3, 4)), [np.sum]),
        row(np_sum_keepdims_all, args(normal(3, 4)), [np.sum]),
        row(np_sum_axis_tuple, args(normal(2, 3, 4)), [np.sum]),
        row(np_sum_axis_tuple_keepdims, args(normal(2, 3, 4)), [np.sum]),
        row(sum_method, args(normal(3, 4)), [".sum"]),
        row(sum_method_axis, args(normal(3, 4)), [".sum"]),
        row(sum_method_keepdims, args(normal(2, 3, 4)), [".sum"]),
    ],
    "mean": [
        row(np_mean_all, args(normal(3, 4)), [np.mean]),
        row(np_mean_axis0, args(normal(3, 4)), [np.mean]),
        row(np_mean_axis1_keepdims, args(normal(3, 4)), [np.mean]),
        row(np_mean_axis_tuple, args(normal(2, 3, 4)), [np.mean]),
        row(np_mean_keepdims_all, args(normal(2, 3, 4)), [np.mean]),
        row(mean_method, args(normal(2, 3, 4)), [".mean"]),
    ],
    "max": [
        row(np_max_all, args(apart(3, 4)), [np.max]),
        row(np_max_axis0, args(apart(3, 4)), [np.max]),
        row(np_max_axis1_keepdims, args(apart(3, 4)), [np.max]),
        row(np_max_axis_tuple, args(apart(2, 3, 4)), [np.max]),
        row(np_amax, args(apart(2, 3, 4)), [np.amax]),
        row(max_method, args(apart(3, 4)), [".max"]),
        row(np_min_all, args(apart(3)), [np.min]),
        row(np_min_axis1, args(apart(3, 4)), [np.min]),
        row(np_amin_keepdims, args(apart(3, 4)), [np.amin]),
        row(min_method, args(apart(2, 3, 4)), [".min"]),
    ],
    "prod": [
        row(np_prod_all, args(apart(2, 3)), [np.prod]),
        row(np_prod_axis0, args(apart(3, 4)), [np.prod]),
        row(np_prod_axis1_keepdims, args(apart(3, 4)), [np.prod]),
        row(prod_method, args(apart(2, 3, 4)), [".prod"]),
    ],
    "var": [
        row(np_var_all, args(normal(3, 4)), [np.var]),
        row(np_var_all_ddof, args(normal(2, 3)), [np.var]),
        row(np_var_axis0_ddof, args(normal(3, 4)), [np.var]),
        row(np_var_axis_tuple_keepdims, args(normal(2, 3, 4)), [np.var]),
        row(var_method, args(normal(3, 4)), [".var"]),
    ],
    "std": [
        row(np_std_all, args(normal(3, 4)), [np.std]),
        row(np_std_axis1_keepdims, args(normal(3, 4)), [np.std]),
        row(np_std_axis_negative_ddof, args(normal(2, 3, 4)), [np.std]),
        row(std_method, args(normal(3, 4)), [".std"]),
    ],
    "sumabs2": [
        row(sumabs2_vector, args(normal(3)), [knetc.sumabs2]),
        row(sumabs2_matrix, args(normal(3, 4)), [knetc.sumabs2]),
        row(sumabs2_python_float, args(flt), [knetc.sumabs2]),
    ],
    "logsumexp": [
        row(logsumexp_all, args(normal(3, 4)), [knetc.logsumexp]),
        row(logsumexp_keepdims_all, args(normal(3, 4)), [knetc.logsumexp]),
        row(logsumexp_axis0, args(normal(3, 4)), [knetc.logsumexp]),
        row(logsumexp_axis1_keepdims, args(normal(3, 4)), [knetc.logsumexp]),
        row(logsumexp_axis_negative, args(normal(2, 3, 4)), [knetc.logsumexp]),
        row(logsumexp_axis_tuple, args(normal(2, 3, 4)), [knetc.logsumexp]),
        row(logsumexp_large, args(normal(3, 4)), [knetc.logsumexp]),
    ],
    # ------------------------------------------------------------ indexing and containers
    "getitem": [
        row(index_int, args(normal(3, 4)), ["[]"]),
        row(index_negative, args(normal(3)), ["[]"]),
        row(index_element, args(normal(3, 4)), ["[]"]),
        row(index_chained, args(normal(3, 4)), ["[]"]),
        row(index_slice, args(normal(5)), ["[]"]),
        row(index_step_and_reverse, args(normal(6)), ["[]"]),
        row(index_column, args(normal(3, 4)), ["[]"]),
        row(index_3d_mixed, args(normal(2, 3, 4)), ["[]"]),
        row(index_ellipsis, args(normal(2, 3, 4)), ["[]"]),
        row(index_newaxis, args(normal(3, 4)), ["[]"]),
        row(index_fancy_repeated, args(normal(3)), ["[]"]),
        row(index_integer_array_argument,
            lambda r: (randn(r, 3), np.array([[2, 0, 0, 1], [1, 1, 2, 2], [0, 2, 1, 0]])),
            ["[]"]),
        row(index_fancy_rows_and_columns, args(normal(3, 4)), ["[]"]),
        row(index_boolean_mask, args(normal(3, 4)), ["[]"]),
        row(index_computed_mask, args(apart(3, 4)), ["[]"]),
        row(index_list_argument, args(lambda r: [randn(r, 3), randn(r, 3, 4), randn(r, 3, 4)]),
            ["[]"]),
        row(index_tuple_argument, args(lambda r: (scalar(r), randn(r, 3))), ["[]"]),
        row(index_dict_argument,
            args(lambda r: {"w": randn(r, 3, 2), "x": randn(r, 2, 4), "b": randn(r, 3, 1)}),
            ["[]"]),
        row(index_list_slice, args(lambda r: [randn(r, 4) for _ in range(3)]), ["[]"]),
    ],
    "take": [
        row(np_take_flat, args(normal(3, 4)), [np.take]),
        row(np_take_axis0, args(normal(3, 4)), [np.take]),
        row(np_take_axis1, args(normal(3, 4)), [np.take]),
        row(np_take_axis_negative, args(normal(3, 4)), [np.take]),
        row(np_take_2d_indices, args(normal(3, 4)), [np.take]),
        row(np_take_2d_indices_last_axis, args(normal(3, 4)), [np.take]),
        row(take_method, args(normal(3, 2)), [".take"]),
    ],
    "build": [
        row(build_tuple, args(normal(3), normal(3)), ["tuple"], BOTH),
        row(build_list, args(normal(4), normal(4)), ["list"], BOTH),
        row(build_list_of_python_floats, args(flt, flt), ["list"], BOTH),
        row(build_nested, args(normal(3), normal(3)), ["list", "tuple"], BOTH),
    ],
    "join": [
        row(join_append, args(lambda r: [randn(r, 4), randn(r, 4)], normal(4)), ["join"],
            BOTH),
        row(join_prepend, args(lambda r: [randn(r, 3), randn(r, 3)], normal(3)), ["join"],
            BOTH),
        row(join_tuples, args(lambda r: (randn(r, 3), randn(r, 3)), normal(3)), ["join"],
            BOTH),
    ],
    "repeat": [
        row(repeat_items, args(normal(3), normal(3)), ["repeat"], BOTH),
        row(repeat_count_first, args(normal(3), normal(3)), ["repeat"], BOTH),
    ],
    # ------------------------------------------------------------ mutation and builtins
    "setitem": [
        row(setitem_list, args(normal(3), normal(3)), ["[]="], BOTH),
        row(setitem_overwrites, args(normal(3), normal(3)), ["[]="], BOTH),
        row(setitem_dict, args(normal(3), normal(3)), ["[]="], BOTH),
        row(setitem_nested, args(normal(3), normal(3)), ["[]="], BOTH),
        row(setitem_argument, args(lambda r: [randn(r, 3), randn(r, 3)], normal(3)), ["[]="],
            BOTH),
    ],
    "append": [
        row(append_in_loop, args(normal(3, 4), normal(3, 4)), [".append"], BOTH),
        row(append_to_argument, args(lambda r: [randn(r, 4), randn(r, 4)], normal(4)),
            [".append"], BOTH),
    ],
    "sequence": [
        row(list_of_tuple, args(lambda r: (randn(r, 3), randn(r, 3))), [builtins.list]),
        row(tuple_of_list, args(lambda r: [randn(r, 3), randn(r, 3)]), [builtins.tuple]),
        row(list_of_array_rows, args(normal(3, 4)), [builtins.list]),
        row(for_over_display, args(normal(3), normal(3)), [knetc.runtime.sequence], BOTH),
        row(for_over_slice, args(lambda r: [randn(r, 3) for _ in range(3)]),
            [knetc.runtime.sequence]),
    ],
    "sorted": [
        row(sorted_dict_keys, args(lambda r: {"b": randn(r, 3), "a": randn(r, 3)}),
            [builtins.sorted]),
    ],
    "values": [
        row(dict_values_sum, args(lambda r: {"a": randn(r, 3), "b": randn(r, 3)}),
            [".values"]),
    ],
    "items": [
        row(dict_items_loop, args(lambda r: {"a": randn(r, 3), "b": randn(r, 2)}),
            [".items"]),
    ],
    "get": [
        row(dict_get, args(lambda r: {"a": randn(r, 3), "b": randn(r, 2)}), [".get"]),
    ],
    "attribute": [
        row(attribute_read, args(lambda r: Params(randn(r, 3, 2), randn(r, 3)), normal(2)),
            ["."], BOTH),
    ],
    "call_through": [
        row(call_through_variable, lambda r: (randn(r, 3), True), ["call"]),
        row(call_through_variable, lambda r: (randn(r, 3), False), ["call"]),
    ],
    "builtin_sum": [
        row(builtin_sum_list, args(normal(3), normal(3)), [builtins.sum], BOTH),
        row(builtin_sum_start, args(normal(3), normal(3)), [builtins.sum], BOTH),
        row(builtin_sum_vector, args(normal(3)), [builtins.sum]),
        row(builtin_sum_rows_start, args(normal(3, 4), normal(4)), [builtins.sum], BOTH),
    ],
    "choose": [
        row(builtin_max_floats, lambda r: tuple(float(v) for v in distinct(r, 2)),
            [builtins.max], BOTH),
        row(builtin_min_three, lambda r: tuple(float(v) for v in distinct(r, 3)),
            [builtins.min], (0, 1, 2)),
        row(builtin_max_of_list, lambda r: ([float(v) for v in distinct(r, 3)],),
            [builtins.max]),
        row(builtin_max_vector, args(apart(4)), [builtins.max, builtins.min]),
    ],
    # ------------------------------------------------------------ matrix products
    "matmul": [
        row(matmul_matrices, args(normal(3, 4), normal(4, 5)), ["@"], BOTH),
        row(matmul_matrix_vector, args(normal(3, 4), normal(4)), ["@"], BOTH),
        row(matmul_vector_matrix, args(normal(4), normal(4, 5)), ["@"], BOTH),
        row(matmul_vectors, args(normal(4), normal(4)), ["@"], BOTH),
        row(matmul_batched, args(normal(2, 3, 4), normal(2, 4, 5)), ["@"], BOTH),
        row(matmul_batch_broadcast, args(normal(2, 3, 4), normal(4, 5)), ["@"], BOTH),
        row(matmul_matrix_by_batch, args(normal(3, 4), normal(2, 4, 5)), ["@"], BOTH),
        row(matmul_batch_by_vector, args(normal(2, 3, 4), normal(4)), ["@"], BOTH),
        row(matmul_vector_by_batch, args(normal(4), normal(2, 4, 5)), ["@"], BOTH),
        row(matmul_broadcast_batch_dims, args(normal(2, 1, 3, 4), normal(5, 4, 6)), ["@"],
            BOTH),
        row(np_matmul, args(normal(3, 4), normal(4, 5)), [np.matmul], BOTH),
    ],
    "dot": [
        row(np_dot_matrices, args(normal(3, 4), normal(4, 5)), [np.dot], BOTH),
        row(np_dot_matrix_vector, args(normal(3, 4), normal(4)), [np.dot], BOTH),
        row(np_dot_vectors, args(normal(4), normal(4)), [np.dot], BOTH),
        row(np_dot_scalar, args(flt, normal(3, 4)), [np.dot], BOTH),
        row(np_dot_3d_by_matrix, args(normal(2, 3, 4), normal(4, 5)), [np.dot], BOTH),
        row(np_dot_matrix_by_3d, args(normal(3, 4), normal(2, 4, 5)), [np.dot], BOTH),
        row(dot_method, args(normal(3, 4), normal(4, 5)), [".dot"], BOTH),
    ],
    "outer": [
        row(np_outer_vectors, args(normal(3), normal(4)), [np.outer], BOTH),
        row(np_outer_flattens, args(normal(2, 3), normal(4)), [np.outer], BOTH),
    ],
    # ------------------------------------------------------------ Knet operators
    "logp": [
        row(logp_axis0, args(normal(3, 4)), [knetc.logp]),
        row(logp_axis1, args(normal(3, 4)), [knetc.logp]),
        row(logp_axis_negative, args(normal(2, 3, 4)), [knetc.logp]),
        row(logp_vector, args(normal(5)), [knetc.logp]),
        row(logp_large, args(normal(3, 4)), [knetc.logp]),
    ],
    "softmax": [
        row(softmax_axis0, args(normal(3, 4)), [knetc.softmax]),
        row(softmax_axis1, args(normal(3, 4)), [knetc.softmax]),
        row(softmax_vector, args(normal(5)), [knetc.softmax]),
        row(softmax_3d, args(normal(2, 3, 4)), [knetc.softmax]),
    ],
    "nll": [
        row(nll_axis0, lambda r: (randn(r, 5, 4), labels(r, 5, 4)), [knetc.nll]),
        row(nll_axis1, lambda r: (randn(r, 4, 5), labels(r, 5, 4)), [knetc.nll]),
        row(nll_scaled, lambda r: (randn(r, 3, 4), labels(r, 3, 4)), [knetc.nll]),
        row(nll_single_example, lambda r: (randn(r, 5), labels(r, 5)), [knetc.nll]),
        row(nll_3d, lambda r: (randn(r, 5, 2, 3), labels(r, 5, 2, 3)), [knetc.nll]),
    ],
    # ------------------------------------------------------------ shapes
    "reshape": [
        row(np_reshape, args(normal(3, 4)), [np.reshape]),
        row(np_reshape_fortran_order, args(normal(3, 4)), [np.reshape]),
    ],
    "reshape_method": [
        row(reshape_method_args, args(normal(3, 4)), [".reshape"]),
        row(reshape_method_tuple, args(normal(3, 4)), [".reshape"]),
        row(reshape_to_vector, args(normal(2, 3, 4)), [".reshape"]),
        row(reshape_method_fortran_order, args(normal(3, 4)), [".reshape"]),
    ],
    "ravel": [
        row(np_ravel, args(normal(3, 4)), [np.ravel]),
        row(ravel_method, args(normal(2, 3, 4)), [".ravel"]),
        row(ravel_method_fortran_order, args(normal(3, 4)), [".ravel"]),
        row(flatten_method, args(normal(3, 4)), [".flatten"]),
        row(flatten_method_fortran_order, args(normal(2, 3, 4)), [".flatten"]),
    ],
    "squeeze": [
        row(np_squeeze, args(normal(3, 1, 4)), [np.squeeze]),
        row(squeeze_method_axis, args(normal(1, 4)), [".squeeze"]),
        row(np_expand_dims, args(normal(3)), [np.expand_dims]),
    ],
    "atleast": [
        row(np_atleast_1d, args(normal()), [np.atleast_1d]),
        row(np_atleast_2d, args(normal(4)), [np.atleast_2d]),
    ],
    "r_": [
        row(r_of_arrays, args(normal(3), normal(2)), [np.r_], BOTH),
        row(r_of_scalar_and_range, args(normal(3), flt), [np.r_], BOTH),
    ],
    "c_": [row(c_of_vectors, args(normal(3), normal(3)), [np.c_], BOTH)],
    "linspace": [
        row(linspace_between, args(flt, flt), [np.linspace], BOTH),
        row(linspace_arrays_no_endpoint, args(normal(3), normal(3)), [np.linspace], BOTH),
    ],
    "transpose": [
        row(np_transpose, args(normal(3, 4)), [np.transpose]),
        row(np_transpose_axes, args(normal(2, 3, 4)), [np.transpose]),
        row(np_transpose_axes_keyword, args(normal(2, 3, 4)), [np.transpose]),
        row(np_transpose_negative_axes, args(normal(2, 3, 4)), [np.transpose]),
        row(np_transpose_3d_reverse, args(normal(2, 3, 4)), [np.transpose]),
    ],
    "transpose_method": [
        row(transpose_method_no_args, args(normal(3, 4)), [".transpose"]),
        row(transpose_method_args, args(normal(2, 3, 4)), [".transpose"]),
        row(transpose_method_tuple, args(normal(2, 3, 4)), [".transpose"]),
        row(transpose_method_negative_axes, args(normal(2, 3, 4)), [".transpose"]),
    ],
    "T": [
        row(transpose_attribute, args(normal(3, 4)), [".T"]),
        row(transpose_attribute_3d, args(normal(2, 3, 4)), [".T"]),
        row(transpose_attribute_vector, args(normal(3)), [".T"]),
    ],
    "swapaxes": [
        row(np_swapaxes, args(normal(2, 3, 4)), [np.swapaxes]),
        row(swapaxes_method, args(normal(3, 4)), [".swapaxes"]),
    ],
    "broadcast_to": [
        row(broadcast_row, args(normal(3)), [np.broadcast_to]),
        row(broadcast_column, args(normal(3, 1)), [np.broadcast_to]),
        row(broadcast_scalar, args(flt), [np.broadcast_to]),
    ],
    "concatenate": [
        row(concatenate_axis0, args(normal(2, 4), normal(3, 4)), [np.concatenate], BOTH),
        row(concatenate_axis1, args(normal(3, 2), normal(3, 4)), [np.concatenate], BOTH),
        row(concatenate_axis_negative, args(normal(2, 3, 2), normal(2, 3, 2)),
            [np.concatenate], BOTH),
        row(concatenate_list_argument, args(lambda r: [randn(r, 2), randn(r, 4)]),
            [np.concatenate]),
        row(concatenate_axis_none, args(normal(2, 3), normal(3, 2)), [np.concatenate], BOTH),
    ],
    "hstack": [
        row(hstack_vectors, args(normal(2), normal(3)), [np.hstack], BOTH),
        row(hstack_matrices, args(normal(3, 2), normal(3, 3)), [np.hstack], BOTH),
        row(hstack_python_floats, args(flt, flt), [np.hstack], BOTH),
    ],
    "vstack": [
        row(vstack_vectors, args(normal(4), normal(4)), [np.vstack], BOTH),
        row(vstack_matrices, args(normal(2, 4), normal(3, 4)), [np.vstack], BOTH),
        row(vstack_matrix_and_vector, args(normal(2, 4), normal(4)), [np.vstack], BOTH),
    ],
    "stack": [
        row(stack_axis0, args(normal(3, 4), normal(3, 4)), [np.stack], BOTH),
        row(stack_axis1, args(normal(3, 4), normal(3, 4)), [np.stack], BOTH),
        row(stack_axis_negative, args(normal(3, 4), normal(3, 4)), [np.stack], BOTH),
    ],
    "meshgrid": [
        row(meshgrid_xy, args(normal(3), normal(2)), [np.meshgrid], BOTH),
        row(meshgrid_ij_sparse, args(normal(3), normal(2)), [np.meshgrid], BOTH),
    ],
    "split": [
        row(split_sections, args(normal(4, 4)), [np.split]),
        row(split_indices_axis1, args(normal(3, 4)), [np.split]),
        row(split_part_unused, args(normal(3, 6)), [np.split]),
    ],
    "mat": [
        row(mat_matrix, args(normal(3, 4)), [knetc.mat]),
        row(mat_4d, args(normal(2, 3, 2, 2)), [knetc.mat]),
    ],
    # ------------------------------------------------------------ convolution and pooling
    "conv4": [
        row(conv4_basic, args(normal(2, 3, 2, 2), normal(2, 3, 4, 4)), [knetc.conv4], BOTH),
        row(conv4_padding_stride, args(normal(2, 3, 3, 3), normal(2, 3, 5, 5)), [knetc.conv4],
            BOTH),
        row(conv4_pairs, args(normal(2, 2, 3, 2), normal(1, 2, 4, 5)), [knetc.conv4], BOTH),
    ],
    "pool": [
        row(pool_max, args(apart(2, 2, 4, 4)), [knetc.pool]),
        row(pool_max_overlapping, args(apart(1, 2, 4, 4)), [knetc.pool]),
        row(pool_avg_padded, args(normal(2, 2, 5, 5)), [knetc.pool]),
    ],
    "pool_tangent": [
        row(pool_tangent_max, args(normal(2, 2, 4, 4), apart(2, 2, 4, 4)),
            [knetc.runtime.pool_tangent], (0, 1)),
    ],
    "join_tangent": [row(join_tangent_lists, args(normal(3), normal(3)),
                         [knetc.runtime.join_tangent], (0, 1))],
    "sequence_tangent": [row(sequence_tangent_tuple, args(normal(3)),
                             [knetc.runtime.sequence_tangent])],
    "sorted_tangent": [row(sorted_tangent_keys, args(normal(3)),
                           [knetc.runtime.sorted_tangent])],
    "values_tangent": [row(values_tangent_dict, args(normal(3), normal(3)),
                           [knetc.runtime.values_tangent], (0, 1))],
    "items_tangent": [row(items_tangent_dict, args(normal(3)), [knetc.runtime.items_tangent])],
    "reshape_tangent": [row(reshape_tangent_orders, args(normal(3, 4), normal(3, 4)),
                            [knetc.runtime.reshape_tangent], (0, 1))],
    "match_tangent": [
        row(match_tangent_broadcast, args(normal(4), normal(3, 4)),
            [knetc.runtime.match_tangent], (0, 1)),
    ],
    "aux_loss": [row(aux_loss_pair, args(normal(3)), [knetc.runtime.aux_loss])],
    "take_labels": [
        row(take_labels_axis0, lambda r: (randn(r, 5, 4), labels(r, 5, 4)),
            [knetc.runtime.take_labels]),
    ],
}


def _unwrap(entry):
    """(row, marks) of a TABLE entry, which is a Row or a known_bug(...) pytest.param."""
    if isinstance(entry, Row):
        return entry, ()
    return entry.values[0], entry.marks


def _params(table):
    for rule_name, entries in table.items():
        for entry in entries:
            r, marks = _unwrap(entry)
            yield pytest.param(r, marks=marks, id=f"{rule_name}/{r.f.__name__}")


def _build(r):
    return r.build(np.random.default_rng(zlib.crc32(r.f.__name__.encode())))


@pytest.mark.parametrize("r", list(_params(TABLE)))
def test_primitive(r):
    arguments = _build(r)
    value = r.f(*copy.deepcopy(arguments))  # f may mutate its arguments (setitem, append)
    assert np.ndim(value) == 0 and np.isfinite(value), "test bug: f must return a finite scalar"
    knetc.check_grads(r.f, *arguments, argnums=r.argnums)


# ================================================================ float32 stays float32


def exp_float32(x):
    return np.sum(np.exp(x) * W3x4_f32)


def matmul_float32(a, b):
    return np.sum((a @ b) * W3x4_f32)


def sum_float32(x):
    return np.sum(np.sum(x, axis=0) ** 2 * W4_f32) + np.sum(x)


def logp_float32(x):
    return np.sum(knetc.logp(x) * W3x4_f32)


def sigm_float32(x):
    return np.sum(knetc.sigm(x) * W3x4_f32)


def getitem_float32(x):
    return np.sum(x[[0, 2]] * W2x4_f32) + x[1, 3] * np.float32(1.7)


def conv4_float32(w, x):
    return np.sum(knetc.conv4(w, x, padding=1, stride=2) * W2x2x3x3_f32)


def pool_float32(x):
    return np.sum(knetc.pool(x, mode="avg") * W2x2x2x2_f32)


def f32(*shape):
    return lambda r: randn(r, *shape, dtype=np.float32)


FLOAT32 = {
    "exp": [row(exp_float32, args(f32(3, 4)), [np.exp])],
    "matmul": [row(matmul_float32, args(f32(3, 2), f32(2, 4)), ["@"], BOTH)],
    "sum": [row(sum_float32, args(f32(3, 4)), [np.sum])],
    "logp": [row(logp_float32, args(f32(3, 4)), [knetc.logp])],
    "sigm": [row(sigm_float32, args(f32(3, 4)), [knetc.sigm])],
    "getitem": [row(getitem_float32, args(f32(3, 4)), ["[]"])],
    "conv4": [row(conv4_float32, args(f32(2, 3, 3, 3), f32(2, 3, 5, 5)), [knetc.conv4], BOTH)],
    "pool": [row(pool_float32, args(f32(2, 2, 4, 4)), [knetc.pool])],
}


@pytest.mark.parametrize("r", list(_params(FLOAT32)))
def test_float32_dtype(r):
    arguments = _build(r)
    assert all(a.dtype == np.float32 for a in arguments)
    assert np.asarray(r.f(*arguments)).dtype == np.float32, "test bug: f must stay float32"
    g = knetc.grad(r.f, argnums=r.argnums)(*arguments)
    for gi in (g if isinstance(r.argnums, tuple) else (g,)):
        assert gi.dtype == np.float32, f"gradient has dtype {gi.dtype}, expected float32"
    knetc.check_grads(r.f, *arguments, argnums=r.argnums)  # float32 tolerances


# ================================================================ the table is complete


def _same_key(a, b):
    """Rule keys match by equality for strings ("+", ".sum") and by identity for objects."""
    return a == b if isinstance(a, str) and isinstance(b, str) else a is b


def _contains(keys, key):
    return any(_same_key(k, key) for k in keys)


def _key_name(key):
    """'+' stays '+'; np.amin reads numpy.amin, knetc.sigm knetc.nn.sigm."""
    if isinstance(key, str):
        return repr(key)
    if key is np.r_ or key is np.c_:
        return "numpy.r_" if key is np.r_ else "numpy.c_"
    module = getattr(key, "__module__", None) or "numpy"
    return f"{module}.{getattr(key, '__qualname__', None) or key.__name__}"


_OPERATOR_KEYS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
                  ast.MatMult: "@", ast.USub: "neg", ast.UAdd: "pos"}


def keys_in_source(f):
    """The rule keys that f's source can reach, read from its syntax the way knetc resolves it.

    Function calls by a global name resolve to the object (`np.exp`, `knetc.sigm`, `max`),
    calls of a method of a local value to ".name", attributes of a local value to ".attr",
    operators to their symbols; subscripts give "[]", assignments into them "[]=", displays
    holding a variable "tuple"/"list", `xs + [x]` gives "join", `[x] * n` "repeat", and
    `for v in <expression>` the runtime's `sequence`, a call of a local variable "call", and
    reading an attribute of a local value "." too. An over-approximation: it only has to
    confirm a row's keys.
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    local = set(f.__code__.co_varnames)
    namespace = {**vars(builtins), **f.__globals__}

    def root(node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node

    def static(node):
        r = root(node)
        return isinstance(r, ast.Name) and r.id not in local

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            found.append(_OPERATOR_KEYS.get(type(node.op)))
            if isinstance(node.op, ast.Add) and any(
                    isinstance(side, (ast.List, ast.Tuple)) for side in (node.left, node.right)):
                found.append("join")
            if isinstance(node.op, ast.Mult) and any(
                    isinstance(side, (ast.List, ast.Tuple)) for side in (node.left, node.right)):
                found.append("repeat")
        elif isinstance(node, ast.UnaryOp):
            found.append(_OPERATOR_KEYS.get(type(node.op)))
        elif isinstance(node, ast.Subscript):
            found.append("[]" if isinstance(node.ctx, ast.Load) else "[]=")
            if static(node.value):  # np.r_[a, b]: the concatenator's own rule
                found.append(eval(ast.unparse(node.value), namespace))  # noqa: S307
        elif isinstance(node, (ast.Tuple, ast.List)) and isinstance(node.ctx, ast.Load):
            if not all(isinstance(e, ast.Constant) for e in node.elts):
                found.append("tuple" if isinstance(node, ast.Tuple) else "list")
        elif isinstance(node, ast.Call) and static(node.func):
            found.append(eval(ast.unparse(node.func), namespace))  # noqa: S307
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found.append("call")  # a function held in a local variable
        elif isinstance(node, ast.Attribute) and not static(node):
            found.append("." + node.attr)
            found.append(".")  # any attribute without a rule of its own
        elif isinstance(node, ast.For) and not isinstance(node.iter, ast.Name):
            found.append(knetc.runtime.sequence)
    return found


# Keys registered on a rule that no user-written function can reach: knetc's resolver
# (knetc/compiler/resolve.py) never looks them up. Listed, not skipped silently: the coverage
# test fails once one of them stops being registered or gets a row.
UNREACHABLE_KEYS = {}


def test_every_rule_has_a_row():
    rules = all_rules()
    rows = {name: [_unwrap(e)[0] for e in entries] for name, entries in TABLE.items()}
    exercised = [k for rs in rows.values() for r in rs for k in r.keys]
    all_keys = [k for rule in rules for k in rule.keys]
    problems = []
    for rule in rules:
        if not rows.get(rule.name):
            keys = ", ".join(_key_name(k) for k in rule.keys)
            problems.append(f"rule {rule.name!r} has no TABLE entry (keys {keys})")
        for key in rule.keys:
            if not _contains(exercised, key) and key not in UNREACHABLE_KEYS:
                problems.append(f"key {_key_name(key)} of rule {rule.name!r} is exercised by no "
                                "row")
    for name in set(rows) - {rule.name for rule in rules}:
        problems.append(f"TABLE names rule {name!r}, which no longer exists")
    for key in UNREACHABLE_KEYS:
        if not _contains(all_keys, key):
            problems.append(f"UNREACHABLE_KEYS lists {key!r}, which no rule registers")
        elif _contains(exercised, key):
            problems.append(f"UNREACHABLE_KEYS lists {key!r}, but a row exercises it")
    by_name = {rule.name: rule for rule in rules}
    for name, rs in rows.items():
        for r in rs:
            unknown = [_key_name(k) for k in r.keys if not _contains(all_keys, k)]
            if unknown:
                problems.append(f"row {name}/{r.f.__name__} lists non-keys {unknown}")
            if name in by_name and not any(_contains(by_name[name].keys, k) for k in r.keys):
                problems.append(f"row {name}/{r.f.__name__} exercises no key of rule {name!r}")
    assert not problems, "TABLE is incomplete:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("r", [pytest.param(p.values[0], id=p.id)
                               for p in [*_params(TABLE), *_params(FLOAT32)]])
def test_row_keys_are_in_the_source(r):
    """A row's keys are really in its function: the coverage above is not just a claim."""
    found = keys_in_source(r.f)
    absent = [_key_name(k) for k in r.keys if not _contains(found, k)]
    assert not absent, f"{r.f.__name__} lists keys {absent} that its source does not use"
