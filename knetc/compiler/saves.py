"""Keep only the saves the backward sweep needs, and turn them into stack operations.

The reverse pass saves every value that an assignment overwrites; here a save survives only
if the backward sweep reads that variable. What survives becomes `stack.append(v)` /
`v = stack.pop()`, and a variable saved before its first assignment (the first pass of a
loop) is set to None at the top, so there is something to save.

    save(t); t = f(x)   ...  restore(t)      ->   t = f(x)   (if the backward never reads t)
"""
from .reverse import RESTORE, SAVE, SNAPSHOT, UNSNAPSHOT
from .syntax import assign, ast, call, const, name, names_loaded


def prune_saves(forward, backward, tail, params, stack_name, own_stack):
    """Rewrite markers in place; returns the statements to put before the forward sweep.

    `tail` holds statements after the backward sweep (the return) whose reads count too;
    `own_stack` says whether this function creates the stack or is handed it by its caller.
    """
    while True:  # dropping a save can empty a branch, and the branch's test is no longer read
        needed = names_loaded(backward + tail)
        if not (_drop(forward, needed, False) | _drop(backward, needed, True)):
            break
    _convert(forward, stack_name)
    _convert(backward, stack_name)
    unbound = []
    _find_unbound(forward, set(params), unbound, stack_name)
    head = []
    if own_stack and stack_name in names_loaded(forward):
        head.append(assign(stack_name, ast.List(elts=[], ctx=ast.Load())))
    if unbound:
        targets = [name(v, store=True) for v in dict.fromkeys(unbound)]
        head.append(ast.Assign(targets=targets, value=const(None), type_comment=None))
    return head


def _marker(stmt):
    for kind in (SAVE, SNAPSHOT):
        if isinstance(stmt, ast.Expr) and _is_call(stmt.value, kind):
            arg = stmt.value.args[0]
            return kind, arg.id if isinstance(arg, ast.Name) else None
    for kind in (RESTORE, UNSNAPSHOT):
        if isinstance(stmt, ast.Assign) and _is_call(stmt.value, kind):
            return kind, stmt.targets[0].id
    return None, None


def _is_call(node, fname):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == fname


def _drop(stmts, needed, backward):
    """Remove saves of unneeded variables, and backward blocks left empty; True if changed."""
    changed = False
    k = 0
    while k < len(stmts):
        stmt = stmts[k]
        kind, var = _marker(stmt)
        if kind in (SAVE, RESTORE) and var not in needed:
            del stmts[k]
            changed = True
            continue
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                changed |= _drop(block, needed, backward)
        if isinstance(stmt, (ast.If, ast.For, ast.While)) and _empty(stmt.body) \
                and _empty(stmt.orelse) and (backward or isinstance(stmt, ast.If)):
            del stmts[k]  # nothing left to do in it
            changed = True
            continue
        k += 1
    return changed


def _empty(block):
    return all(isinstance(s, ast.Pass) for s in block)


def _convert(stmts, stack_name):
    """Markers become stack operations; blocks emptied by pruning get a `pass`."""
    for k, stmt in enumerate(stmts):
        kind, var = _marker(stmt)
        if kind in (SAVE, SNAPSHOT):
            new = ast.Expr(value=call(ast.Attribute(value=name(stack_name), attr="append",
                                                    ctx=ast.Load()), stmt.value.args))
            stmts[k] = ast.copy_location(new, stmt)
        elif kind in (RESTORE, UNSNAPSHOT):
            pop = call(ast.Attribute(value=name(stack_name), attr="pop", ctx=ast.Load()), [])
            stmts[k] = ast.copy_location(assign(var, pop), stmt)
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                _convert(block, stack_name)
                if not block and field == "body":
                    block.append(ast.Pass())
                elif len(block) > 1:
                    block[:] = [s for s in block if not isinstance(s, ast.Pass)]


def _find_unbound(stmts, defined, unbound, stack_name):
    """Variables appended to the stack at a point where they may not exist yet."""
    for stmt in stmts:
        if isinstance(stmt, ast.Expr) and _is_append(stmt.value, stack_name) \
                and isinstance(stmt.value.args[0], ast.Name):
            var = stmt.value.args[0].id
            if var not in defined:
                unbound.append(var)
        elif isinstance(stmt, ast.Assign):
            defined.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, (ast.For, ast.While, ast.If)):
            inner = set(defined)
            if isinstance(stmt, ast.For):
                inner.add(stmt.target.id)
            _find_unbound(stmt.body, inner, unbound, stack_name)
            _find_unbound(stmt.orelse, set(defined), unbound, stack_name)


def _is_append(node, stack_name):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "append" and isinstance(node.func.value, ast.Name) \
        and node.func.value.id == stack_name
