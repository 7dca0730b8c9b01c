"""Adjoints of matrix products."""
import numpy as np

from . import rule

# ruff: noqa: F821, F841


@rule(np.dot, ".dot")
def dot(y, a, b):
    da = dot_grad_a(dy, a, b)
    db = dot_grad_b(dy, a, b)
    y_dot = np.dot(a_dot, b) + np.dot(a, b_dot)


@rule("@", np.matmul)
def matmul(y, a, b):
    da = matmul_grad_a(dy, a, b)
    db = matmul_grad_b(dy, a, b)
    y_dot = a_dot @ b + a @ b_dot


@rule(np.outer)
def outer(y, a, b):
    da = np.reshape(dy @ np.ravel(b), np.shape(a))
    db = np.reshape(np.ravel(a) @ dy, np.shape(b))
    y_dot = np.outer(a_dot, b) + np.outer(a, b_dot)
