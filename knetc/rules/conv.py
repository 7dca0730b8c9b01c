"""Adjoints of convolution and pooling; dropout's mask is a constant to differentiation.

`knetc.dropout` itself has no rule: it is `x * dropout_mask(...)`, which knetc differentiates
from its source, so the multiplication's adjoint reuses the mask the forward pass drew.
"""
from .. import conv, runtime, stochastic
from . import RULES, nondiff, rule

# ruff: noqa: F821, F841


@rule(conv.conv4)
def conv4(y, w, x, padding=0, stride=1):
    dw = conv4_grad_w(dy, w, x, padding, stride)
    dx = conv4_grad_x(dy, w, x, padding, stride)
    y_dot = conv.conv4(w_dot, x, padding, stride) + conv.conv4(w, x_dot, padding, stride)


@rule(conv.pool)
def pool(y, x, window=2, stride=None, padding=0, mode="max"):
    dx = pool_grad(dy, y, x, window, stride, padding, mode)
    y_dot = pool_tangent(x_dot, y, x, window, stride, padding, mode)


# pool's tangent is linear in t; where each window's maximum sits is a constant to
# differentiation (y and x move it only across ties)
@rule(runtime.pool_tangent)
def pool_tangent(out, t, y, x, window=2, stride=None, padding=0, mode="max"):
    dt = pool_grad(dout, y, x, window, stride, padding, mode)
    dy = zero_grad(y)
    dx = zero_grad(x)
    out_dot = pool_tangent(t_dot, y, x, window, stride, padding, mode)


nondiff(stochastic.dropout_mask, stochastic.is_training)

# A forward template's names other than np and the runtime's helpers are read where the
# rule's namespace says (for built-in rules, which have none: in the user's module). Give
# conv4's the module, so that its tangent calls knetc.conv.conv4 itself, whose own rule
# then differentiates the tangent code again (reverse over forward).
RULES[conv.conv4].namespace = {"conv": conv}
