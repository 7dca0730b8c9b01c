"""Rename the names a user function calls that are spelled like builtins but are not them
(`def enumerate(xs): ...` in its module, a closure cell, a parameter or local called
`range`), so no later pass desugars or skips them as the builtin.

    for i, v in enumerate(xs):      ->    for i, v in enumerate_2(xs):

A builtin called through another spelling (`builtins.zip(a, b)`) is called through a name
bound to it, which the desugaring pass knows for the builtin it is.

A module global or closure value gets a name of its own in the generated code, bound to the
object (the scope records it: rebinding it recompiles); a parameter or local is renamed.
"""
import builtins

from .syntax import assign, ast, name, names_stored

_BUILTINS = set(dir(builtins))


def unshadow(node, params, scope, namer):
    """Rename in place the called names of `node` (a FunctionDef) that shadow builtins."""
    local = set(params) | names_stored(node.body)
    called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name) and n.func.id in _BUILTINS}
    renames = {}
    for spelled in sorted(called):
        if spelled in local:
            renames[spelled] = namer.fresh(spelled)
        elif not scope.is_builtin(spelled):  # a module global or closure cell of that name
            renames[spelled] = namer.bind(spelled, scope.resolve(spelled))
    _spelled_builtins(node, local, scope, namer)
    if not renames:
        return
    for n in ast.walk(ast.Module(body=node.body, type_ignores=[])):  # not the parameters
        if isinstance(n, ast.Name) and n.id in renames:
            if n.id in local or isinstance(n.ctx, ast.Load):
                n.id = renames[n.id]
    node.body[:0] = [ast.copy_location(assign(renames[p], name(p)), node.body[0])
                     for p in params if p in renames]


def _spelled_builtins(node, local, scope, namer):
    """`builtins.zip(a, b)` -> `zip(a, b)`, with `zip` bound to the builtin (a fresh name if
    the user's code took that one)."""
    for call in ast.walk(ast.Module(body=node.body, type_ignores=[])):
        func = getattr(call, "func", None) if isinstance(call, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id not in local and func.attr in _BUILTINS \
                and scope.resolve(func.value.id) is builtins:
            obj = getattr(builtins, func.attr)
            call.func = ast.copy_location(name(namer.bind(func.attr, obj)), func)
