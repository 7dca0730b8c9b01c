"""Activity analysis: which variables can carry a gradient from the differentiated arguments.

A variable is active when some assignment to it reads an active variable through an
operation that propagates derivatives. The analysis is flow-insensitive (one fixpoint over
every assignment), which can only over-approximate: an extra active variable costs an
unused adjoint, never a wrong one.

    def f(x, n):          active_names(f, ['x'])  ->  {'x', 'y', 'z'}
        y = x * n
        k = n + 1
        z = y[k]
"""
from .syntax import ast

PURE_CALLS = {"len"}  # calls cheap and pure enough to evaluate again in the backward sweep
SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}


def differentiable_loads(node):
    """Names read by `node` other than through `.shape`, `.ndim`, `len(...)` and the like."""
    if isinstance(node, ast.Attribute) and node.attr in SHAPE_ATTRIBUTES:
        return set()
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in PURE_CALLS:
        return set()
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) else set()
    out = set()
    for child in ast.iter_child_nodes(node):
        out |= differentiable_loads(child)
    return out


def assignments(body, mutations=lambda call: ()):
    """(target node, value node) for every assignment in `body`, nested blocks included.

    Mutation counts as assignment: `s[i] = v` and `s.append(v)` assign to `s`, and so
    does a call that mutates its argument `s` (`mutations(call)` names those arguments).
    """
    out = []
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign):
                out.extend((t, sub.value) for t in sub.targets)
            elif isinstance(sub, ast.AugAssign):
                out.append((sub.target, sub))
            elif isinstance(sub, ast.For):
                out.append((sub.target, sub.iter))
            elif isinstance(sub, ast.Call):
                func = sub.func
                if isinstance(func, ast.Attribute) and func.attr == "append":
                    out.append((func.value, sub))
                out.extend((ast.Name(id=n, ctx=ast.Store(), annotation=None,
                                     type_comment=None), sub) for n in mutations(sub))
    return out


def active_names(body, wrt, propagates=lambda value: True, mutations=lambda call: ()):
    """The names in `body` that may depend on the names in `wrt`."""
    pairs = assignments(body, mutations)
    active = set(wrt)
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if differentiable_loads(value) & active and propagates(value):
                for name in _target_names(target) - active:
                    active.add(name)
                    changed = True
    return active


def _target_names(target):
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(e) for e in target.elts))
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value  # `s[i] = v` changes s
    return {target.id} if isinstance(target, ast.Name) else set()
