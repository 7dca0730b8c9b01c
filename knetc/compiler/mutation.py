"""Which containers a function mutates in place, and a check that none of them is an alias.

knetc differentiates `s[i] = v` and `xs.append(v)` as if they made a new container bound to
the same name. That is exact when nothing else refers to the mutated object, so mutating a
variable that is a copy or a part of another (`t = s; t[0] = v`, `row = grid[0];
row[1] = v`) is refused; `grid[0][1] = v` is fine. A call to a user function that mutates
one of its parameters mutates the argument passed there.

    def predict(w, s, x):                 mutated_params(predict) == {'s'}
        s[0], s[1] = lstm(w, s[0], s[1], x)
"""
import inspect

from ..errors import KnetcSyntaxError
from .syntax import ast, parse_function

MUTATORS = {"append"}


def mutation_root(target):
    """The variable whose object `x[i][j] = ...` or `x.append(...)` changes, or None."""
    while isinstance(target, ast.Subscript):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def mutated_names(body, callee_mutations=lambda call: ()):
    """Names of local objects the statements mutate (through calls too)."""
    out = set()
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    for elt in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                        if isinstance(elt, ast.Subscript) and mutation_root(elt):
                            out.add(mutation_root(elt))
            elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Subscript):
                out.add(mutation_root(sub.target))
            elif isinstance(sub, ast.Call):
                func = sub.func
                if isinstance(func, ast.Attribute) and func.attr in MUTATORS \
                        and isinstance(func.value, ast.Name):
                    out.add(func.value.id)
                out.update(callee_mutations(sub))
    out.discard(None)
    return out


def check_aliases(source, body, mutated):
    """Refuse mutation of a variable that shares its object with another variable."""
    for stmt in body:
        for sub in ast.walk(stmt):
            if not isinstance(sub, ast.Assign) or len(sub.targets) != 1:
                continue
            target, value = sub.targets[0], sub.value
            if not isinstance(target, ast.Name):
                continue
            copied = isinstance(value, ast.Name) and (target.id in mutated or
                                                      value.id in mutated)
            part = target.id in mutated and isinstance(value, (ast.Subscript, ast.Attribute))
            if copied or part:
                line = source.line(sub.lineno)
                raise KnetcSyntaxError(
                    f"knetc cannot differentiate mutating `{target.id}`, which shares its "
                    "object with another variable", source.filename, sub.lineno, line,
                    hint="Instead: mutate through the original name (`grid[0][1] = v`), "
                         "or build a new list (`row = list(grid[0])`).")


_cache = {}


def mutated_params(fn, resolve_callee, _active=None):
    """The parameters of user function `fn` that it mutates in place."""
    if fn in _cache:
        return _cache[fn]
    _active = set() if _active is None else _active
    if fn in _active:
        return set()  # recursion: what the other frames mutate is found there
    _active.add(fn)
    try:
        node = parse_function(fn).node
    except Exception:
        return set()
    params = set(inspect.signature(fn).parameters)

    def through_calls(call):
        callee = resolve_callee(fn, call.func)
        if callee is None:
            return ()
        inner = mutated_params(callee, resolve_callee, _active)
        try:
            bound = inspect.signature(callee).bind(*call.args,
                                                   **{k.arg: k.value for k in call.keywords})
        except TypeError:
            return ()
        return [a.id for p, a in bound.arguments.items()
                if p in inner and isinstance(a, ast.Name)]

    result = mutated_names(node.body, through_calls) & params
    _active.discard(fn)
    _cache[fn] = result
    return result
