"""Corpus: the Knet operators sigm, relu, sumabs2, logp, logsumexp, softmax, nll, mat, accuracy."""
import numpy as np
import pytest

from corpus_util import case, distinct, randn, rng_for, run_case
from knetc import accuracy, logp, logsumexp, mat, nll, relu, sigm, softmax, sumabs2


def sigm_layer(W, x):
    return np.sum(sigm(W @ x))


def relu_layer(W, b, x):
    # pre-activations stay away from 0 (checked by the builder's data)
    return np.sum(relu(W @ x + b) ** 2)


def relu_elementwise(x):
    return np.sum(relu(x) * x) + np.sum(relu(-x))


def sumabs2_residual(x, y):
    return sumabs2(x - y) / x.size


def logp_axis0(x, y):
    # y: one-hot columns
    return -np.sum(y * logp(x, axis=0))


def logp_axis1(x, y):
    return -np.mean(np.sum(y * logp(x, axis=1), axis=1))


def logp_default_axis(x):
    return np.sum(logp(x) * np.arange(x.size).reshape(x.shape))


def logsumexp_all(x):
    return logsumexp(x, axis=None)


def logsumexp_axis0(x):
    return np.sum(logsumexp(x, axis=0) ** 2)


def logsumexp_axis1_keepdims(x):
    return np.sum(x - logsumexp(x, axis=1, keepdims=True)) + np.sum(logsumexp(x, axis=1) * 0.5)


def softmax_axis0(x, y):
    return np.sum(softmax(x, axis=0) * y)


def softmax_axis1(x):
    p = softmax(x, axis=1)
    return np.sum(p ** 2)


def nll_scores(w, x, labels):
    scores = w[0] @ x + w[1]
    return nll(scores, labels)


def nll_axis1(W, x, labels):
    # rows are instances: scores is (N, C)
    scores = x @ W
    return nll(scores, labels, axis=1)


def mat_conv_features(W, x):
    # x: (N, C, H, W) -> mat(x): (C*H*W, N)
    return np.sum(np.tanh(W @ mat(x)))


def accuracy_passes_through(w, x, labels):
    scores = w[0] @ x + w[1]
    acc = accuracy(scores, labels)
    return nll(scores, labels) * (2.0 - acc)


def knet_mlp(w, x, labels):
    h = relu(w[0] @ x + w[1])
    return nll(w[2] @ h + w[3], labels) + 0.01 * sumabs2(w[0])


def sigm_gate(x, h):
    g = sigm(x)
    return np.sum(g * np.tanh(h) + (1 - g) * h)


def _onehot(r, c, n, axis=0):
    y = np.eye(c)[r.integers(0, c, n)]
    return y.T if axis == 0 else y


def _relu_layer_args(r):
    # resample until every pre-activation is at least 0.05 away from the relu kink
    while True:
        W, b, x = randn(r, 3, 4), randn(r, 3, 1), randn(r, 4, 5)
        if np.min(np.abs(W @ x + b)) > 0.05:
            return W, b, x


def _knet_mlp_args(r):
    return ([randn(r, 4, 3), randn(r, 4, 1), randn(r, 3, 4), randn(r, 3, 1)],
            randn(r, 3, 5), r.integers(0, 3, 5))


def knet_positional_axis(x, labels):
    # axis passed positionally; x: (N, C)
    return nll(x, labels, 1) + np.sum(logp(x, 1) ** 2) * 0.1 + np.sum(softmax(x, 1)[:, 0]) \
        + np.sum(logsumexp(x, 1))


ROWS = [
    case(sigm_layer, lambda r: (randn(r, 2, 3), randn(r, 3, 4)), (0, 1)),
    case(relu_layer, _relu_layer_args, (0, 1, 2)),
    case(relu_elementwise, lambda r: (distinct(r, 3, 3),)),
    case(sumabs2_residual, lambda r: (randn(r, 2, 3), randn(r, 2, 3)), (0, 1)),
    case(logp_axis0, lambda r: (randn(r, 3, 4), _onehot(r, 3, 4, axis=0))),
    case(logp_axis1, lambda r: (randn(r, 4, 3), _onehot(r, 3, 4, axis=1))),
    case(logp_default_axis, lambda r: (randn(r, 3, 2),)),
    case(logsumexp_all, lambda r: (randn(r, 3, 4),)),
    case(logsumexp_axis0, lambda r: (randn(r, 3, 4),)),
    case(logsumexp_axis1_keepdims, lambda r: (randn(r, 3, 4),)),
    case(softmax_axis0, lambda r: (randn(r, 3, 4), randn(r, 3, 4)), (0, 1)),
    case(softmax_axis1, lambda r: (randn(r, 2, 5),)),
    case(nll_scores, lambda r: ([randn(r, 3, 4), randn(r, 3, 1)], randn(r, 4, 5),
                                r.integers(0, 3, 5))),
    case(nll_axis1, lambda r: (randn(r, 4, 3), randn(r, 5, 4), r.integers(0, 3, 5)), (0, 1)),
    case(mat_conv_features, lambda r: (randn(r, 3, 12), randn(r, 2, 3, 2, 2)), (0, 1)),
    case(accuracy_passes_through, lambda r: ([randn(r, 3, 4), randn(r, 3, 1)], randn(r, 4, 6),
                                             r.integers(0, 3, 6))),
    case(knet_mlp, _knet_mlp_args),
    case(sigm_gate, lambda r: (randn(r, 4), randn(r, 4)), (0, 1)),
    case(knet_positional_axis, lambda r: (randn(r, 5, 3), r.integers(0, 3, 5))),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_knet_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


# ---------------------------------- forward semantics of the operators (NumPy references)


def test_operator_values_match_numpy_reference():
    r = rng_for("operator_values")
    x = randn(r, 3, 4)
    ref_lse0 = np.log(np.sum(np.exp(x), axis=0))
    np.testing.assert_allclose(sigm(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(sumabs2(x), np.sum(x ** 2))
    np.testing.assert_allclose(logp(x, axis=0), x - ref_lse0)
    np.testing.assert_allclose(logp(x, axis=1), x - np.log(np.sum(np.exp(x), axis=1,
                                                                  keepdims=True)))
    np.testing.assert_allclose(logsumexp(x, axis=None), np.log(np.sum(np.exp(x))))
    np.testing.assert_allclose(logsumexp(x, axis=0), ref_lse0)
    np.testing.assert_allclose(logsumexp(x, axis=1, keepdims=True),
                               np.log(np.sum(np.exp(x), axis=1, keepdims=True)))
    np.testing.assert_allclose(softmax(x, axis=0), np.exp(x) / np.sum(np.exp(x), axis=0))
    labels = np.array([0, 2, 1, 2])
    ref_nll = -np.mean((x - ref_lse0)[labels, np.arange(4)])
    np.testing.assert_allclose(nll(x, labels), ref_nll)
    np.testing.assert_allclose(nll(x.T, labels, axis=1), ref_nll)
    np.testing.assert_allclose(accuracy(x, labels), np.mean(np.argmax(x, axis=0) == labels))
    x4 = randn(r, 2, 3, 2, 2)
    assert mat(x4).shape == (12, 2)
    np.testing.assert_allclose(mat(x4)[:, 1], x4[1].ravel())
