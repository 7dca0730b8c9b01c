"""Adjoints of convolution and pooling; dropout's mask is a constant to differentiation.

`knetc.dropout` itself has no rule: it is `x * dropout_mask(...)`, which knetc differentiates
from its source, so the multiplication's adjoint reuses the mask the forward pass drew.
"""
from .. import conv, stochastic
from . import nondiff, rule

# ruff: noqa: F821, F841


@rule(conv.conv4)
def conv4(y, w, x, padding=0, stride=1):
    dw = conv4_grad_w(dy, w, x, padding, stride)
    dx = conv4_grad_x(dy, w, x, padding, stride)


@rule(conv.pool)
def pool(y, x, window=2, stride=None, padding=0, mode="max"):
    dx = pool_grad(dy, y, x, window, stride, padding, mode)


nondiff(stochastic.dropout_mask, stochastic.is_training)
