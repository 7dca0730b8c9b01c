"""Save a shape stand-in, not the array, for values the backward sweep reads only for shape.

`unbroadcast(g, x)` and `add_at(dx, x, index, g)` read nothing of x but its type, shape and
dtype. If those are the backward sweep's only reads of x, the forward sweep keeps a stand-in
(`only_shape`: the same shape and dtype, one element of memory) and the array itself can be
freed as soon as the forward sweep is done with it:

    matmul = hstack @ weight                 dmatmul = unbroadcast(dgates, matmul_shape)
    matmul_shape = only_shape(matmul)
"""
from .. import runtime
from .reverse import RESTORE, SAVE
from .syntax import assign, ast, name

# helpers that read only the shape and dtype of one argument: {name: its position}
SHAPE_READERS = {"unbroadcast": 1, "unreduce": 1, "add_at": 1, "add_at_inplace": 1,
                 "logp_xent_grad": 4}


def save_shapes_only(forward, backward, tail, params, aliases, namer, saved_only=False,
                     library_call=None):
    """Rewrite forward and backward in place (before prune_saves turns markers into stack
    operations); `tail` holds the statements after the backward sweep. With saved_only (the
    entry function, whose locals live to its end anyway), only values pushed on the stack.
    `library_call(call)` says whether a call is one of knetc's operators (`conv4(w, x)`),
    whose result is a new array like that of an `np.` call."""
    readers = {id(getattr(runtime, n)): k for n, k in SHAPE_READERS.items()}
    shape_reads, other_reads = {}, set()
    for node in backward + tail:
        _classify(node, aliases, readers, shape_reads, other_reads)
    candidates = set(shape_reads) - other_reads - set(params)
    if not candidates:
        return
    stores = {}
    for stmt in _walk_stmts(forward):
        for n in _stores(stmt):
            stores.setdefault(n, []).append(stmt)
    for stmt in _walk_stmts(backward):
        for n in _stores(stmt):
            if not _is_marker(stmt.value if isinstance(stmt, ast.Assign) else None, RESTORE):
                candidates.discard(n)
    for v in list(candidates):
        plain = all(isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name) and s.targets[0].id == v
                    for s in stores.get(v, []))
        if not plain or not stores.get(v) \
                or not all(_computes(s.value, library_call) for s in stores[v]):
            candidates.discard(v)
    if saved_only:
        candidates &= {s.value.args[0].id for s in _walk_stmts(forward)
                       if isinstance(s, ast.Expr) and _is_marker(s.value, SAVE)
                       and isinstance(s.value.args[0], ast.Name)}
    if not candidates:
        return
    renamed = {v: namer.fresh(v + "_shape") for v in sorted(candidates)}
    helper = namer.helper("only_shape")
    _rewrite_forward(forward, renamed, helper)
    for node in shape_reads_nodes(shape_reads, candidates):
        node.id = renamed[node.id]
    _rename_restores(backward, renamed)


def shape_reads_nodes(shape_reads, names):
    return [node for v in names for node in shape_reads[v]]


def _classify(node, aliases, readers, shape_reads, other_reads):
    """Sort every Name load under `node` into shape-only reads and other reads."""
    position = readers.get(id(aliases.get(node.func.id))) \
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else None
    if position is not None and len(node.args) > position \
            and isinstance(node.args[position], ast.Name) \
            and not any(isinstance(a, ast.Starred) for a in node.args[:position + 1]):
        shape_reads.setdefault(node.args[position].id, []).append(node.args[position])
        for k, arg in enumerate(node.args):
            if k != position:
                _classify(arg, aliases, readers, shape_reads, other_reads)
        for kw in node.keywords:
            _classify(kw.value, aliases, readers, shape_reads, other_reads)
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        other_reads.add(node.id)
        return
    for child in ast.iter_child_nodes(node):
        _classify(child, aliases, readers, shape_reads, other_reads)


def _computes(value, library_call=None):
    """Whether `value` makes a new array (an operator, a NumPy function or one of knetc's
    operators), rather than naming one that lives on anyway (`w[i]`, `x`) or calling a user
    function."""
    if isinstance(value, (ast.BinOp, ast.UnaryOp)):
        return True
    if library_call is not None and isinstance(value, ast.Call) and library_call(value):
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and isinstance(value.func.value, ast.Name) and value.func.value.id == "np"


def _walk_stmts(stmts):
    for stmt in stmts:
        yield stmt
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                yield from _walk_stmts(block)


def _stores(stmt):
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(stmt, ast.For):
        return {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
    return set()


def _is_marker(value, kind):
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
        and value.func.id == kind


def _rewrite_forward(stmts, renamed, helper):
    """`save(v)` becomes `save(v_shape)`; each `v = ...` is followed by
    `v_shape = only_shape(v)`."""
    k = 0
    while k < len(stmts):
        stmt = stmts[k]
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                _rewrite_forward(block, renamed, helper)
        if isinstance(stmt, ast.Expr) and _is_marker(stmt.value, SAVE) \
                and isinstance(stmt.value.args[0], ast.Name) \
                and stmt.value.args[0].id in renamed:
            stmt.value.args[0].id = renamed[stmt.value.args[0].id]
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in renamed:
            v = stmt.targets[0].id
            new = assign(renamed[v], ast.Call(func=name(helper), args=[name(v)], keywords=[]))
            stmts.insert(k + 1, ast.copy_location(new, stmt))
            k += 1
        k += 1


def _rename_restores(stmts, renamed):
    for stmt in _walk_stmts(stmts):
        if isinstance(stmt, ast.Assign) and _is_marker(stmt.value, RESTORE) \
                and stmt.targets[0].id in renamed:
            stmt.targets[0].id = renamed[stmt.targets[0].id]
