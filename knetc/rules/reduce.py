"""Adjoints of reductions: sums, means, extrema, products, variances, logsumexp."""
import builtins

import numpy as np

from .. import nn
from . import RULES, nondiff, rule

# ruff: noqa: F821, F841


@rule(np.sum, ".sum")
def sum(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = unreduce(dy, x, axis, keepdims)
    y_dot = np.sum(x_dot, axis, keepdims=keepdims)


@rule(np.mean, ".mean")
def mean(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = unreduce(dy, x, axis, keepdims) * (np.size(y) / np.size(x))
    y_dot = np.mean(x_dot, axis, keepdims=keepdims)


@rule(np.max, np.amax, ".max", np.min, np.amin, ".min")
def max(y, x, axis=None, out=None, keepdims=False):
    dx = extremum_grad(dy, y, x, axis, keepdims)
    # Ties share the tangent equally, as they share the adjoint. The mask compares x with y
    # with the reduced axes kept.
    y_dot = np.sum(
        x_dot * (x == (y if keepdims or np.ndim(y) == 0 else np.expand_dims(y, axis))
                 ).astype(y.dtype), axis, keepdims=keepdims) \
        / np.sum((x == (y if keepdims or np.ndim(y) == 0 else np.expand_dims(y, axis))
                  ).astype(y.dtype), axis, keepdims=keepdims)


@rule(np.prod, ".prod")
def prod(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = prod_grad(dy, y, x, axis, keepdims)
    # The partials, as prod_grad: y / x, the product of the others at a lone zero, 0 at
    # zeros where there are more.
    y_dot = np.sum(x_dot * np.where(
        x == 0,
        np.where(np.sum(x == 0, axis, keepdims=True) == 1,
                 np.prod(np.where(x == 0, 1, x), axis, keepdims=True), 0),
        (y if keepdims or np.ndim(y) == 0 else np.expand_dims(y, axis))
        / np.where(x == 0, 1, x)),
        axis, keepdims=keepdims)


@rule(np.var, ".var")
def var(y, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    dx = var_grad(dy, x, axis, ddof, keepdims)
    y_dot = np.sum((x - np.mean(x, axis, keepdims=True)) * x_dot, axis, keepdims=keepdims) \
        * 2 / (np.size(x) / np.size(y) - ddof)


@rule(np.std, ".std")
def std(y, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    dx = std_grad(dy, y, x, axis, ddof, keepdims)
    # var's tangent / (2 y), and 0 where std_grad counts the spread as zero (within
    # 4 n eps max|x|, n the count of elements reduced)
    y_dot = np.where(y <= 4 * (np.size(x) / np.size(y)) * np.finfo(y.dtype).eps
                     * np.max(np.abs(x), axis, keepdims=keepdims), 0, np.sum(
        (x - np.mean(x, axis, keepdims=True)) * x_dot, axis, keepdims=keepdims)) \
        / np.where(y <= 4 * (np.size(x) / np.size(y)) * np.finfo(y.dtype).eps
                   * np.max(np.abs(x), axis, keepdims=keepdims), 1, y) \
        / (np.size(x) / np.size(y) - ddof)


@rule(builtins.sum)
def builtin_sum(y, items, start=0):
    ditems = sum_grad(dy, items)
    dstart = unbroadcast(dy, start)
    y_dot = sum(items_dot) + start_dot


@rule(nn.sumabs2)
def sumabs2(y, x):
    dx = dy * 2 * x
    y_dot = np.sum(x_dot * x) * 2


@rule(nn.logsumexp)
def logsumexp(y, x, axis=None, keepdims=False):
    dx = logsumexp_grad(dy, y, x, axis, keepdims)
    y_dot = np.sum(
        x_dot * np.exp(x - (y if keepdims or np.ndim(y) == 0 else np.expand_dims(y, axis))),
        axis, keepdims=keepdims)


nondiff(
    np.argmax, np.argmin, ".argmax", ".argmin", np.argsort, ".argsort", np.count_nonzero,
    np.all, np.any, ".all", ".any", builtins.len, np.shape, np.size, np.ndim, np.finfo,
)

# A forward template's names other than np and the runtime's helpers are read where the
# rule's namespace says (for built-in rules, which have none: in the user's module, where
# `sum` may be something else). builtin_sum's `sum` is the builtin.
RULES[builtins.sum].namespace = {"sum": builtins.sum}
