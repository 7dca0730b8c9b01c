"""Knet's dropout, and the switches it follows: training mode and knetc's random generator.

``dropout(x, p)`` is an ordinary function, ``x * dropout_mask(x, p)``, that knetc
differentiates from its source like a user function.
``dropout_mask`` draws the random mask, already scaled by ``1/(1-p)``, and is registered as
non-differentiable (its result is a constant to differentiation). The adjoint of the
multiplication then reuses the very mask the forward pass drew, saved by the generated code
like any other operand, so no randomness is replayed and zeros in ``x`` are no special case
(an adjoint rebuilt from ``y != 0`` would lose the gradient wherever ``x`` itself is 0).

* ``knetc.training(True)`` / ``knetc.training(False)`` sets the module-level training flag
  (default False, so dropout is the identity at evaluation time); ``with knetc.training():``
  turns it on for a block and restores the previous value after. ``knetc.is_training()`` reads
  it. The flag is process-wide, not per thread. ``dropout(x, p, training=True)`` overrides it
  for one call.
* ``knetc.seed(n)`` reseeds knetc's own ``np.random.Generator``, from which every mask is
  drawn: the same seed and the same sequence of calls give the same masks. ``dropout(x, p,
  seed=n)`` draws from a fresh generator seeded with ``n`` instead, for one call.
"""
import numpy as np

from .cuda.array import KnetArray
from .nn import _floating

_TRAINING = False
_RNG = np.random.default_rng()


class _TrainingMode:
    """What knetc.training returns: restores the previous mode when used with `with`."""

    def __init__(self, previous):
        self.previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _TRAINING
        _TRAINING = self.previous
        return False


def training(mode=True):
    """Turn training mode (dropout active) on or off; usable as a context manager.

        knetc.training(True)          # from now on, dropout drops
        with knetc.training(False):   # evaluation inside the block, previous mode after
            ...

    The default, before any call, is False: dropout is the identity.
    """
    global _TRAINING
    previous = _TRAINING
    _TRAINING = bool(mode)
    return _TrainingMode(previous)


def is_training():
    """Whether training mode (set by knetc.training) is on."""
    return _TRAINING


def seed(n=None):
    """Reseed the generator knetc draws dropout masks from (None: fresh OS entropy)."""
    global _RNG
    _RNG = np.random.default_rng(n)


def dropout_mask(x, p, training=None, seed=None):
    """The scale dropout multiplies x by: 0 with probability p, else 1/(1-p), shaped like x
    and of its dtype; the scalar 1 when not training (or p == 0). Not differentiated.

    Args:
        x: the array to drop elements of (only its shape and dtype are used).
        p: drop probability in [0, 1].
        training: None to follow knetc.training, or True/False for this call.
        seed: None to draw from knetc's generator (see knetc.seed), or an int for a fresh
            generator seeded with it.

    For a KnetArray x the mask is drawn on x's device by a kernel seeded from that generator:
    reproducible under knetc.seed like the CPU's, but not the same mask.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p!r}")
    x = _floating(x)
    active = _TRAINING if training is None else training
    if not active or p == 0:
        return x.dtype.type(1)
    rng = _RNG if seed is None else np.random.default_rng(seed)
    if isinstance(x, KnetArray):  # drawn on x's device by a counter-based kernel
        from .cuda import index
        return index.dropout_mask(x, p, rng)
    keep = rng.random(x.shape, dtype=np.float32) >= p
    scale = x.dtype.type(0 if p == 1 else 1 / (1 - p))
    return np.where(keep, scale, x.dtype.type(0))


def dropout(x, p, training=None, seed=None):
    """Knet's dropout: in training mode, each element of x is zeroed with probability p and
    the others are scaled by 1/(1-p); outside training mode, x unchanged.

    Training mode is knetc.training(...) unless `training` says otherwise; the mask comes from
    the generator knetc.seed(n) seeds, or from a fresh one when `seed` is given. The gradient
    is the adjoint times the same mask.

    Example:
        >>> x = np.ones((2, 3))
        >>> bool(np.all(dropout(x, 0.5) == x))     # not training: the identity
        True
        >>> set(dropout(x, 0.5, training=True).ravel().tolist()) <= {0.0, 2.0}
        True
    """
    return x * dropout_mask(x, p, training, seed)
