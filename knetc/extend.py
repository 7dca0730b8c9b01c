"""Extending knetc: your own primitives with adjoint rules, and stopping gradients.

    @knetc.primitive
    def softplus(x):
        return np.log1p(np.exp(x))

    @knetc.adjoint(softplus)
    def softplus_adjoint(y, x):      # y: the result, x: the argument, dy: y's adjoint
        dx = dy * knetc.sigm(x)

A rule is written in the same template language as knetc's own rules (knetc/rules): one
statement `dp = ...` per differentiable parameter `p`, in terms of `dy`, the result `y`,
the arguments, and any name visible where the rule is defined.
"""
from .rules import NONDIFF, RULES, Rule


def primitive(fn):
    """Mark `fn` as a primitive: knetc calls it as it is and differentiates it with the rule
    given by @knetc.adjoint(fn), instead of reading its source."""
    fn._knetc_primitive = True
    return fn


def adjoint(fn):
    """Register the decorated template as the adjoint rule of `fn` (a primitive, or a NumPy
    or other library function that has no rule yet)."""
    def register(template):
        RULES[fn] = Rule(template, (fn,), namespace=template.__globals__)
        return template
    return register


def stop_gradient(x):
    """`x` itself, through which no gradient flows back."""
    return x


NONDIFF.add(stop_gradient)
