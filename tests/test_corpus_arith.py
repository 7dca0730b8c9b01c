"""Corpus: arithmetic, broadcasting, matmul, assignment forms."""
import numpy as np
import pytest

from corpus_util import case, positive, randn, run_case


def add_row_vector(x, b):
    # (3, 4) matrix plus a (4,) row vector
    return np.sum((x + b) ** 2)


def add_column_vector(x, c):
    # (3, 4) matrix plus a (3, 1) column vector
    z = c + x
    return np.sum(z * z * 0.5)


def sub_mul_broadcast(x, r, c):
    return np.sum((x - r) * c)


def scalar_plus_array(x):
    y = 2.0 + x
    z = x - 0.5
    return np.sum(y * z) + 3.0


def float_constants_both_sides(x):
    a = 3.0 * x - x / 4.0
    b = 1.0 / (2.0 + x ** 2)
    c = 1.5 - x * 2.0
    return np.sum(a * b) + np.sum(c ** 2)


def zero_d_array(x, s):
    # s is a 0-d array
    return np.sum(np.sin(x * s)) + s ** 2


def python_float_param(x, a):
    return np.sum(a * x ** 2) + a ** 3 - 2.0 * a


def powers(x):
    # x > 0
    return np.sum(x ** 3) + np.sum(x ** 2.5) + np.sum(2.0 ** x) + np.sum(x ** -1)


def power_of_arrays(x, p):
    # x > 0: array ** array
    return np.sum(x ** p)


def division(x, y):
    # y away from 0
    return np.sum(x / y) + np.sum(1.0 / y) - np.sum(y / 3.0)


def unary_minus(x):
    y = -x
    return -np.sum(y * -x + (-y) ** 3)


def matmul_matrix_matrix(A, B):
    return np.sum(np.tanh(A @ B))


def np_matmul_matrix_vector(A, v):
    return np.sum(np.matmul(A, v) ** 2)


def np_dot_vector_vector(u, v):
    return np.dot(u, v) * np.dot(u, u)


def np_dot_matrix_matrix(A, B):
    C = np.dot(A, B)
    return np.sum(C * A)


def vector_matmul_matrix(v, A):
    return np.sum(np.sin(v @ A))


def quadratic_form(A, x):
    return x @ A @ x


def linear_mse(w, x, y):
    return np.mean((x @ w - y) ** 2)


def chained_expression(x, y):
    return np.sum((x * y + x / (1.0 + y ** 2) - 3.0 * x + y) ** 2) / x.size


def augassign_total(x):
    total = 0.0
    total += np.sum(x ** 2)
    total += np.sum(np.sin(x))
    total -= 0.5 * np.sum(x)
    total *= 2.0
    total /= 3.0
    return total


def augassign_array(x):
    h = x * 1.5
    h *= 2.0
    h += x ** 2
    h -= 0.5 * x
    h /= 1.0 + x ** 2
    return np.sum(h ** 2)


def augassign_matmul(W, x):
    h = W @ x
    h *= 2
    h += 1.0
    return np.sum(np.tanh(h))


def reuse_cube(x):
    return np.sum(x * x * x)


def reuse_many_times(x):
    y = x * 2.0
    return np.sum(y * y + y * x + x * y * y - x)


def reassign_same_name(x):
    x = x * 2
    x = np.sin(x)
    x = x + x * x
    return np.sum(x)


def tuple_unpacking(x):
    a, b = x * 2, x + 1
    return np.sum(a * b)


def tuple_swap(x, y):
    a, b = x, y
    a, b = b * a, a + b
    return np.sum(a * b ** 2)


def tuple_unpack_from_tuple(x):
    pair = (x ** 2, np.cos(x))
    p, q = pair
    return np.sum(p * q)


def scalar_division_of_sums(x, y):
    return np.sum(x * y) / np.sum(y ** 2)


def int_constant_arith(x):
    n = 3
    return np.sum(n * x ** 2 + x / n - 1) / (2 * n)


def numpy_constants(x):
    return np.sum(np.sin(np.pi * x) + np.e * x ** 2) / np.sqrt(2 * np.pi)


def python_float_only(a):
    # the differentiated argument and the result are plain Python floats
    return a ** 2 + 3.0 * a - 1.0 / a


def zero_d_only(s):
    # a 0-d array in, a 0-d array out
    return np.sin(s) * s + s ** 3


def batched_matmul(A, B):
    # a stack of matrices: (2, 3, 4) @ (2, 4, 2)
    return np.sum(np.tanh(A @ B)) + np.sum(np.matmul(A, B) ** 2)


def transpose_in_matmul(X, W):
    # X: (n, d), W: (k, d)
    return np.sum((X @ W.T) ** 2) + np.sum(W @ X.T @ X)


def alias_then_rebind(x):
    y = x
    y = y * 2.0
    z = y
    return np.sum(x * y * z)


def overwrite_after_use(x):
    h = np.tanh(x)
    out = h * 2.0
    h = h ** 2
    out = out * h
    h = np.exp(h)
    return np.sum(out * h)


def pair_recurrence(a, b):
    for _ in range(4):
        a, b = b, a * b + 0.1
    return np.sum(a + b)


def user_names_like_adjoints(x, dx):
    # user variables named like knetc's adjoints (dx, dy) and temporaries (add, steps)
    dy = x[1:] - x[:-1]
    add = dy ** 2 + dx
    steps = 2
    return np.sum(add) * steps + np.sum(dx * x[1:])


def user_names_like_helpers(x):
    seed_grad = x * 2.0
    finalize_grad = np.sin(seed_grad)
    mul = finalize_grad * x
    sum_2 = np.sum(mul)
    return sum_2


def int_power_negative_base(x):
    # x has negative entries: the rule for a constant exponent must not take log(x)
    return np.sum(x ** 3) + np.sum(x ** 2) + np.sum(x ** -2)


def power_at_zero(x):
    # x contains an exact 0.0, where x ** 2 and x ** 3 are smooth
    return np.sum(x ** 2) + np.sum(x ** 3) + np.sum(x * x)


def many_broadcasts(x, a, b, c, d):
    # x: (3, 4); a: (1, 4); b: (3, 1); c: (1, 1); d: (1,)
    return np.sum((x + a) * b - c * x + d)


def leading_dim_broadcast(v, Y):
    # v: (4,), Y: (2, 3, 4)
    return np.sum(np.tanh(Y * v) + v)


def root_mean_square(x):
    return np.mean(x ** 2) ** 0.5


def gaussian_bump(x):
    return np.sum(np.exp(-x ** 2 / 2.0)) - np.sum(-x ** 2)


def manual_sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return np.sum(s * (1 - s))


def chained_assignment(x):
    a = b = x * 2.0
    a = a + 1.0
    return np.sum(a * b)


def tuple_value_indexed(x, y):
    t = (x, y * 2.0)
    return np.sum(t[0] * t[1]) + np.sum(t[-1])


ROWS = [
    case(add_row_vector, lambda r: (randn(r, 3, 4), randn(r, 4)), (0, 1)),
    case(add_column_vector, lambda r: (randn(r, 3, 4), randn(r, 3, 1)), (0, 1)),
    case(sub_mul_broadcast, lambda r: (randn(r, 3, 4), randn(r, 1, 4), randn(r, 3, 1)),
         (0, 1, 2)),
    case(scalar_plus_array, lambda r: (randn(r, 2, 3),)),
    case(float_constants_both_sides, lambda r: (randn(r, 4),)),
    case(zero_d_array, lambda r: (randn(r, 3), np.array(0.7)), (0, 1)),
    case(python_float_param, lambda r: (randn(r, 3, 2), 0.8), (0, 1)),
    case(powers, lambda r: (positive(r, 2, 3),)),
    case(power_of_arrays, lambda r: (positive(r, 3, 2), randn(r, 3, 2)), (0, 1)),
    case(division, lambda r: (randn(r, 4), randn(r, 4, margin=0.5)), (0, 1)),
    case(unary_minus, lambda r: (randn(r, 5),)),
    case(matmul_matrix_matrix, lambda r: (randn(r, 2, 3), randn(r, 3, 4)), (0, 1)),
    case(np_matmul_matrix_vector, lambda r: (randn(r, 3, 4), randn(r, 4)), (0, 1)),
    case(np_dot_vector_vector, lambda r: (randn(r, 4), randn(r, 4)), (0, 1)),
    case(np_dot_matrix_matrix, lambda r: (randn(r, 3, 3), randn(r, 3, 3)), (0, 1)),
    case(vector_matmul_matrix, lambda r: (randn(r, 3), randn(r, 3, 4)), (0, 1)),
    case(quadratic_form, lambda r: (randn(r, 3, 3), randn(r, 3)), (0, 1)),
    case(linear_mse, lambda r: (randn(r, 3), randn(r, 5, 3), randn(r, 5)), (0, 1)),
    case(chained_expression, lambda r: (randn(r, 2, 3), randn(r, 2, 3)), (0, 1)),
    case(augassign_total, lambda r: (randn(r, 3, 2),)),
    case(augassign_array, lambda r: (randn(r, 4),)),
    case(augassign_matmul, lambda r: (randn(r, 3, 4), randn(r, 4, 2)), (0, 1)),
    case(reuse_cube, lambda r: (randn(r, 5),)),
    case(reuse_many_times, lambda r: (randn(r, 2, 2),)),
    case(reassign_same_name, lambda r: (randn(r, 3),)),
    case(tuple_unpacking, lambda r: (randn(r, 4),)),
    case(tuple_swap, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(tuple_unpack_from_tuple, lambda r: (randn(r, 3),)),
    case(scalar_division_of_sums, lambda r: (randn(r, 4), randn(r, 4)), (0, 1)),
    case(int_constant_arith, lambda r: (randn(r, 2, 3),)),
    case(numpy_constants, lambda r: (randn(r, 3),)),
    case(python_float_only, lambda r: (1.3,)),
    case(zero_d_only, lambda r: (np.array(0.4),)),
    case(batched_matmul, lambda r: (randn(r, 2, 3, 4), randn(r, 2, 4, 2)), (0, 1)),
    case(alias_then_rebind, lambda r: (randn(r, 3),)),
    case(overwrite_after_use, lambda r: (randn(r, 4),)),
    case(pair_recurrence, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
    case(user_names_like_adjoints, lambda r: (randn(r, 4), randn(r, 3)), (0, 1)),
    case(user_names_like_helpers, lambda r: (randn(r, 3),)),
    case(transpose_in_matmul, lambda r: (randn(r, 5, 3), randn(r, 2, 3)), (0, 1)),
    case(int_power_negative_base, lambda r: (randn(r, 4, margin=0.3),)),
    case(power_at_zero, lambda r: (np.array([0.0, -0.7, 1.2]),)),
    case(many_broadcasts, lambda r: (randn(r, 3, 4), randn(r, 1, 4), randn(r, 3, 1),
                                     randn(r, 1, 1), randn(r, 1)), (0, 1, 2, 3, 4)),
    case(leading_dim_broadcast, lambda r: (randn(r, 4), randn(r, 2, 3, 4)), (0, 1)),
    case(root_mean_square, lambda r: (randn(r, 5),)),
    case(gaussian_bump, lambda r: (randn(r, 4),)),
    case(manual_sigmoid, lambda r: (randn(r, 2, 3),)),
    case(chained_assignment, lambda r: (randn(r, 3),)),
    case(tuple_value_indexed, lambda r: (randn(r, 3), randn(r, 3)), (0, 1)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_arith_program(request, f, build, argnums):
    run_case(request, f, build, argnums)
