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


def check_aliases(source, body, mutations=lambda call: ()):
    """Refuse mutating a variable whose object another variable or container also holds.

    Statements are followed in order (loop bodies twice, to see the next iteration): a
    variable is "shared" once it is a copy of another, a part of one (`row = grid[0]`), or
    stored into a container (`rows.append(row)`); rebinding it to a new value (`row = []`)
    makes it its own again. Mutating a shared variable is refused.
    """
    _Aliases(source, mutations).block(body, set())


class _Aliases:
    def __init__(self, source, mutations):
        self.source = source
        self.mutations = mutations

    def block(self, stmts, shared):
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.While)):
                for _ in range(2):
                    self.block(stmt.body, shared)
            elif isinstance(stmt, ast.If):
                self.block(stmt.body, shared)
                self.block(stmt.orelse, shared)
            else:
                self.statement(stmt, shared)

    def statement(self, stmt, shared):
        for sub in ast.walk(stmt):  # mutations first: they see the state before this line
            if isinstance(sub, ast.Call):
                func = sub.func
                if isinstance(func, ast.Attribute) and func.attr in MUTATORS \
                        and isinstance(func.value, ast.Name):
                    self.mutate(func.value.id, stmt, shared)
                for arg in self.mutations(sub):
                    self.mutate(arg, stmt, shared)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for elt in (target.elts if isinstance(target, (ast.Tuple, ast.List))
                            else [target]):
                    if isinstance(elt, ast.Subscript):
                        self.mutate(mutation_root(elt), stmt, shared)
        for sub in ast.walk(stmt):  # then what this line makes shared
            if isinstance(sub, (ast.List, ast.Tuple, ast.Set)) and isinstance(sub.ctx, ast.Load):
                shared.update(e.id for e in sub.elts if isinstance(e, ast.Name))
            elif isinstance(sub, ast.Dict):
                shared.update(v.id for v in sub.values if isinstance(v, ast.Name))
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in MUTATORS:
                shared.update(a.id for a in sub.args if isinstance(a, ast.Name))
        if isinstance(stmt, ast.Assign):
            value = stmt.value
            for target in stmt.targets:
                if isinstance(target, ast.Subscript) and isinstance(value, ast.Name):
                    shared.add(value.id)  # s[k] = v: v now lives in s too
                elif isinstance(target, ast.Name):
                    if isinstance(value, ast.Name):
                        shared.update((target.id, value.id))
                    elif isinstance(value, (ast.Subscript, ast.Attribute)):
                        shared.add(target.id)
                    else:
                        shared.discard(target.id)  # a new object of its own
                elif isinstance(target, (ast.Tuple, ast.List)):
                    shared.update(e.id for e in target.elts if isinstance(e, ast.Name))

    def mutate(self, var, stmt, shared):
        if var in shared:
            line = self.source.line(stmt.lineno)
            raise KnetcSyntaxError(
                f"knetc cannot differentiate mutating `{var}` here: its object is also "
                "held by another variable or container", self.source.filename, stmt.lineno,
                line, hint="Instead: mutate through the original name (`grid[0][1] = v`), "
                "mutate before storing it, or copy first (`row = list(grid[0])`).")


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
