"""Adjoints of Knet's operators: log-softmax, softmax, negative log likelihood."""
import numpy as np

from .. import nn, runtime
from . import nondiff, rule

# ruff: noqa: F821, F841


@rule(nn.logp)
def logp(y, x, axis=0):
    dx = logp_grad(dy, y, axis)
    y_dot = x_dot - np.sum(np.exp(y) * x_dot, axis, keepdims=True)


@rule(nn.softmax)
def softmax(y, x, axis=0):
    dx = softmax_grad(dy, y, axis)
    y_dot = y * (x_dot - np.sum(y * x_dot, axis, keepdims=True))


@rule(nn.nll)
def nll(y, scores, labels, axis=0):
    dscores = nll_grad(dy, scores, labels, axis)
    # the mean over examples of (softmax . scores_dot along axis) - scores_dot at the label
    y_dot = np.mean(np.sum(np.exp(scores - np.max(scores, axis, keepdims=True)) * scores_dot,
                           axis, keepdims=True)
                    / np.sum(np.exp(scores - np.max(scores, axis, keepdims=True)), axis,
                             keepdims=True)
                    - take_labels(scores_dot, labels, axis))


@rule(runtime.take_labels)
def take_labels(y, t, labels, axis=0):
    dt = put_labels(dy, t, labels, axis)
    y_dot = take_labels(t_dot, labels, axis)


nondiff(nn.accuracy)
