"""Fuse the adjoint of a cross entropy `sum(c * logp(x, axis))` into one helper call.

The rules of np.sum, `*` and logp give, for `ynorm = logp(ypred, axis=0)` followed by
`mul = ygold * ynorm; total = np.sum(mul)`, three backward statements

    dmul = unreduce(dtotal, mul, None, False)      # a full array of the scalar adjoint
    dynorm = unbroadcast(ygold * dmul, ynorm)
    dypred = logp_grad(dynorm, ynorm, 0)

which this pass replaces, where `dmul` and `dynorm` are read nowhere else, by

    dypred = logp_xent_grad(dtotal, ygold, ynorm, 0, mul)

(knetc/runtime/nn.py: the same three steps in one call, without the array of copies of the
scalar). `ygold` may be any expression (`ygold[t]`): it is evaluated where it was. Statements
may lie between the three (the stack pops of a loop body); the fused statement takes the
second one's place, so it is done only where nothing in between changes what it reads:
`dtotal` and `mul` after the first, `ynorm`, the axis and `dypred` after the
second. Compound statements in between (if, for) stop it.
"""
from .. import runtime
from .syntax import assign, ast, call, name, names_loaded


def fuse_xent(stmts, aliases, namer, outside=()):
    """Rewrite every such triple in `stmts` (blocks nested in it included); `stmts` is the
    whole backward sweep, so a name's uses are counted over all of it, and `outside` names
    what is read after it (the returned adjoints): those are left alone."""
    loads = _count(stmts, ast.Load)
    stores = _count(stmts, ast.Store)
    for n in outside:
        loads[n] = loads.get(n, 0) + 2
    _fuse_block(stmts, aliases, namer, loads, stores)


def _fuse_block(block, aliases, namer, loads, stores):
    for stmt in block:
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                _fuse_block(inner, aliases, namer, loads, stores)
    k = 0
    while k < len(block):
        if not _try_at(block, k, aliases, namer, loads, stores):
            k += 1


def _try_at(block, k, aliases, namer, loads, stores):
    first = _helper_assign(block[k], aliases, runtime.unreduce, 4)
    if first is None:
        return False
    dm, (g, m, axis, keepdims) = first
    if not (isinstance(g, ast.Name) and isinstance(m, ast.Name) and _is_const(axis, None)
            and _is_const(keepdims, False)) or loads.get(dm) != 1 or stores.get(dm) != 1:
        return False
    j = _next_simple(block, k, lambda s: _reads(s, dm))
    if j is None:
        return False
    second = _helper_assign(block[j], aliases, runtime.unbroadcast, 2)
    if second is None:
        return False
    db, (product, b) = second
    if not isinstance(b, ast.Name) or not isinstance(product, ast.BinOp) \
            or not isinstance(product.op, ast.Mult) or loads.get(db) != 1 \
            or stores.get(db) != 1:
        return False
    if _is_name(product.right, dm):
        c = product.left  # any expression: it is evaluated where it was, once
    elif _is_name(product.left, dm):
        c = product.right
    else:
        return False
    if dm in names_loaded(c) or _stored_between(block, k, j, {g.id, m.id}):
        return False
    i = _next_simple(block, j, lambda s: _reads(s, db))
    if i is None:
        return False
    third = _helper_assign(block[i], aliases, runtime.logp_grad, 3)
    if third is None:
        return False
    dx, (g3, y, ax) = third
    if not (_is_name(g3, db) and _is_name(y, b.id)) \
            or not (isinstance(ax, ast.Constant) or isinstance(ax, ast.Name)):
        return False
    later = {b.id, dx} | ({ax.id} if isinstance(ax, ast.Name) else set())
    if _stored_between(block, j, i, later) or any(dx in names_loaded(s)
                                                  for s in block[j + 1:i]):
        return False
    fused = assign(dx, call(namer.helper("logp_xent_grad"),
                            [name(g.id), c, name(b.id), ax, name(m.id)]))
    ast.copy_location(fused, block[j])
    block[j] = fused
    del block[i]
    del block[k]
    return True


def _helper_assign(stmt, aliases, helper, nargs):
    """(target, args) for `target = helper(*args)` with `nargs` positional args, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call):
        c = stmt.value
        if isinstance(c.func, ast.Name) and aliases.get(c.func.id) is helper \
                and len(c.args) == nargs and not c.keywords \
                and not any(isinstance(a, ast.Starred) for a in c.args):
            return stmt.targets[0].id, c.args
    return None


def _next_simple(block, k, wanted):
    """Index of the first statement after block[k] that `wanted` accepts, if only simple
    statements (assignments, expressions, del) come before it; else None."""
    for j in range(k + 1, len(block)):
        stmt = block[j]
        if not isinstance(stmt, (ast.Assign, ast.Expr, ast.Delete)):
            return None
        if wanted(stmt):
            return j
    return None


def _reads(stmt, n):
    return n in names_loaded(stmt)


def _stored_between(block, start, stop, names):
    """Whether a statement strictly between block[start] and block[stop] may rebind, delete
    or change one of `names`: any statement that names one of them, except an assignment
    to other plain names that only reads them."""
    for stmt in block[start + 1:stop]:
        used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        if not names & used:
            continue
        if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets) \
                and not names & {t.id for t in stmt.targets} \
                and not any(isinstance(n, ast.Call) for n in ast.walk(stmt.value)):
            continue  # `a = b * c`: reads them, changes nothing
        return True
    return False


def _count(stmts, ctx):
    out = {}
    for n in ast.walk(ast.Module(body=stmts, type_ignores=[])):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ctx):
            out[n.id] = out.get(n.id, 0) + 1
    return out


def _is_const(node, value):
    return isinstance(node, ast.Constant) and node.value is value


def _is_name(node, n):
    return isinstance(node, ast.Name) and node.id == n
