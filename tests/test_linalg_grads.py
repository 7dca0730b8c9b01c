"""The matrix-product adjoints of knetc/runtime/linalg.py on the shapes where they choose
how to multiply (`_times_transpose`: b @ g.T transposed back for a few rows of g)."""
import numpy as np
import pytest

import knetc
from knetc.runtime import linalg


@pytest.mark.parametrize("m, n, k", [(8, 80, 130), (32, 64, 256), (2, 70, 128), (33, 80, 400),
                                     (8, 63, 130), (8, 80, 127), (1, 100, 300)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_times_transpose_is_g_at_b_transposed(m, n, k, dtype):
    rng = np.random.default_rng(m * n + k)
    g = rng.standard_normal((m, n)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    out = linalg._times_transpose(g, b)
    assert out.shape == (m, k) and out.dtype == dtype and out.flags.c_contiguous
    # a dot product of n terms is exact to about n * eps * sum(|g_i| |b_i|) (the order of the
    # sum differs between the two products), however small the result itself is
    bound = 10 * np.finfo(dtype).eps * n * (np.abs(g) @ np.abs(b).T)
    assert np.all(np.abs(out - g @ b.T) <= bound)


def batch_loss(w, x):
    return np.sum(np.tanh(x @ w[0]) @ w[1])


def test_gradient_through_the_turned_product_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 130))          # dx = g @ w0.T: 8 rows, turned
    w = [0.1 * rng.standard_normal((130, 80)), 0.1 * rng.standard_normal((80, 70))]
    knetc.check_grads(batch_loss, w, x, argnums=(0, 1))
