"""Grids and ranges with differentiated arguments: np.meshgrid and np.arange get the gradient
finite differences give; np.mgrid/np.ogrid with differentiated bounds are refused at the
user's line (issue 11: their index got no gradient, silently)."""
import inspect

import numpy as np
import pytest

import knetc
from knetc.errors import NoAdjointError

A = np.array([0.3, -0.7, 1.1])
B = np.array([0.5, 2.0])
C = np.array([1.0, 2.0, 3.0, 4.0])


def xy_pair(a, b, c):
    X, Y = np.meshgrid(a, b)
    return np.sum(np.sin(X * Y) * np.arange(6.0).reshape(2, 3))


def ij_three(a, b, c):
    X, Y, Z = np.meshgrid(a, b, c, indexing="ij")
    return np.sum(np.tanh(X + 2 * Y * Z) * np.arange(24.0).reshape(3, 2, 4))


def sparse_three(a, b, c):
    X, Y, Z = np.meshgrid(a, b, c, sparse=True)
    return np.sum(np.cos(X * Y - Z) * np.arange(24.0).reshape(2, 3, 4))


def indexed_result(a, b, c):
    g = np.meshgrid(a * 2.0, c)
    return np.sum(g[1] ** 2 * g[0])


def one_input(a, b, c):
    (X,) = np.meshgrid(a)
    return np.sum(X ** 3) + np.sum(b) * 0.0 + np.sum(c) * 0.0


def scalar_and_matrix(a, b, c):
    X, Y = np.meshgrid(a[0], np.outer(b, c))  # inputs are raveled
    return np.sum(X * np.exp(Y * 0.1))


def arange_start_step(a, b, c):
    return np.sum(np.arange(a[0], 5.0, b[0]) ** 2) + np.sum(np.arange(c[0] * 0.7, 3.0) * c[1])


CASES = [xy_pair, ij_three, sparse_three, indexed_result, one_input, scalar_and_matrix,
         arange_start_step]


@pytest.mark.parametrize("loss", CASES, ids=[f.__name__ for f in CASES])
def test_grid_gradients(loss):
    value, _ = knetc.value_and_grad(loss, argnums=(0, 1, 2))(A, B, C)
    np.testing.assert_allclose(value, loss(A, B, C), rtol=1e-12)
    knetc.check_grads(loss, A, B, C, argnums=(0, 1, 2))


def mgrid_bounds(x):
    return np.sum(np.mgrid[0.0:x:5j] ** 2)


def ogrid_bounds(x):
    a, b = np.ogrid[0.0:x:3j, 0.0:1.0:2j]
    return np.sum(a * b)


@pytest.mark.parametrize("loss, needle", [(mgrid_bounds, "np.mgrid"), (ogrid_bounds, "np.ogrid")])
def test_index_trick_grids_with_differentiated_bounds_are_refused(loss, needle):
    with pytest.raises(NoAdjointError, match="with differentiated bounds") as info:
        knetc.grad(loss)(0.7)
    lines, start = inspect.getsourcelines(loss)
    assert info.value.filename == __file__
    assert info.value.lineno == next(start + k for k, ln in enumerate(lines) if needle in ln)
    assert "np.linspace" in str(info.value)


def constant_grids(x):
    return np.sum(np.mgrid[0:3, 0:2] * x) + np.sum(np.indices((2, 3)) * x)


def test_constant_grids_still_work():
    assert knetc.grad(constant_grids)(0.7) == pytest.approx(9.0 + 9.0)
    knetc.check_grads(constant_grids, 0.7)
