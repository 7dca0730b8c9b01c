"""Forward rules are linear in the tangents: drop the terms of tangents known to be zero.

    prune(`a_dot * b + a * b_dot`, zeros={"a_dot"})  ->  `a * b_dot`, dropped=True
    prune(`x_dot * y`, zeros={"x_dot"})              ->  None (the whole tangent is zero)

A sum keeps its other terms; a product, a quotient, a subscript, an attribute, a method of a
zero tangent are zero; a call (or tuple, or conditional) is zero when every argument that
reads a tangent is, and otherwise gets `0.0` for the zero ones. Anything else that reads a
tangent (a comparison, `*t`) is not linear: a ValueError names it, so that a rule table
error is never a silently dropped term.
"""
from .syntax import ast, const, expr_text, names_loaded


def prune(node, zeros, dots):
    """(node without its terms in the zero tangents `zeros`, whether any were dropped); the
    node is None when all of it is zero. `dots` names every tangent the template reads."""
    dropped = [False]

    def has(n):
        return bool(names_loaded(n) & dots)

    def walk(n):
        if not has(n):
            return n
        if isinstance(n, ast.Name):
            return None if n.id in zeros else n
        if isinstance(n, ast.BinOp):
            left = walk(n.left) if has(n.left) else n.left
            right = walk(n.right) if has(n.right) else n.right
            if isinstance(n.op, (ast.Add, ast.Sub)) and has(n.left) and has(n.right):
                if left is None and right is None:
                    return None
                if left is None or right is None:
                    dropped[0] = True
                if left is None:
                    return right if isinstance(n.op, ast.Add) else ast.UnaryOp(
                        op=ast.USub(), operand=right)
                if right is None:
                    return left
            elif (has(n.left) and left is None) or (has(n.right) and right is None):
                return None
            n.left, n.right = left, right
            return n
        if isinstance(n, ast.UnaryOp):
            operand = walk(n.operand)
            if operand is None:
                return None
            n.operand = operand
            return n
        if isinstance(n, (ast.Subscript, ast.Attribute)):
            inner = walk(n.value)
            if inner is None:
                return None
            n.value = inner
            return n
        if isinstance(n, ast.Call) and has(n.func):  # `x_dot.astype(t)`: linear in x_dot
            if any(has(a) for a in n.args + [k.value for k in n.keywords]):
                raise ValueError(f"forward rule term {expr_text(n)!r} calls a method of a "
                                 "tangent with tangents as arguments")
            func = walk(n.func)
            if func is None:
                return None
            n.func = func
            return n
        if isinstance(n, (ast.Call, ast.Tuple, ast.List, ast.IfExp)):
            if isinstance(n, ast.Call):
                slots = [(n.args, i) for i in range(len(n.args))] + [
                    (k, "value") for k in n.keywords]
            elif isinstance(n, ast.IfExp):
                slots = [(n, "body"), (n, "orelse")]
            else:
                slots = [(n.elts, i) for i in range(len(n.elts))]
            bearing = [(holder, key) for holder, key in slots if has(_get(holder, key))]
            pruned = [walk(_get(holder, key)) for holder, key in bearing]
            if all(p is None for p in pruned):
                return None
            for (holder, key), p in zip(bearing, pruned):
                if p is None:
                    dropped[0] = True
                _set(holder, key, p if p is not None else const(0.0))
            return n
        raise ValueError(f"forward rule term {expr_text(n)!r} is not linear in its tangents")

    out = walk(node)
    return out, dropped[0]


def _get(holder, key):
    return holder[key] if isinstance(holder, list) else getattr(holder, key)


def _set(holder, key, value):
    if isinstance(holder, list):
        holder[key] = value
    else:
        setattr(holder, key, value)
