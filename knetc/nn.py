"""Knet's neural-network operators as plain, numerically stable NumPy forward functions.

knetc attaches adjoint rules to these functions by identity, so they stay pure NumPy with no
hidden state; given a KnetArray, logsumexp/logp/softmax/nll/accuracy run knetc's GPU kernels
(knetc.cuda.softmax) instead. Every function preserves the floating dtype of its input
(float32 in, float32 out), and the exponential ones shift by the maximum so that inputs like
1e4 or -1e4 give finite results without overflow warnings.

Layout follows Knet: a batch of examples is a matrix with one column per example (features x
batch), so class scores are classes x batch and reductions default to ``axis=0``.
"""
import numpy as np

from .cuda.array import KnetArray


def _floating(x):
    """Return x with a floating dtype, leaving float arrays (of any backend) untouched."""
    if not hasattr(x, "dtype"):
        x = np.asarray(x)
    if x.dtype.kind != "f":
        # Integer inputs would otherwise make exp/log produce float64 silently or truncate.
        x = x.astype(np.float64)
    return x


def _scalar_if_0d(r):
    # np.where and friends return 0-d arrays; callers passing scalars expect scalars back.
    return r[()] if getattr(r, "ndim", 1) == 0 else r


def _finite_max(x, axis):
    """Max along axis (kept as a broadcastable dim), with non-finite maxima replaced by 0.

    A row that is all -inf (or contains +inf or nan) would make ``x - max`` produce nan; shifting
    such rows by 0 instead lets exp/log return the mathematically sensible -inf / inf / nan.
    """
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


_NO_OVERFLOW = {2: -10.0, 4: -80.0, 8: -700.0}  # float itemsize -> x above which exp(-x) is finite


def sigm(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for any x.

    Args:
        x: array or scalar; float32 stays float32, integers become float64.

    Example:
        >>> float(sigm(0.0))
        0.5
        >>> sigm(np.array([-1e4, 1e4], dtype=np.float32))
        array([0., 1.], dtype=float32)
    """
    if type(x) is np.ndarray and x.ndim and x.dtype.kind == "f" and x.size \
            and x.min() > _NO_OVERFLOW.get(x.dtype.itemsize, 0):
        # exp(-x) stays finite and normal: the direct formula, in place
        out = np.negative(x)
        np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)
    if isinstance(x, KnetArray):
        from .cuda import elementwise as gpu
        return gpu.sigm(x)  # one kernel
    x = _floating(x)
    # exp(-|x|) lies in (0, 1], so neither branch can overflow.
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return _scalar_if_0d(np.where(x >= 0, r, e * r))


def relu(x):
    """Rectified linear unit ``max(0, x)``, elementwise.

    Args:
        x: array or scalar; its dtype is preserved.

    Example:
        >>> relu(np.array([-2.0, 0.5]))
        array([0. , 0.5])
    """
    return np.maximum(x, 0)


def sumabs2(x):
    """Sum of squares of all elements of x (Knet's ``sumabs2``), as a scalar.

    Args:
        x: array or scalar.

    Example:
        >>> float(sumabs2(np.array([3.0, 4.0])))
        25.0
    """
    if type(x) is np.ndarray:
        if x.size <= 2048 and x.dtype.char in "fd" and x.flags.c_contiguous:
            return np.vdot(x, x)  # one BLAS dot, no temporary: 0.6 us against 1.6
        return np.add.reduce(np.square(x), axis=None)  # np.sum's reduction, no wrapper
    if not hasattr(x, "dtype"):
        x = np.asarray(x)
    return np.sum(np.square(x))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, shifted by the maximum so large inputs do not overflow.

    An all -inf slice gives -inf (not nan), and a slice containing +inf gives +inf.

    Args:
        x: array; float32 stays float32.
        axis: int, tuple of ints, or None for all elements.
        keepdims: keep the reduced axes with length 1.

    Example:
        >>> float(logsumexp(np.array([1e4, 1e4])))  # 1e4 + log(2)
        10000.69314718056
    """
    if isinstance(x, KnetArray):
        from .cuda import softmax as gpu
        return gpu.logsumexp(x, axis, keepdims)
    x = _floating(x)
    m = _finite_max(x, axis)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return _scalar_if_0d(out)


def logp(x, axis=0):
    """Log-softmax along axis: ``x - logsumexp(x, axis)``, max-shifted.

    Args:
        x: array of scores, classes x batch for the default ``axis=0``.
        axis: the class axis.

    Example:
        >>> np.exp(logp(np.array([[0.0], [0.0]])))
        array([[0.5],
               [0.5]])
    """
    if isinstance(x, KnetArray):
        from .cuda import softmax as gpu
        return gpu.logp(x, axis)
    if type(x) is np.ndarray and x.dtype.kind == "f":
        m = np.maximum.reduce(x, axis=axis, keepdims=True)
        if np.isfinite(m).all():  # the usual case, as below with fewer temporaries:
            s = np.subtract(x, m)  # every slice's sum of exp is then >= 1, its log finite
            total = np.add.reduce(np.exp(s), axis=axis, keepdims=True)
            s -= np.log(total, out=total)
            return s
    x = _floating(x)
    s = x - _finite_max(x, axis)
    # Degenerate slices (all -inf, or containing +inf) give nan/-inf quietly, as softmax does.
    with np.errstate(divide="ignore", invalid="ignore"):
        return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def softmax(x, axis=0):
    """Softmax along axis, max-shifted; each slice along axis sums to 1.

    Args:
        x: array of scores, classes x batch for the default ``axis=0``.
        axis: the class axis.

    Example:
        >>> softmax(np.array([[1e4, 1e4]]), axis=1)
        array([[0.5, 0.5]])
    """
    if isinstance(x, KnetArray):
        from .cuda import softmax as gpu
        return gpu.softmax(x, axis)
    if type(x) is np.ndarray and x.dtype.kind == "f":
        m = np.maximum.reduce(x, axis=axis, keepdims=True)
        if np.isfinite(m).all():  # the usual case, as below with fewer temporaries:
            e = np.subtract(x, m)  # every slice's sum of exp is then >= 1
            np.exp(e, out=e)
            e /= np.add.reduce(e, axis=axis, keepdims=True)
            return e
    x = _floating(x)
    e = np.exp(x - _finite_max(x, axis))
    # An all -inf slice has no defined softmax; let it be nan without a warning.
    with np.errstate(invalid="ignore"):
        return e / np.sum(e, axis=axis, keepdims=True)


def _check_labels(scores, labels, axis, who):
    """Return labels as an integer array whose shape is scores' shape without axis."""
    if not hasattr(labels, "dtype"):
        labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{who}: labels must be integer class indices, got dtype {labels.dtype}")
    axis = axis % scores.ndim
    expected = scores.shape[:axis] + scores.shape[axis + 1:]
    if labels.shape != expected:
        raise ValueError(
            f"{who}: scores of shape {scores.shape} with class axis={axis} need labels of shape "
            f"{expected}, got {labels.shape} (Knet layout is classes x batch, axis=0)")
    return labels, axis


def nll(scores, labels, axis=0):
    """Mean negative log likelihood of integer class labels under ``softmax(scores, axis)``.

    Args:
        scores: unnormalized class scores; classes x batch for ``axis=0`` (Knet's layout),
            batch x classes for ``axis=1``.
        labels: integer array of 0-based class indices, one per example (length batch).
        axis: the class axis of scores.

    Returns:
        A scalar of scores' dtype.

    Example:
        >>> scores = np.zeros((10, 4), dtype=np.float32)   # 10 classes, 4 examples
        >>> round(float(nll(scores, np.array([0, 3, 9, 2]))), 6)   # log(10)
        2.302585
    """
    if isinstance(scores, KnetArray):
        from .cuda import softmax as gpu
        return gpu.nll(scores, labels, axis)
    scores = _floating(scores)
    labels, axis = _check_labels(scores, labels, axis, "nll")
    nclass = scores.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= nclass):
        raise ValueError(
            f"nll: labels must lie in [0, {nclass}), got range [{labels.min()}, {labels.max()}] "
            "(knetc labels are 0-based; Knet's Julia labels are 1-based)")
    picked = np.take_along_axis(scores, np.expand_dims(labels, axis), axis=axis)
    # mean(logsumexp - score[label]) equals -mean(logp[label]) without a full-size logp temp.
    lse = logsumexp(scores, axis=axis, keepdims=True)
    return -np.mean(picked - lse)


def accuracy(scores, labels, axis=0):
    """Fraction of examples whose highest-scoring class along axis equals its label.

    Args:
        scores: class scores; classes x batch for ``axis=0``, batch x classes for ``axis=1``.
        labels: integer array of 0-based class indices, one per example.
        axis: the class axis of scores.

    Returns:
        A Python float in [0, 1].

    Example:
        >>> accuracy(np.array([[0.9, 0.1], [0.1, 0.9]]), np.array([0, 0]))
        0.5
    """
    if isinstance(scores, KnetArray):
        from .cuda import softmax as gpu
        return gpu.accuracy(scores, labels, axis)
    if not hasattr(scores, "shape"):
        scores = np.asarray(scores)
    labels, axis = _check_labels(scores, labels, axis, "accuracy")
    return float(np.mean(np.argmax(scores, axis=axis) == labels))


def mat(x):
    """Flatten a batch whose first axis is the batch into a features x batch matrix.

    ``x`` of shape N x C x H x W (or any N x ...) becomes ``(C*H*W) x N``, i.e.
    ``x.reshape(x.shape[0], -1).T``: one column per example, the layout the dense layers of the
    Knet tutorial expect (``w @ mat(x) + b``). Unlike Julia's Knet, where the batch is the *last*
    axis, here the batch is the *first* axis, as NumPy data loaders produce it.

    Args:
        x: array with at least one axis; axis 0 is the batch.

    Example:
        >>> mat(np.zeros((32, 1, 28, 28))).shape
        (784, 32)
    """
    if not hasattr(x, "reshape"):
        x = np.asarray(x)
    return x.reshape(x.shape[0], -1).T
