"""Corpus: indexing and slicing (basic, negative, integer, fancy, boolean, list params)."""
import numpy as np
import pytest

from corpus_util import case, distinct, randn, run_case


def basic_slices(x):
    # x: (5,)
    return np.sum(x[1:3] ** 2) + np.sum(x[:2] * x[-2:]) + np.sum(x[3:])


def negative_indices(x):
    # x: (5,)
    return x[-1] * x[0] + x[-2] ** 2 - x[-5]


def column_slice(x):
    # x: (3, 4)
    return np.sum(x[:, 1:3] ** 2) + np.sum(x[1:, :] * x[:-1, :])


def integer_row_and_column(x):
    return np.sum(x[1] * x[2]) + np.sum(x[:, 0] ** 3)


def scalar_element(x):
    return x[1, 2] * x[0, 0] + x[2][1] ** 2


def step_and_reverse(x):
    # x: (6,)
    return np.sum(x[::2] * x[1::2]) + np.sum(x[::-1] * np.arange(6)) + np.sum(x[4:0:-2] ** 2)


def mixed_int_and_slice(x):
    return np.sum(x[0, 1:] ** 2) + np.sum(x[1:, -1] * 3.0)


def newaxis_outer(u, v):
    return np.sum(np.tanh(u[:, None] * v[None, :])) + np.sum(u[np.newaxis, :] ** 2)


def ellipsis_index(x):
    # x: (2, 3, 4)
    return np.sum(x[..., 0] ** 2) + np.sum(x[0, ...] * x[1, ...])


def fancy_repeated(x):
    idx = np.array([0, 2, 2, 1, 0, 2])
    return np.sum(x[idx] ** 2)


def fancy_list_index(x):
    return np.sum(np.sin(x[[1, 1, 3]]))


def fancy_rows_cols(x):
    rows = np.array([0, 1, 1, 2])
    cols = np.array([2, 0, 0, 1])
    return np.sum(x[rows, cols] ** 2)


def embedding_lookup(E, tokens):
    # E: (vocab, dim); tokens repeat
    h = E[tokens]
    return np.sum(np.tanh(h) * np.arange(h.shape[1]))


def fancy_columns(x):
    cols = [3, 0, 3]
    return np.sum(x[:, cols] ** 2)


def boolean_mask_self(x):
    return np.sum(x[x > 0] ** 2) - np.sum(x[x < 0])


def boolean_mask_other(x, y):
    mask = x > 0
    return np.sum(y[mask] * 2.0) + np.sum(np.exp(x[mask]))


def last_layer_list(w):
    return np.sum(w[-1] ** 2) + np.sum(w[0] * w[1])


def list_param_negative_index(w, x):
    h = np.tanh(w[0] @ x + w[1])
    return np.sum(w[-2] @ h + w[-1])


def index_of_index(x):
    row = x[2]
    return row[0] * row[-1] + np.sum(row[1:3] ** 2)


def chained_slices(x):
    # x: (4, 5)
    return np.sum(x[1:][:, 2:] ** 2) + np.sum(x[:3][1][1:] * 0.5)


def sliding_window(x, k):
    # 1-d convolution written with variable slice bounds; x: (6,), k: (3,)
    total = 0.0
    for i in range(len(x) - 2):
        total = total + np.tanh(np.sum(x[i:i + 3] * k))
    return total


def reverse_loop_index(x):
    total = 0.0
    for i in range(len(x) - 1, 0, -1):
        total = total + x[i] * x[i - 1] ** 2
    return total


def mask_argument(x, mask):
    # mask: a boolean array argument
    return np.sum(x[mask] ** 2) + np.sum(np.where(mask, x, -x))


def index_argument(x, idx):
    # idx: an integer array argument with repeats
    return np.sum(np.sin(x[idx]) * x[idx])


ROWS = [
    case(basic_slices, lambda r: (randn(r, 5),)),
    case(negative_indices, lambda r: (randn(r, 5),)),
    case(column_slice, lambda r: (randn(r, 3, 4),)),
    case(integer_row_and_column, lambda r: (randn(r, 3, 4),)),
    case(scalar_element, lambda r: (randn(r, 3, 3),)),
    case(step_and_reverse, lambda r: (randn(r, 6),)),
    case(mixed_int_and_slice, lambda r: (randn(r, 3, 4),)),
    case(newaxis_outer, lambda r: (randn(r, 3), randn(r, 4)), (0, 1)),
    case(ellipsis_index, lambda r: (randn(r, 2, 3, 4),)),
    case(fancy_repeated, lambda r: (randn(r, 4, 2),)),
    case(fancy_list_index, lambda r: (randn(r, 5),)),
    case(fancy_rows_cols, lambda r: (randn(r, 3, 3),)),
    case(embedding_lookup, lambda r: (randn(r, 5, 3), np.array([1, 3, 1, 0, 1]))),
    case(fancy_columns, lambda r: (randn(r, 2, 4),)),
    case(boolean_mask_self, lambda r: (distinct(r, 3, 4),)),
    case(boolean_mask_other, lambda r: (distinct(r, 3, 4), randn(r, 3, 4)), (0, 1)),
    case(last_layer_list, lambda r: ([randn(r, 2, 3), randn(r, 2, 3), randn(r, 4)],)),
    case(list_param_negative_index,
         lambda r: ([randn(r, 4, 3), randn(r, 4, 1), randn(r, 2, 4), randn(r, 2, 1)],
                    randn(r, 3, 5))),
    case(index_of_index, lambda r: (randn(r, 3, 4),)),
    case(chained_slices, lambda r: (randn(r, 4, 5),)),
    case(sliding_window, lambda r: (randn(r, 6), randn(r, 3)), (0, 1)),
    case(reverse_loop_index, lambda r: (randn(r, 5),)),
    case(mask_argument, lambda r: (randn(r, 3, 4), np.array([[True, False, True, True],
                                                             [False, False, True, False],
                                                             [True, True, False, True]]))),
    case(index_argument, lambda r: (randn(r, 5), np.array([4, 0, 4, 2, 4]))),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_index_program(request, f, build, argnums):
    run_case(request, f, build, argnums)
