"""Let go of arrays the backward sweep is done with before it asks for more memory.

A generated function's locals live until it returns, so the forward values and adjoints of
the first layers of a network (read last by the backward sweep) would all be alive while
the heaviest adjoints run: LeNet's `relu_2` and `drelu_2` (4.6 MB each) while
`conv4_grad_w` builds its column matrix. Before each statement that calls such a helper
(products, convolutions, pooling), the arrays that no later statement reads are deleted:

    dadd = drelu_2 * (relu_2 > 0)
    ...
    del relu_2, drelu_2
    dw_0 = conv4_grad_w(dconv4_2, w_0, x0, 0, 1)

Only names bound at the top level of the function (so surely bound there), read by nothing
after that point (the return included), and holding a computed array (an operator's or a
call's result, not `w[0]` or a name) are deleted; `del` changes no value, only when memory
is freed.
"""
from .. import runtime
from .syntax import ast, names_loaded

HEAVY = ("conv4_grad_w", "conv4_grad_x", "pool_grad", "matmul_grad_a", "matmul_grad_b")
KEEP = ("add_at", "add_at_inplace")  # accumulators: read to the end anyway


def release(stmts, tail, aliases, arrays=(), bound=()):
    """Insert `del` statements into the top-level block `stmts` in place. `tail` holds the
    statements after it (the return), `arrays` names known to hold computed arrays on
    entry (forward values popped from the stack), `bound` names surely bound on entry."""
    heavy = {id(getattr(runtime, n)) for n in HEAVY}
    keep = {id(getattr(runtime, n)) for n in KEEP}
    later = [None] * (len(stmts) + 1)   # names read by stmts[k:] and the tail
    later[-1] = names_loaded(tail)
    for k in range(len(stmts) - 1, -1, -1):
        later[k] = later[k + 1] | names_loaded(stmts[k])
    arrays, bound, deleted, out = set(arrays), set(bound), set(), []
    kept = _kept(stmts, aliases, keep)
    arrays -= kept
    for k, stmt in enumerate(stmts):
        if _calls(stmt, aliases, heavy):
            dead = sorted((arrays & bound) - later[k] - deleted)
            if dead:
                gone = ast.Delete(targets=[ast.Name(id=n, ctx=ast.Del(), annotation=None,
                                                    type_comment=None) for n in dead])
                out.append(ast.copy_location(gone, stmt))
                deleted |= set(dead)
        out.append(stmt)
        if isinstance(stmt, ast.Assign):
            names = _plain_targets(stmt)
            bound |= names
            deleted -= names
            if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                if _computed(stmt.value, aliases, keep) and stmt.targets[0].id not in kept:
                    arrays.add(stmt.targets[0].id)
                else:
                    arrays.discard(stmt.targets[0].id)
    stmts[:] = out


def _kept(stmts, aliases, keep):
    """Adjoints added into an accumulator (`dw = add_at(dw, w, 7, dw_7)`), which may keep
    them by reference: deleting the name frees nothing."""
    out = set()
    for stmt in stmts:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                    and id(aliases.get(sub.func.id)) in keep and len(sub.args) == 4 \
                    and isinstance(sub.args[3], ast.Name):
                out.add(sub.args[3].id)
    return out


def _calls(stmt, aliases, helpers):
    if not isinstance(stmt, ast.Assign):
        return False
    for sub in ast.walk(stmt.value):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                and id(aliases.get(sub.func.id)) in helpers:
            return True
    return False


def _computed(value, aliases, keep):
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return True
    if isinstance(value, ast.Call):
        return not (isinstance(value.func, ast.Name)
                    and id(aliases.get(value.func.id)) in keep) \
            and not (isinstance(value.func, ast.Attribute) and value.func.attr == "pop")
    return False


def _plain_targets(stmt):
    out = set()
    for t in stmt.targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def computed_names(forward, library_call=None):
    """Names every assignment of which in `forward` computes a new array (see shapes.py)."""
    from .shapes import _computes, _walk_stmts
    yes, no = set(), set()
    for stmt in _walk_stmts(forward):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            (yes if _computes(stmt.value, library_call) else no).add(stmt.targets[0].id)
    return yes - no


def top_level_names(stmts):
    """Names bound by top-level assignments of `stmts`."""
    out = set()
    for stmt in stmts:
        if isinstance(stmt, ast.Assign):
            out |= _plain_targets(stmt)
    return out
