"""Adjoints of Knet's operators: log-softmax, softmax, negative log likelihood."""
from .. import nn
from . import nondiff, rule

# ruff: noqa: F821, F841


@rule(nn.logp)
def logp(y, x, axis=0):
    dx = logp_grad(dy, y, axis)


@rule(nn.softmax)
def softmax(y, x, axis=0):
    dx = softmax_grad(dy, y, axis)


@rule(nn.nll)
def nll(y, scores, labels, axis=0):
    dscores = nll_grad(dy, scores, labels, axis)


nondiff(nn.accuracy)
