"""Adjoints of reductions: sums, means, extrema, products, variances, logsumexp."""
import builtins

import numpy as np

from .. import nn
from . import nondiff, rule

# ruff: noqa: F821, F841


@rule(np.sum, ".sum")
def sum(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = unreduce(dy, x, axis, keepdims)
    y_dot = np.sum(x_dot, axis, keepdims=keepdims)


@rule(np.mean, ".mean")
def mean(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = unreduce(dy, x, axis, keepdims) * (np.size(y) / np.size(x))


@rule(np.max, np.amax, ".max", np.min, np.amin, ".min")
def max(y, x, axis=None, out=None, keepdims=False):
    dx = extremum_grad(dy, y, x, axis, keepdims)


@rule(np.prod, ".prod")
def prod(y, x, axis=None, dtype=None, out=None, keepdims=False):
    dx = prod_grad(dy, y, x, axis, keepdims)


@rule(np.var, ".var")
def var(y, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    dx = var_grad(dy, x, axis, ddof, keepdims)


@rule(np.std, ".std")
def std(y, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    dx = std_grad(dy, y, x, axis, ddof, keepdims)


@rule(builtins.sum)
def builtin_sum(y, items, start=0):
    ditems = sum_grad(dy, items)
    dstart = unbroadcast(dy, start)


@rule(nn.sumabs2)
def sumabs2(y, x):
    dx = dy * 2 * x


@rule(nn.logsumexp)
def logsumexp(y, x, axis=None, keepdims=False):
    dx = logsumexp_grad(dy, y, x, axis, keepdims)


nondiff(
    np.argmax, np.argmin, ".argmax", ".argmin", np.argsort, ".argsort", np.count_nonzero,
    np.all, np.any, ".all", ".any", builtins.len, np.shape, np.size, np.ndim,
)
