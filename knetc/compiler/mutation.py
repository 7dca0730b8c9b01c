"""Which containers and parameters a function mutates in place, and which parameters it
may return: what a call to a user function does to the arguments passed there.

knetc differentiates `s[i] = v`, `xs.append(v)` and the in-place operators as if they made a
new object bound to the same name (aliases.py refuses the cases where that is not exact).
A call to a user function that mutates one of its parameters mutates the argument there.

    def predict(w, s, x):                 mutated_params(predict) == {'s'}
        s[0], s[1] = lstm(w, s[0], s[1], x)
"""
import inspect

from .forwarding import forward_arguments
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


def possible_values(value):
    """Variables whose object `value` may be itself (`s`, `s if c else t`, `s or t`)."""
    if isinstance(value, ast.Name):
        return {value.id}
    if isinstance(value, ast.IfExp):
        return possible_values(value.body) | possible_values(value.orelse)
    if isinstance(value, ast.BoolOp):
        return set().union(*(possible_values(v) for v in value.values))
    return set()


_cache = {}


def _parse(fn):
    """`fn`'s definition, a forwarding wrapper given the parameters it forwards."""
    source = parse_function(fn)
    forward_arguments(source)
    return source.node


def mutated_params(fn, resolve_callee, _active=None):
    """The parameters of user function `fn` that it mutates in place."""
    if fn in _cache:
        return _cache[fn]
    _active = set() if _active is None else _active
    if fn in _active:
        return set()  # recursion: what the other frames mutate is found there
    _active.add(fn)
    try:
        node = _parse(fn)
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


_returns_cache = {}  # code object -> returns_param's answer (its source, parsed once)


def returns_param(fn):
    """Whether `fn` may return one of its parameters itself (so its result may alias it)."""
    code = getattr(fn, "__code__", None)
    if code is not None and code in _returns_cache:
        return _returns_cache[code]
    answer = _returns_param(fn)
    if code is not None:
        _returns_cache[code] = answer
    return answer


def _returns_param(fn):
    try:
        node = _parse(fn)
    except Exception:
        return True
    params = set(inspect.signature(fn).parameters)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Return) and sub.value is not None:
            values = sub.value.elts if isinstance(sub.value, (ast.Tuple, ast.List)) else [
                sub.value]
            if any(possible_values(v) & params for v in values):
                return True
    return False
