"""User functions that the corpus programs import from another module.

Each is plain NumPy code that knetc must read and differentiate from this file; some call
each other, use their own module's constants, loop, branch or mutate a list.
"""
import numpy as np

import knetc

SHIFT = 0.25                       # a module constant read by `shifted_square`
BASIS = np.array([[1.0, -0.5, 0.25],
                  [0.5, 2.0, -1.0]])  # a module-level array read by `project`


def affine(W, b, x):
    return W @ x + b


def squash(x, gain=1.0):
    return np.tanh(gain * x)


def layer(W, b, x, gain=1.0):
    """Calls two other functions of this module."""
    return squash(affine(W, b, x), gain=gain)


def shifted_square(x):
    return np.sum((x - SHIFT) ** 2)


def project(x):
    # x: (3, n)
    return BASIS @ x


def moments(x):
    """Two results, unpacked by the caller."""
    return np.mean(x), np.mean(x ** 2)


def power_sum(x, n):
    """A loop of its own; n is an int."""
    total = 0.0
    for k in range(1, n + 1):
        total = total + np.sum(x ** k) / k
    return total


def signed_energy(x):
    """A branch of its own."""
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return -np.sum(np.sin(x))


def push_scaled(acc, x, scale):
    """Mutates `acc` (a list) in place and returns nothing differentiable of its own."""
    acc.append(scale * x)
    return len(acc)


def set_first(s, value):
    s[0] = value
    return 0.0


def soft(x):
    return knetc.softmax(x, axis=0)


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@knetc.primitive
def softplus_h(x):
    """A primitive defined in this module, with its rule below using a helper of this module."""
    return np.log1p(np.exp(x))


def softplus_h_adjoint(y, x):
    """The rule of softplus_h; tests register it with knetc.adjoint(softplus_h) while they
    need it (knetc's own rule table tests expect only knetc's rules there otherwise)."""
    dx = dy * logistic(x)  # noqa: F821, F841 (a rule template: dy in, dx out)
