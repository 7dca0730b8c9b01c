"""The adjoint rule table: one template per primitive, looked up by the function object.

A rule is a plain Python function used as a template: its first parameter `y` is the
primitive's result, the others are its operands, and each statement `dx = ...` gives the
contribution to the adjoint of operand `x` in terms of `dy`, the adjoint of `y`. The
compiler pastes these statements into the generated code with the user's names
substituted. A statement that reads its own target (`dx = add_at(dx, ...)`) accumulates by
itself; the others are added to what the adjoint already holds.

The statement `y_dot = ...` is the forward (tangent) rule: the tangent of the result in
terms of the operands' tangents `x_dot`. It is linear in the tangents; forward mode drops
the terms of operands that carry none (`a_dot * b + a * b_dot` becomes `a * b_dot`).

    @rule(np.exp)
    def exp(y, x):
        dx = dy * y
        y_dot = x_dot * y
"""
import inspect

from ..compiler.syntax import ast, function_body

RULES = {}        # key (function object, operator symbol, ".method", or ".attribute") -> Rule
NONDIFF = set()   # keys of functions whose result carries no gradient (argmax, shape, ...)
# Parameters that take integers, booleans or shapes: no gradient flows into them, and a rule
# need not say so. Any other parameter without a template refuses a differentiated argument.
NONDIFF_PARAMS = {"index", "indices", "axis", "axes", "axis1", "axis2", "keepdims", "labels",
                  "condition", "dtype", "shape", "out", "ddof", "indices_or_sections",
                  "order", "args", "kwargs", "newshape", "copy", "attr", "fn",
                  "padding", "stride", "window", "mode", "stop", "num", "endpoint",
                  "retstep", "like",
                  "prototype"}  # full_like's array: only its shape and dtype are read


class Rule:
    """One adjoint template: the primitive's operands and one statement per operand."""

    def __init__(self, template, keys, namespace=None):
        self.template = template
        self.namespace = namespace  # for rules users define: where their names resolve
        self.name = template.__name__
        self.keys = keys
        signature = inspect.signature(template)
        params = list(signature.parameters.values())
        self.signature = signature.replace(parameters=params[1:])
        self.result = params[0].name
        self._body = None
        self._tangent = None

    @property
    def body(self):
        """{operand name: template expression node} parsed from the template's source."""
        if self._body is None:
            body = {}
            for stmt in function_body(self.template).body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    continue  # docstring
                target = stmt.targets[0].id
                if target == self.result + "_dot":
                    self._tangent = stmt.value
                    continue
                body[target[1:]] = stmt.value
            self._body = body
        return self._body

    @property
    def tangent(self):
        """The forward rule's expression (the result's tangent), or None if it has none."""
        self.body
        return self._tangent

    @property
    def helpers(self):
        """Runtime helpers the template calls (renamed if the user's code took the name)."""
        params = set(self.signature.parameters) | {self.result, "d" + self.result}
        loads = set()
        for template in self.body.values():
            loads |= {n.id for n in ast.walk(template) if isinstance(n, ast.Name)}
        return {n for n in loads - params if not n.startswith("d") or n[1:] not in params}

    @property
    def tangent_helpers(self):
        """Names the forward rule calls other than its operands and their tangents."""
        if self.tangent is None:
            return set()
        params = set(self.signature.parameters) | {self.result}
        loads = {n.id for n in ast.walk(self.tangent) if isinstance(n, ast.Name)}
        return {n for n in loads - params if not (n.endswith("_dot") and n[:-4] in params)}

    def __repr__(self):
        return f"<adjoint rule {self.name}>"


def rule(*keys):
    """Register the decorated template as the adjoint rule of each key."""
    def register(template):
        r = Rule(template, keys)
        for key in keys:
            RULES[key] = r
        return template
    return register


def nondiff(*keys):
    """Mark functions whose results are constants to differentiation (argmax, shape, ...)."""
    NONDIFF.update(keys)


def all_rules():
    """Every registered rule, once each, in registration order."""
    seen = []
    for r in RULES.values():
        if r not in seen:
            seen.append(r)
    return seen


from . import conv, elementwise, index, linalg, nn, reduce, shape  # noqa: E402,F401  (fill the table)
