"""Rules as Python functions, for calls whose function is known only at run time.

`act = np.tanh if deep else knetc.relu; h = act(x)` cannot paste a template at compile
time; the generated code calls `call_adjoint(act, 0, dh, h, (x,))`, which compiles the
rule's template for that argument into a function once and caches it. Forward mode calls
`jvp(act, 1)`: a function `(x_dot, x) -> (y, y_dot)` written as source from the rule's
forward template, so that reverse mode can read and differentiate it too.
"""
import linecache

from .. import runtime
from ..compiler.syntax import expr_text
from . import NONDIFF, RULES

_compiled = {}
_tangents = {}


def vjp(fn, i):
    """A function (dy, y, *args) -> adjoint of argument i of fn."""
    key = (fn, i)
    if key not in _compiled:
        _compiled[key] = _make(fn, i)
    return _compiled[key]


def _make(fn, i):
    if fn in NONDIFF:
        return lambda g, y, *args, **keywords: runtime.zero_grad(args[i])
    rule = RULES.get(fn)
    if rule is None:
        label = getattr(fn, "__name__", repr(fn))
        raise TypeError(f"knetc cannot differentiate a call of {label} through a variable, "
                        "which has no adjoint rule; call a user function by its own name, or "
                        "give it a rule with @knetc.adjoint")
    params = [p for p in rule.signature.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    target = params[i].name if i < len(params) else None
    if target is None or target not in rule.body:
        return lambda g, y, *args, **keywords: runtime.zero_grad(args[i])
    every = list(rule.signature.parameters.values())
    star = [f"*{p.name}" for p in every if p.kind is p.VAR_POSITIONAL]
    keyword_only = [p for p in every if p.kind is p.KEYWORD_ONLY]
    names = ", ".join([p.name for p in params] + (star or (["*"] if keyword_only else []))
                      + [f"{p.name}=None" for p in keyword_only])
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    text = f"lambda d{rule.result}, {rule.result}, {names}: {expr_text(rule.body[target])}"
    namespace = dict(vars(runtime))
    namespace.update(rule.namespace or {})
    compiled = eval(text, namespace)  # noqa: S307 (our own rule templates)
    if defaults:
        compiled.__defaults__ = tuple(defaults[p.name] for p in params if p.name in defaults)
    if keyword_only:  # (`x.reshape(3, 3, order="F")`: the rule's own defaults)
        compiled.__kwdefaults__ = {p.name: p.default for p in keyword_only}
    return compiled


def jvp(key, count, keywords=()):
    """`f(*tangents, *operands) -> (y, y_dot)` for the rule of `key` (a function object or a
    method name like ".sum") applied to `count` positional operands and the constant
    keywords (name, value) pairs; made once, with source knetc can read."""
    cache = (key, count, keywords)
    if cache not in _tangents:
        _tangents[cache] = _make_jvp(key, count, dict(keywords))
    return _tangents[cache]


def _make_jvp(key, count, keywords):
    rule = RULES.get(key)
    label = key if isinstance(key, str) else getattr(key, "__name__", repr(key))
    if rule is None:
        raise TypeError(f"knetc cannot differentiate a call of {label} through a variable, "
                        "which has no adjoint rule; call a user function by its own name, or "
                        "give it a rule with @knetc.adjoint")
    if rule.tangent is None:
        raise TypeError(f"knetc cannot differentiate a call of {label} found at run time in "
                        f"forward mode: the {rule.name} rule has no forward rule yet")
    params = list(rule.signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)
    if count > len(positional) and star is None:
        raise TypeError(f"knetc cannot differentiate a call of {label} with {count} "
                        "operands found at run time in forward mode; call it by its name")
    names = [p.name for p in positional[:count]]
    extra = [f"{star}_{k}" for k in range(count - len(names))]  # *shape, *items: a tuple
    passed = [f"{k}={k}" for k in keywords]
    operands = names + ([f"*{star}"] if extra else [])
    call = (f"{names[0]}.{key[1:]}({', '.join(operands[1:] + passed)})"
            if isinstance(key, str) else f"__fn__({', '.join(operands + passed)})")
    given = names + extra
    text = (f"def {rule.name}_rule_jvp({', '.join([n + '_dot' for n in given] + given)}):\n"
            + (f"    {star} = ({', '.join(extra)},)\n"
               f"    {star}_dot = ({', '.join(e + '_dot' for e in extra)},)\n" if extra else
               f"    {star} = ()\n    {star}_dot = ()\n" if star else "")
            + "".join(f"    {p.name} = {keywords.get(p.name, p.default)!r}\n"
                      for p in params if p.name not in names and p.name != star
                      and (p.default is not p.empty or p.name in keywords))
            + f"    {rule.result} = {call}\n"
            + f"    return {rule.result}, {expr_text(rule.tangent)}\n")
    filename = f"<knetc rule {rule.name} #{len(_tangents)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(vars(runtime), __fn__=key, __name__="knetc.runtime")
    namespace.update(rule.namespace or {})
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 (our own rule templates)
    return namespace[f"{rule.name}_rule_jvp"]
