"""Update adjoints the generated code owns in place instead of copying them.

`add_at` copies the adjoint it adds into, because that array may be seen under another
name. Right after `dv = add_at(...)`, though, dv is a new array that only dv refers to; if
nothing reads dv before the next `dv = add_at(dv, ...)` in the same block, that one may add
into dv itself:

    dgates = add_at(None, gates, np.s_[:, 3 * hsize:], dgates_3hsize)
    dgates_2hsize3hsi = doutgate * outgate * (1 - outgate)
    dgates = add_at_inplace(dgates, gates, np.s_[:, 2 * hsize:3 * hsize], dgates_2hsize3hsi)
"""
from .. import runtime
from .syntax import ast, name, names_loaded


def add_in_place(stmts, aliases, namer):
    """Rewrite chains of add_at into one array in place, in every block of `stmts`."""
    owned = set()  # adjoints holding an array only they refer to
    for k, stmt in enumerate(stmts):
        for field in ("body", "orelse"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                add_in_place(block, aliases, namer)
        target = _add_at_target(stmt, aliases)
        if target is not None:
            call = stmt.value
            first = call.args[0]
            if isinstance(first, ast.Name) and first.id == target and target in owned \
                    and target not in names_loaded(call.args[1:]):
                call.func = name(namer.helper("add_at_inplace"))
            owned -= names_loaded(call.args)  # `g` may be kept by reference (in a list)
            owned.add(target)
            continue
        if isinstance(stmt, (ast.If, ast.For, ast.While)) or not isinstance(stmt, ast.Assign):
            owned.clear()
            continue
        if not owned:
            continue
        owned -= names_loaded(stmt)
        for t in stmt.targets:
            owned -= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}


def _add_at_target(stmt, aliases):
    """`dv` for a statement `dv = add_at(...)` with four positional arguments, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        if isinstance(call.func, ast.Name) and aliases.get(call.func.id) is runtime.add_at \
                and len(call.args) == 4 and not call.keywords:
            return stmt.targets[0].id
    return None
