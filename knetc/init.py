"""Weight initializers in Knet's style: `xavier`, `gaussian`, `uniform`, `zeros` and `ones`.

Each takes the array shape as separate ints (`xavier(10, 784)`) or as one tuple
(`xavier((10, 784))`), a `dtype` (float32 by default, as in the Knet tutorial) and an `rng`
(a `numpy.random.Generator`; by default the one reseeded by `knetc.seed(n)`). They return NumPy
arrays; move them to a GPU with `cupy.asarray(w)` when you need to.
"""
import math

import numpy as np

from . import stochastic as _stochastic


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(d) for d in shape)


def _rng(rng):
    """rng, or knetc's generator (knetc.stochastic._RNG, replaced by knetc.seed(n): read now)."""
    return _stochastic._RNG if rng is None else rng


def _uniform01(shape, dtype, rng):
    """Uniform [0, 1) samples of the given dtype (drawn in that precision where NumPy can)."""
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return rng.random(shape, dtype=dtype)
    return rng.random(shape).astype(dtype)


def fans(shape):
    """Knet's (fan_in, fan_out) of a weight of the given shape, in knetc's layouts.

    1-d (n,): (n, 1). 2-d (out, in): (in, out). 3-d and up, convolution filters laid out
    (out_channels, in_channels, *kernel): fan_in = in_channels * prod(kernel) and
    fan_out = out_channels * prod(kernel) (Knet's rule for its (*kernel, in, out) layout).

        fans((10, 784))         # (784, 10)
        fans((20, 1, 5, 5))     # (25, 500)
    """
    shape = _shape(shape)
    size = math.prod(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return size, 1
    if len(shape) == 2:
        return shape[1], shape[0]
    return (size // shape[0] if shape[0] else 0), (size // shape[1] if shape[1] else 0)


def xavier(*shape, gain=1.0, dtype=np.float32, rng=None):
    """Uniform weights in +-gain*sqrt(6/(fan_in+fan_out)) (Glorot and Bengio 2010, eq. 16).

    Args:
        shape: the dimensions; (out, in) for a dense layer, (out, in, kh, kw) for a
            convolution filter. See `fans` for the fan conventions (those of Knet's `xavier`).
        gain: scales the range, as in Knet.
        dtype, rng: as for every initializer in this module.

        w = [knetc.xavier(64, 784), knetc.zeros(64, 1)]
    """
    shape = _shape(shape)
    fan_in, fan_out = fans(shape)
    r = _uniform01(shape, dtype, _rng(rng))
    if fan_in + fan_out == 0:
        return r
    s = gain * math.sqrt(6.0 / (fan_in + fan_out))
    r *= 2 * s
    r -= s
    return r


def gaussian(*shape, std=0.01, mean=0.0, dtype=np.float32, rng=None):
    """Normally distributed weights with the given standard deviation and mean (Knet's defaults).

        w = knetc.gaussian(10, 784)               # std 0.01
        b = knetc.gaussian(10, 1, std=0.1, mean=1.0)
    """
    shape = _shape(shape)
    dtype = np.dtype(dtype)
    rng = _rng(rng)
    if dtype in (np.float32, np.float64):
        r = rng.standard_normal(shape, dtype=dtype)
    else:
        r = rng.standard_normal(shape).astype(dtype)
    r *= std
    r += mean
    return r


def uniform(*shape, low=-0.1, high=0.1, dtype=np.float32, rng=None):
    """Uniform weights in [low, high): the tutorial's `-0.1 + 0.2*rand(Float32, ...)`.

        w = knetc.uniform(10, 784)                # in [-0.1, 0.1)
        w = knetc.uniform(5, 5, low=0.0, high=1.0)
    """
    r = _uniform01(_shape(shape), dtype, _rng(rng))
    r *= high - low
    r += low
    return r


def zeros(*shape, dtype=np.float32):
    """An array of zeros, e.g. a bias: `knetc.zeros(10, 1)`."""
    return np.zeros(_shape(shape), dtype=dtype)


def ones(*shape, dtype=np.float32):
    """An array of ones, e.g. a gain: `knetc.ones(10, 1)`."""
    return np.ones(_shape(shape), dtype=dtype)
