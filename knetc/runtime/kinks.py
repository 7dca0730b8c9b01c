"""Adjoint helpers for rules whose plain formula divides by zero or multiplies 0 by inf at
some point (x ** y at x = 0, sqrt at 0, ties of maximum/minimum): each gives there the limit
JAX gives, without a NumPy warning (README, "Derivatives at kinks and zeros")."""
import numpy as np

from ..cuda.array import KnetArray


def power_base_grad(g, a, b):
    """g * d(a ** b)/da: b * a ** (b - 1), and 0 where b == 0 (also at a = 0, where the plain
    formula is 0 * inf); inf at a = 0 for 0 < b < 1, as JAX and autograd give."""
    if (type(b) is int or type(b) is float) and b >= 1:
        return g * b * a ** (b - 1)  # x ** 2 and friends: finite everywhere, no test needed
    with np.errstate(divide="ignore"):
        return g * b * np.power(a, np.where(b == 0, 1, b - 1))


def power_exponent_grad(g, y, a):
    """g * d(a ** b)/db = g * a ** b * log(a), with log(a) read as 0 at a = 0: 0 ** b is
    constant (0) in b > 0, where the plain formula gives 0 * -inf."""
    return g * y * np.log(np.where(a == 0, 1, a))


def sqrt_grad(g, y):
    """g * 0.5 / sqrt(x): inf at x = 0 (the one-sided limit, as JAX), without a warning."""
    with np.errstate(divide="ignore"):  # (no effect on a KnetArray, which never warns)
        return g * 0.5 / y


def tie_grad(g, winner, other):
    """g where `winner` is strictly chosen over `other` by maximum/minimum, g / 2 at a tie,
    0 elsewhere: ties split evenly, as JAX and autograd do (and as np.max does). In g's
    dtype (a float32 g stays float32), and linear in g: forward mode applies it to tangents."""
    if isinstance(g, KnetArray) or isinstance(winner, KnetArray) or isinstance(other, KnetArray):
        return np.where(winner == other, 0.5 * g, np.where(winner > other, g, 0))
    out = g * (winner > other)  # (not g * (mask + 0.5 * tie): 0.5 * a bool array is float64)
    tie = winner == other
    if np.any(tie):  # ties are rare: most calls skip the half weights
        out = out + (0.5 * g) * tie
    return out
