"""Adjoint helpers for matrix products."""
import numpy as np

from .broadcast import unbroadcast
from .deferred import pending_product


def matmul_grad_a(g, a, b):
    """Adjoint of `a @ b` with respect to a, for vectors, matrices and stacks of them."""
    if _matrices(a, b):
        if type(g) is np.ndarray and type(b) is np.ndarray:
            pending = pending_product(g.T, b.T)  # a sum of these can wait
            return _times_transpose(g, b) if pending is None else pending
        return g @ b.T
    a2, b2, g2 = _as_matrices(g, a, b)
    return np.reshape(unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2), np.shape(a))


def matmul_grad_b(g, a, b):
    """Adjoint of `a @ b` with respect to b."""
    if _matrices(a, b):
        if type(a) is np.ndarray and type(g) is np.ndarray:
            pending = pending_product(a, g)  # a sum of these can wait
            return a.T @ g if pending is None else pending
        return a.T @ g
    a2, b2, g2 = _as_matrices(g, a, b)
    return np.reshape(unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2), np.shape(b))


def _times_transpose(g, b):
    """g @ b.T for NumPy matrices. With a few rows in g (a batch of 2 to 32) against a b of
    128 rows or more, OpenBLAS makes this product 1.3-2x slower than b @ g.T transposed back
    (bench/README.md, fifth round), so that is what runs there. A single row is a
    matrix-vector product, as fast either way."""
    m, n = g.shape
    if 2 <= m <= 32 and n >= 64 and b.shape[0] >= 128 and g.dtype == b.dtype:
        return np.ascontiguousarray((b @ g.T).T)
    return g @ b.T


def _matrices(a, b):
    """Whether a and b are both 2-d (array attributes first: np.ndim costs a call)."""
    if getattr(a, "ndim", None) == 2 and getattr(b, "ndim", None) == 2:
        return True
    return np.ndim(a) == 2 and np.ndim(b) == 2


def _as_matrices(g, a, b):
    """a, b and g with vectors promoted to matrices the way `@` promotes them."""
    a2 = np.expand_dims(a, 0) if np.ndim(a) == 1 else a
    b2 = np.expand_dims(b, -1) if np.ndim(b) == 1 else b
    g2 = np.expand_dims(g, -1) if np.ndim(b) == 1 else g
    g2 = np.expand_dims(g2, -2) if np.ndim(a) == 1 else g2
    return a2, b2, g2


def dot_grad_a(g, a, b):
    """Adjoint of np.dot(a, b) with respect to a (scalars, vectors, matrices, N-d)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(b) <= 2:
        return matmul_grad_a(g, a, b)
    b_free = [k for k in range(np.ndim(b)) if k != np.ndim(b) - 2]
    g_free = list(range(np.ndim(a) - 1, np.ndim(g)))
    return np.tensordot(g, b, axes=(g_free, b_free))


def dot_grad_b(g, a, b):
    """Adjoint of np.dot(a, b) with respect to b."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(b) <= 2:
        return matmul_grad_b(g, a, b)
    a_free = list(range(np.ndim(a) - 1))
    out = np.tensordot(a, g, axes=(a_free, a_free))  # contracted axis first
    return np.moveaxis(out, 0, np.ndim(b) - 2)
