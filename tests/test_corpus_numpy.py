"""Corpus: NumPy elementwise functions, reductions, shape functions, integer pass-through."""
import numpy as np
import pytest

from corpus_util import case, distinct, positive, randn, run_case


def exp_log_family(x):
    # x > 0
    return np.sum(np.exp(x) + np.log(x) + np.log1p(x) + np.expm1(x))


def sqrt_square(x):
    # x > 0
    return np.sum(np.sqrt(x) * np.square(x))


def abs_weighted(x):
    # x away from 0
    return np.sum(np.abs(x) * x) + np.sum(np.abs(x - 10.0))


def hyperbolic(x):
    return np.sum(np.tanh(x) + np.sinh(x) * np.cosh(x))


def trigonometric(x):
    return np.sum(np.sin(x) * np.cos(x) + np.tan(0.3 * x) + np.arctan(x))


def maximum_minimum(x, y):
    # x and y never equal; x away from 0.1
    return np.sum(np.maximum(x, y) ** 2) + np.sum(np.minimum(x, 0.1) * y)


def maximum_zero_first(x):
    # the relu spelling np.maximum(0, x), constant first
    return np.sum(np.maximum(0, x) ** 2 + np.minimum(0.0, x))


def where_on_sign(x):
    return np.sum(np.where(x > 0, x ** 2, -3.0 * x))


def where_two_arrays(x, y):
    return np.sum(np.where(x > y, x * y, x + y))


def clip_values(x):
    # x away from +-0.5
    return np.sum(np.clip(x, -0.5, 0.5) ** 2 + x)


def sum_axes(x):
    a = np.sum(x, axis=0)
    b = np.sum(x, axis=1, keepdims=True)
    return np.sum(a ** 2) + np.sum(b * x) + np.sum(x, axis=(0, 1))


def mean_axes(x):
    return np.sum(np.mean(x, axis=0) ** 2) + np.sum(np.mean(x, axis=1, keepdims=True) * x) \
        + np.mean(x) ** 3


def max_reductions(x):
    # distinct values: no ties
    return np.sum(np.max(x, axis=0) ** 2) + np.max(x) + np.sum(np.max(x, axis=1, keepdims=True) * x)


def min_reductions(x):
    return np.sum(np.min(x, axis=1) ** 3) + np.min(x) * 2.0


def prod_reductions(x):
    # x away from 0
    return np.sum(np.prod(x, axis=0)) + np.prod(x) + np.sum(np.prod(x, axis=1, keepdims=True))


def var_std(x):
    return np.var(x) + np.sum(np.std(x, axis=0)) + np.sum(np.var(x, axis=1, keepdims=True))


def reduction_methods(x):
    a = x.sum(axis=0)
    b = x.mean(axis=1, keepdims=True)
    c = x.max(axis=1)
    d = x.min()
    e = x.std()
    f = x.var(axis=0)
    return np.sum(a * a) + np.sum(b * x) + c.sum() + d + e + f.mean() + x.sum()


def prod_method(x):
    return x.prod(axis=1).sum() + x.prod()


def reshape_transpose(x):
    # x: (3, 4)
    y = x.reshape(4, 3)
    z = np.reshape(x, (2, 6))
    return np.sum(np.tanh(y @ x)) + np.sum(z.T ** 3) + np.sum(np.transpose(x) * y)


def reshape_minus_one(x):
    v = x.reshape(-1)
    m = x.reshape((2, -1))
    return np.sum(v * np.arange(v.size)) + np.sum(m[0] * m[1])


def transpose_methods(x):
    # x: (2, 3, 4)
    a = x.transpose(2, 0, 1)
    b = np.transpose(x, (1, 0, 2))
    return np.sum(a[0] ** 2) + np.sum(b[0] * b[1]) + np.sum(x.T[1] ** 3)


def squeeze_expand_dims(x, v):
    # x: (3, 1, 4), v: (4,)
    s = np.squeeze(x, axis=1)
    e = np.expand_dims(v, 0)
    t = x.squeeze()
    return np.sum(s * e) + np.sum(np.expand_dims(t, axis=2) ** 2)


def broadcast_to_fn(v, W):
    # v: (4,), W: (3, 4)
    B = np.broadcast_to(v, (3, 4))
    return np.sum(B * W) + np.sum(np.broadcast_to(v[:, None], (4, 2)) ** 2)


def concatenate_stack(a, b):
    # a, b: (2, 3)
    c = np.concatenate([a, b], axis=0)
    d = np.concatenate((a, b), axis=1)
    h = np.hstack([a, b])
    v = np.vstack((a, b * 2.0))
    s = np.stack([a, b], axis=1)
    total = np.sum(c ** 2) + np.sum(d[:, 1:] * h[:, :-1])
    return total + np.sum(np.sin(v)) + np.sum(s[:, 0] * s[:, 1])


def split_fn(x):
    # x: (4, 6)
    top, bottom = np.split(x, 2, axis=0)
    left, mid, right = np.split(x, [1, 3], axis=1)
    return np.sum(top * bottom) + np.sum(left ** 2) + np.sum(mid) + np.sum(np.tanh(right))


def take_repeated(x):
    a = np.take(x, [0, 2, 2], axis=1)
    b = np.take(x, np.array([1, 1, 0]), axis=0)
    return np.sum(a ** 2) + np.sum(b * b[::-1])


def outer_product(u, v):
    return np.sum(np.outer(u, v) ** 2) + np.sum(np.outer(u, u) * 0.5)


def argmax_selects_row(x):
    # random row sums are distinct: argmax is locally constant
    best = np.argmax(np.sum(x, axis=1))
    return np.sum(x[best] ** 2) + np.sum(x)


def argmax_along_axis(x):
    idx = np.argmax(x, axis=0)
    cols = np.arange(x.shape[1])
    return np.sum(x[idx, cols] ** 2)


def shape_and_len(x):
    n = x.shape[0]
    m = len(x[0])
    rows, cols = x.shape
    return np.sum(x ** 2) / (n * m) + np.sum(x) / (rows + cols)


def comparison_mask(x):
    mask = (x > 0).astype(float)
    keep = (x < 1.0).astype(int)
    return np.sum(mask * x ** 2) + np.sum(keep * x)


def count_positive(x):
    n_pos = int(np.sum(x > 0))
    return np.sum(x ** 2) / n_pos + float(x.size)


def size_ndim_passthrough(x):
    scale = 1.0 / x.size + x.ndim
    return scale * np.sum(np.exp(x))


def negative_and_positional_axes(x):
    # x: (2, 3, 4)
    a = np.sum(x, axis=-1)
    b = np.mean(x, axis=(0, 2))
    c = np.max(x, axis=-1, keepdims=True)
    d = x.sum(1)
    return np.sum(a ** 2) + np.sum(b) + np.sum(c * x) + np.sum(np.sin(d))


def where_scalar_branch(x, y):
    # x away from 0.2; a Python float in one branch
    return np.sum(np.where(x > 0.2, y * x, 0.0)) + np.sum(np.where(y < 0, 1.0, y ** 2))


def dot_method(x, y):
    # x: (3, 2), y: (3, 4)
    return np.sum(x.T.dot(y) ** 2) + x[:, 0].dot(y[:, 1])


def stable_logsumexp_by_hand(x):
    # distinct values: the max is unique
    m = np.max(x)
    return np.log(np.sum(np.exp(x - m))) + m


def stable_softmax_by_hand(x, y):
    z = x - np.max(x, axis=0, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=0, keepdims=True)
    return -np.sum(y * np.log(p))


def methods_on_expressions(x):
    return np.exp(x).sum(axis=0).max() + (x ** 2).mean() + (x * 2.0).T.sum(axis=1).std()


def flatten_ravel_clip_methods(x):
    f = x.flatten()
    r = np.ravel(x)
    c = x.clip(-0.5, 0.5)
    return np.sum(f * r[::-1]) + np.sum(c ** 2) + np.sum(x.ravel() ** 3)


def builtin_abs(x):
    return np.sum(abs(x) * x) + abs(np.sum(x ** 3))


def builtin_max_min(x):
    # Python builtins max/min on scalars computed from x
    m = max(np.max(x), 0.1)
    n = min(np.sum(x ** 2), 100.0)
    return m + n + max(1.0, np.sum(np.exp(x)))


def concatenate_three_negative_axis(a, b, c):
    z = np.concatenate([a, b, c], axis=-1)
    return np.sum(np.tanh(z) * np.arange(z.shape[-1]))


ROWS = [
    case(exp_log_family, lambda r: (positive(r, 2, 3),)),
    case(sqrt_square, lambda r: (positive(r, 4),)),
    case(abs_weighted, lambda r: (distinct(r, 2, 3),)),
    case(hyperbolic, lambda r: (randn(r, 3),)),
    case(trigonometric, lambda r: (randn(r, 2, 2),)),
    case(maximum_minimum, lambda r: (distinct(r, 3, 4) + 0.05, distinct(r, 3, 4)), (0, 1)),
    case(maximum_zero_first, lambda r: (distinct(r, 5),)),
    case(where_on_sign, lambda r: (distinct(r, 2, 3),)),
    case(where_two_arrays, lambda r: (distinct(r, 4) + 0.05, distinct(r, 4)), (0, 1)),
    case(clip_values, lambda r: (distinct(r, 3, 3, gap=0.35) + 0.02,)),
    case(sum_axes, lambda r: (randn(r, 3, 4),)),
    case(mean_axes, lambda r: (randn(r, 3, 2),)),
    case(max_reductions, lambda r: (distinct(r, 3, 4),)),
    case(min_reductions, lambda r: (distinct(r, 3, 4),)),
    case(prod_reductions, lambda r: (distinct(r, 2, 3),)),
    case(var_std, lambda r: (randn(r, 4, 3),)),
    case(reduction_methods, lambda r: (distinct(r, 3, 4),)),
    case(prod_method, lambda r: (distinct(r, 3, 2),)),
    case(reshape_transpose, lambda r: (randn(r, 3, 4),)),
    case(reshape_minus_one, lambda r: (randn(r, 2, 3),)),
    case(transpose_methods, lambda r: (randn(r, 2, 3, 4),)),
    case(squeeze_expand_dims, lambda r: (randn(r, 3, 1, 4), randn(r, 4)), (0, 1)),
    case(broadcast_to_fn, lambda r: (randn(r, 4), randn(r, 3, 4)), (0, 1)),
    case(concatenate_stack, lambda r: (randn(r, 2, 3), randn(r, 2, 3)), (0, 1)),
    case(split_fn, lambda r: (randn(r, 4, 6),)),
    case(take_repeated, lambda r: (randn(r, 3, 4),)),
    case(outer_product, lambda r: (randn(r, 3), randn(r, 4)), (0, 1)),
    case(argmax_selects_row, lambda r: (randn(r, 3, 2),)),
    case(argmax_along_axis, lambda r: (distinct(r, 3, 4),)),
    case(shape_and_len, lambda r: (randn(r, 3, 4),)),
    case(comparison_mask, lambda r: (distinct(r, 3, 4) + 0.05,)),
    case(count_positive, lambda r: (distinct(r, 2, 5),)),
    case(size_ndim_passthrough, lambda r: (randn(r, 2, 3),)),
    case(negative_and_positional_axes, lambda r: (distinct(r, 2, 3, 4),)),
    case(where_scalar_branch, lambda r: (distinct(r, 3, 3) + 0.01, distinct(r, 3, 3) + 0.01),
         (0, 1)),
    case(dot_method, lambda r: (randn(r, 3, 2), randn(r, 3, 4)), (0, 1)),
    case(stable_logsumexp_by_hand, lambda r: (distinct(r, 5),)),
    case(stable_softmax_by_hand, lambda r: (distinct(r, 3, 4), positive(r, 3, 4))),
    case(methods_on_expressions, lambda r: (distinct(r, 3, 4, gap=0.2),)),
    case(flatten_ravel_clip_methods, lambda r: (distinct(r, 2, 3, gap=0.35) + 0.02,)),
    case(builtin_abs, lambda r: (distinct(r, 2, 3),)),
    case(builtin_max_min, lambda r: (distinct(r, 2, 3),)),
    case(concatenate_three_negative_axis,
         lambda r: (randn(r, 2, 1), randn(r, 2, 3), randn(r, 2, 2)), (0, 1, 2)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_numpy_program(request, f, build, argnums):
    run_case(request, f, build, argnums)
