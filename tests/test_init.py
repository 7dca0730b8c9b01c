"""Tests for knetc.init: shapes, dtypes, ranges, Knet's fan conventions and seeding."""
import math

import numpy as np
import pytest

import knetc
from knetc import init


def test_fans_follow_knet_in_our_layouts():
    assert init.fans((7,)) == (7, 1)
    assert init.fans((10, 784)) == (784, 10)             # out x in
    assert init.fans((20, 1, 5, 5)) == (25, 500)         # O x C x kh x kw
    assert init.fans((50, 20, 5, 5)) == (500, 1250)
    assert init.fans((8, 16, 3)) == (48, 24)             # 1-d convolution filters


@pytest.mark.parametrize("shape", [(10, 784), (20, 1, 5, 5), (50, 20, 5, 5), (30,)])
def test_xavier_range_and_dtype(shape):
    w = knetc.xavier(*shape, rng=np.random.default_rng(0))
    fan_in, fan_out = init.fans(shape)
    s = math.sqrt(6 / (fan_in + fan_out))
    assert w.shape == shape and w.dtype == np.float32
    assert np.all(np.abs(w) <= s)
    if w.size > 1000:
        assert np.abs(w).max() > 0.99 * s                 # fills the range
        assert abs(w.mean()) < 0.05 * s
    assert np.all(np.abs(knetc.xavier(*shape, gain=2.0)) <= 2 * s)


def test_gaussian_uniform_zeros_ones():
    rng = np.random.default_rng(0)
    g = knetc.gaussian(200, 300, rng=rng)
    assert g.dtype == np.float32 and abs(g.std() - 0.01) < 5e-4 and abs(g.mean()) < 5e-4
    g = knetc.gaussian(100, 100, std=2.0, mean=3.0, dtype=np.float64, rng=rng)
    assert g.dtype == np.float64 and abs(g.mean() - 3) < 0.1 and abs(g.std() - 2) < 0.1
    u = knetc.uniform(100, 100, rng=rng)
    assert u.dtype == np.float32 and -0.1 <= u.min() and u.max() < 0.1 and u.max() > 0.09
    u = knetc.uniform(50, low=2.0, high=3.0, dtype=np.float16, rng=rng)
    assert u.dtype == np.float16 and 2 <= u.min() and u.max() <= 3
    np.testing.assert_array_equal(init.zeros(2, 3), np.zeros((2, 3)))
    assert init.zeros(2, 3).dtype == np.float32
    assert init.ones((4, 1), dtype=np.float64).dtype == np.float64
    assert knetc.xavier((3, 4)).shape == (3, 4)           # one tuple works as well


def test_seed_and_rng_make_results_repeat():
    knetc.seed(42)
    a = [knetc.xavier(3, 4), knetc.gaussian(5), knetc.uniform(2, 2)]
    knetc.seed(42)
    b = [knetc.xavier(3, 4), knetc.gaussian(5), knetc.uniform(2, 2)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(knetc.xavier(3, 4), a[0])
    np.testing.assert_array_equal(knetc.xavier(3, 4, rng=np.random.default_rng(1)),
                                  knetc.xavier(3, 4, rng=np.random.default_rng(1)))
