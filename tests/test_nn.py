"""Tests of knetc.nn against naive references computed elementwise in high-precision Decimal."""
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

from knetc.nn import accuracy, logp, logsumexp, mat, nll, relu, sigm, softmax, sumabs2

DTYPES = [np.float32, np.float64]
SHAPES = [(5,), (3, 4), (2, 3, 4)]


def tols(dtype, scale=1.0):
    """rtol/atol of a few ulps; atol grows with the inputs' magnitude because of max-shifting."""
    eps = np.finfo(dtype).eps
    return {"rtol": 8 * eps, "atol": 8 * eps * max(1.0, scale)}


def sample(shape, dtype, seed=0, extreme=False):
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    if extreme:
        flat = x.reshape(-1)
        flat[::3] = 1e4
        flat[1::4] = -1e4
    return x.astype(dtype)


def D(v):
    """A float as an exact Decimal; -inf/inf become Decimal infinities."""
    return Decimal(float(v))


def ref_logsumexp(values):
    with localcontext() as ctx:
        ctx.prec = 60
        total = sum(D(v).exp() for v in values)
        return float(total.ln()) if total > 0 else -np.inf


def ref_softmax(values):
    with localcontext() as ctx:
        ctx.prec = 60
        exps = [D(v).exp() for v in values]
        return [float(e / sum(exps)) for e in exps]


def ref_along(x, axis, fn):
    """Apply fn(list of floats along axis) -> list of floats (same length) to every slice."""
    out = np.empty(x.shape, dtype=np.float64)
    moved_in, moved_out = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
    for idx in np.ndindex(moved_in.shape[:-1]):
        moved_out[idx] = fn([float(v) for v in moved_in[idx]])
    return out


@pytest.fixture(autouse=True)
def no_float_warnings():
    # Stability means no overflow/invalid warnings, even for inputs like 1e4.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_sigm(dtype, shape, extreme):
    x = sample(shape, dtype, extreme=extreme)
    with localcontext() as ctx:
        ctx.prec = 60
        ref = np.array([float(1 / (1 + (-D(v)).exp())) for v in x.reshape(-1)]).reshape(shape)
    out = sigm(x)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, ref, **tols(dtype))


def test_sigm_scalars_and_integers():
    assert isinstance(sigm(0.0), float) and sigm(0.0) == 0.5
    assert sigm(np.float32(1e4)).dtype == np.float32 and sigm(np.float32(-1e4)) == 0
    r = sigm(np.array(2.0))
    assert np.ndim(r) == 0 and abs(float(r) - 1 / (1 + np.exp(-2.0))) < 1e-15
    assert sigm(np.array([0, 1])).dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_relu(dtype, shape):
    x = sample(shape, dtype, extreme=True)
    ref = np.array([v if v > 0 else 0.0 for v in x.reshape(-1)]).reshape(shape)
    out = relu(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_sumabs2(dtype, shape):
    x = sample(shape, dtype)
    ref = sum(float(v) * float(v) for v in x.reshape(-1))
    out = sumabs2(x)
    assert np.ndim(out) == 0 and out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=8 * np.finfo(dtype).eps * x.size)
    assert sumabs2(3.0) == 9.0 and sumabs2([3.0, 4.0]) == 25.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_logsumexp(dtype, shape, extreme):
    x = sample(shape, dtype, extreme=extreme)
    tol = tols(dtype, np.abs(x).max())
    out = logsumexp(x)
    assert np.ndim(out) == 0 and out.dtype == dtype
    np.testing.assert_allclose(out, ref_logsumexp(x.reshape(-1)), **tol)
    for axis in range(x.ndim):
        ref = np.moveaxis(ref_along(x, axis, lambda r: [ref_logsumexp(r)] * len(r)), axis, 0)[0]
        out = logsumexp(x, axis=axis)
        assert out.dtype == dtype and out.shape == ref.shape
        np.testing.assert_allclose(out, ref, **tol)
        kept = logsumexp(x, axis=axis, keepdims=True)
        np.testing.assert_allclose(kept, np.expand_dims(ref, axis), **tol)
    if x.ndim == 3:
        ref = [[ref_logsumexp(x[:, j, :].reshape(-1))] for j in range(x.shape[1])]
        np.testing.assert_allclose(logsumexp(x, axis=(0, 2)), np.array(ref)[:, 0], **tol)


def test_logsumexp_infinities():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 0.0]])
    np.testing.assert_array_equal(logsumexp(x, axis=1), [-np.inf, np.inf, 0.0])
    assert logsumexp(np.full(3, -np.inf)) == -np.inf


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("extreme", [False, True])
def test_logp_and_softmax(dtype, shape, extreme):
    x = sample(shape, dtype, seed=1, extreme=extreme)
    tol = tols(dtype, np.abs(x).max())
    for axis in [0, -1]:
        ref = ref_along(x, axis, lambda r: [v - ref_logsumexp(r) for v in r])
        out = logp(x, axis=axis)
        assert out.dtype == dtype and out.shape == shape
        np.testing.assert_allclose(out, ref, **tol)
        sm = softmax(x, axis=axis)
        assert sm.dtype == dtype
        np.testing.assert_allclose(sm, ref_along(x, axis, ref_softmax), **tols(dtype))
        np.testing.assert_allclose(np.sum(sm, axis=axis), 1, **tols(dtype))
    np.testing.assert_allclose(logp(x), logp(x, axis=0))


def test_logp_default_axis_is_classes_of_knet_layout():
    scores = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # 3 classes x 2 examples
    np.testing.assert_allclose(softmax(scores), np.full((3, 2), 1 / 3))
    np.testing.assert_allclose(logp(scores), np.full((3, 2), -np.log(3)))


def ref_nll(scores, labels, axis):
    per_example = []
    cols = np.moveaxis(scores, axis, 0)
    for n, label in enumerate(labels):
        col = [float(v) for v in cols[:, n]]
        per_example.append(ref_logsumexp(col) - col[label])
    return sum(per_example) / len(per_example)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nclass,batch", [(3, 1), (10, 7), (4, 16)])
@pytest.mark.parametrize("extreme", [False, True])
def test_nll(dtype, nclass, batch, extreme):
    scores = sample((nclass, batch), dtype, seed=2, extreme=extreme)
    labels = np.random.default_rng(3).integers(0, nclass, size=batch)
    tol = tols(dtype, np.abs(scores).max())
    out = nll(scores, labels)
    assert np.ndim(out) == 0 and out.dtype == dtype
    np.testing.assert_allclose(out, ref_nll(scores, labels, 0), **tol)
    # The same examples laid out batch x classes.
    out1 = nll(scores.T.copy(), labels, axis=1)
    assert out1.dtype == dtype
    np.testing.assert_allclose(out1, ref_nll(scores, labels, 0), **tol)


def test_nll_uniform_scores_and_label_errors():
    scores = np.zeros((10, 4), dtype=np.float32)
    np.testing.assert_allclose(nll(scores, np.array([0, 3, 9, 2])), np.log(10), rtol=1e-6)
    with pytest.raises(TypeError, match="integer"):
        nll(scores, np.array([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="0-based"):
        nll(scores, np.array([1, 2, 3, 10]))
    with pytest.raises(ValueError, match="0-based"):
        nll(scores, np.array([-1, 2, 3, 4]))
    with pytest.raises(ValueError, match="shape"):
        nll(scores, np.array([0, 1, 2]))


@pytest.mark.parametrize("axis", [0, 1])
def test_accuracy(axis):
    rng = np.random.default_rng(4)
    scores = rng.standard_normal((5, 20)).astype(np.float32)
    labels = rng.integers(0, 5, size=20)
    labels[:10] = np.argmax(scores[:, :10], axis=0)  # at least half are right
    s = scores if axis == 0 else scores.T
    ref = sum(max(range(5), key=lambda c: scores[c, n]) == labels[n] for n in range(20)) / 20
    out = accuracy(s, labels, axis=axis)
    assert isinstance(out, float) and out == ref and out >= 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 1, 3, 3), (2, 3, 5, 5), (6, 7), (3,)])
def test_mat(dtype, shape):
    x = sample(shape, dtype)
    out = mat(x)
    nfeat = int(np.prod(shape[1:]))
    assert out.shape == (nfeat, shape[0]) and out.dtype == dtype
    for n in range(shape[0]):
        flat = x[n].reshape(-1)
        for f in range(nfeat):
            assert out[f, n] == flat[f]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_adjoint_helpers_match_their_formulas(dtype):
    from knetc.runtime import relu_grad, sigm_grad, tanh_grad
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 5)).astype(dtype)
    g = rng.standard_normal((7, 5)).astype(dtype)
    for helper, f, formula in [(sigm_grad, sigm, lambda g, y: g * y * (1 - y)),
                               (tanh_grad, np.tanh, lambda g, y: g * (1 - y * y)),
                               (relu_grad, relu, lambda g, y: g * (y > 0))]:
        y = f(x)
        for gg in (g, g[:1], dtype(0.5)):  # same shape (the in-place path), broadcast, scalar
            out = helper(gg, y)
            want = formula(gg, y)
            assert out.dtype == want.dtype and out.shape == want.shape
            np.testing.assert_allclose(out, want, rtol=4 * np.finfo(dtype).eps, atol=0)
        assert helper(g, y) is not g  # a new array: g itself is left alone
