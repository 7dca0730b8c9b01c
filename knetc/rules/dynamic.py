"""Adjoint rules as Python functions, for calls whose function is known only at run time.

`act = np.tanh if deep else knetc.relu; h = act(x)` cannot paste a template at compile
time; the generated code calls `call_adjoint(act, 0, dh, h, (x,))`, which compiles the
rule's template for that argument into a function once and caches it.
"""
from .. import runtime
from ..compiler.syntax import expr_text
from . import NONDIFF, RULES

_compiled = {}


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

