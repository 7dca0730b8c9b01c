"""Adjoints of elementwise arithmetic and math functions, with broadcasting summed back."""
import builtins
import math

import numpy as np

from .. import nn
from . import nondiff, rule

# Templates are never called: `dy` and the runtime helpers are names in generated code.
# ruff: noqa: F821, F841


@rule("+", np.add)
def add(y, a, b):
    da = unbroadcast(dy, a)
    db = unbroadcast(dy, b)
    y_dot = a_dot + b_dot


@rule("-", np.subtract)
def subtract(y, a, b):
    da = unbroadcast(dy, a)
    db = unbroadcast(-dy, b)
    y_dot = a_dot - b_dot


@rule("*", np.multiply)
def multiply(y, a, b):
    da = unbroadcast(dy * b, a)
    db = unbroadcast(a * dy, b)
    y_dot = a_dot * b + a * b_dot


@rule("/", np.divide, np.true_divide)
def divide(y, a, b):
    da = unbroadcast(dy / b, a)
    db = unbroadcast(-dy * y / b, b)
    y_dot = a_dot / b - b_dot * y / b


@rule("**", np.power, builtins.pow, math.pow)
def power(y, a, b):
    da = unbroadcast(power_base_grad(dy, a, b), a)
    db = unbroadcast(power_exponent_grad(dy, y, a), b)
    # power_base_grad's convention: 0 where b == 0 (a ** 0, also at a = 0); b - (b != 0)
    # is b - 1 elsewhere. power_exponent_grad's: log(a) read as 0 at a = 0 (the log taken in
    # y's dtype: that of a Python float a would be a float64 NumPy scalar)
    y_dot = (a_dot * b * np.power(a, b - (b != 0))
             + b_dot * y * np.log(np.where(a == 0, np.ones_like(y), a)))


@rule("neg", np.negative)
def negative(y, x):
    dx = -dy
    y_dot = -x_dot


@rule("pos", np.positive)
def positive(y, x):
    dx = dy
    y_dot = +x_dot


# The layout arguments (order=, copy=) change no values; the resolver turns a `dtype=` to
# an integer or bool type into no gradient at all.
@rule(np.copy, ".copy")
def copy(y, x, order="K", subok=False):
    dx = copy_grad(dy, x)
    y_dot = copy_tangent(x_dot, y)  # a new list, dict or array, as y is


@rule(np.array, np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray, float,
      np.float64, np.float32, np.real, ".real")
def identity(y, x, dtype=None, order=None, *, copy=None, subok=False, ndmin=0, device=None,
             like=None):
    dx = unbroadcast(dy, x)
    # a number for float(x) (also of a KnetArray); else a new array (np.array copies), in the
    # dtype asked for
    y_dot = float(x_dot) if isinstance(y, float) else np.array(x_dot, dtype=dtype, ndmin=ndmin)


@rule(np.exp, math.exp)
def exp(y, x):
    dx = dy * y
    y_dot = x_dot * y


@rule(np.log, math.log)
def log(y, x):
    dx = dy / x
    y_dot = x_dot / x


@rule(np.log1p, math.log1p)
def log1p(y, x):
    dx = dy / (1 + x)
    y_dot = x_dot / (1 + x)


@rule(np.expm1, math.expm1)
def expm1(y, x):
    dx = dy * (y + 1)
    y_dot = x_dot * (y + 1)


@rule(np.sqrt, math.sqrt)
def sqrt(y, x):
    dx = sqrt_grad(dy, y)
    y_dot = x_dot * 0.5 / y  # inf at x = 0, as sqrt_grad


@rule(np.square)
def square(y, x):
    dx = dy * 2 * x
    y_dot = x_dot * 2 * x


@rule(np.abs, np.absolute, builtins.abs, math.fabs)
def absolute(y, x):
    dx = dy * np.sign(x)
    y_dot = x_dot * np.sign(x)


@rule(np.tanh, math.tanh)
def tanh(y, x):
    dx = tanh_grad(dy, y)
    y_dot = x_dot * (1 - y * y)


@rule(np.sinh, math.sinh)
def sinh(y, x):
    dx = dy * np.cosh(x)
    y_dot = x_dot * np.cosh(x)


@rule(np.cosh, math.cosh)
def cosh(y, x):
    dx = dy * np.sinh(x)
    y_dot = x_dot * np.sinh(x)


@rule(np.sin, math.sin)
def sin(y, x):
    dx = dy * np.cos(x)
    y_dot = x_dot * np.cos(x)


@rule(np.cos, math.cos)
def cos(y, x):
    dx = -dy * np.sin(x)
    y_dot = -x_dot * np.sin(x)


@rule(np.tan, math.tan)
def tan(y, x):
    dx = dy * (1 + y * y)
    y_dot = x_dot * (1 + y * y)


@rule(np.arctan, math.atan)
def arctan(y, x):
    dx = dy / (1 + x * x)
    y_dot = x_dot / (1 + x * x)


@rule(np.arcsin, math.asin)
def arcsin(y, x):
    dx = dy / np.sqrt(1 - x * x)
    y_dot = x_dot / np.sqrt(1 - x * x)


@rule(np.arccos, math.acos)
def arccos(y, x):
    dx = -dy / np.sqrt(1 - x * x)
    y_dot = -x_dot / np.sqrt(1 - x * x)


@rule(np.maximum)
def maximum(y, a, b):
    da = unbroadcast(tie_grad(dy, a, b), a)
    db = unbroadcast(tie_grad(dy, b, a), b)
    # tie_grad's convention: a tie splits evenly (in the tangent's dtype: 0.5 * bool mask
    # would be float64)
    y_dot = (a_dot * (a > b) + 0.5 * a_dot * (a == b)
             + b_dot * (b > a) + 0.5 * b_dot * (a == b))


@rule(np.minimum)
def minimum(y, a, b):
    da = unbroadcast(tie_grad(dy, b, a), a)
    db = unbroadcast(tie_grad(dy, a, b), b)
    y_dot = (a_dot * (a < b) + 0.5 * a_dot * (a == b)
             + b_dot * (b < a) + 0.5 * b_dot * (a == b))


@rule(np.where)
def where(y, condition, a, b):
    da = where_grad(dy, condition, a, True)
    db = where_grad(dy, condition, b, False)
    y_dot = np.where(condition, a_dot, b_dot)


@rule(np.clip, ".clip")
def clip(y, x, a_min=None, a_max=None, out=None, *, min=None, max=None):
    dx = clip_grad(dy, x, a_min, a_max, min, max)
    da_min = clip_bound_grad(dy, x, a_min, True)
    da_max = clip_bound_grad(dy, x, a_max, False)
    dmin = clip_bound_grad(dy, x, min, True)
    dmax = clip_bound_grad(dy, x, max, False)
    # the adjoints' masks, applied to the tangents (x's term: clip_grad's; a bound's: where
    # x is beyond it, half where x is on it)
    y_dot = (clip_grad(x_dot, x, a_min, a_max, min, max)
             + tie_grad(a_min_dot, a_min, x) + tie_grad(a_max_dot, x, a_max)
             + tie_grad(min_dot, min, x) + tie_grad(max_dot, x, max))


@rule(".astype")
def astype(y, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    dx = astype_grad(dy, x, y)
    y_dot = astype_tangent(x_dot, y)  # in y's float dtype; zeros for an integer y


@rule(np.full)
def full(y, shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    dfill_value = unbroadcast(dy, fill_value)
    y_dot = np.full_like(y, fill_value_dot)  # y's shape and dtype


@rule(np.full_like)
def full_like(y, prototype, fill_value, dtype=None, order="K", subok=True, shape=None, *,
              device=None):
    dfill_value = unbroadcast(dy, fill_value)
    y_dot = np.full_like(y, fill_value_dot)


@rule(np.arange)
def arange(y, start, stop=None, step=None, dtype=None, *, device=None, like=None):
    dstart = arange_grad(dy, start, stop, step, "start")
    dstep = arange_grad(dy, start, stop, step, "step")
    # element k is start + k * step; np.arange(n) (no stop) starts at 0 whatever n is
    y_dot = (np.full_like(y, start_dot if stop != None else 0.0)  # noqa: E711
             + step_dot * np.arange(np.size(y), dtype=dtype))


@rule(nn.sigm)
def sigm(y, x):
    dx = sigm_grad(dy, y)
    y_dot = x_dot * y * (1 - y)


@rule(nn.relu)
def relu(y, x):
    dx = relu_grad(dy, y)
    y_dot = x_dot * (y > 0)


nondiff(
    np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf, np.isfinite,
    np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal,
    np.logical_and, np.logical_or, np.logical_not, np.zeros_like, np.ones_like,
    np.empty_like, int, bool, builtins.round, np.zeros, np.ones, np.empty, np.eye,
    np.identity, np.tri, np.indices, np.int8, np.int16, np.int32, np.int64, np.uint8,
    np.uint16, np.uint32, np.uint64, np.bool_, math.floor, math.ceil, math.trunc,
)
