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
from .syntax import ast, names_loaded


def assignments(body):
    """(target node, value node) for every assignment in `body`, nested blocks included."""
    out = []
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign):
                out.extend((t, sub.value) for t in sub.targets)
            elif isinstance(sub, ast.AugAssign):
                out.append((sub.target, sub))
            elif isinstance(sub, ast.For):
                out.append((sub.target, sub.iter))
    return out


def active_names(body, wrt, propagates=lambda value: True):
    """The names in `body` that may depend on the names in `wrt`."""
    pairs = assignments(body)
    active = set(wrt)
    changed = True
    while changed:
        changed = False
        for target, value in pairs:
            if names_loaded(value) & active and propagates(value):
                for name in _target_names(target) - active:
                    active.add(name)
                    changed = True
    return active


def _target_names(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
