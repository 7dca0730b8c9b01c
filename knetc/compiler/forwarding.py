"""Specialize a decorator's forwarding wrapper to the function it wraps, before other passes.

A `functools.wraps` wrapper that only passes `*args`/`**kwargs` on whole gets the wrapped
function's parameters (what `inspect.signature(wrapper)` reports, through `__wrapped__`, and
what callers bind their arguments with), and each forwarding call names them:

    def scaled(f):                                  # around h(x, scale=1.0)
        @functools.wraps(f)
        def wrapper(*args, **kwargs):       ->      def wrapper(x, scale):
            return 2.0 * f(*args, **kwargs)             return 2.0 * f(x, scale)

Any other use of `args` or `kwargs` (`len(args)`, `args[0]`, `print(kwargs)`) depends on how
each call spells its arguments (a default left out is in neither), so it is refused.
"""
import inspect

from ..errors import KnetcSyntaxError
from .syntax import ast, name

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
_HINT = ("give the wrapper named parameters, or only forward `*args, **kwargs` whole to the "
         "function it wraps (`f(*args, **kwargs)`)")


def parameters(fn):
    """The parameters knetc compiles `fn` with: None when it takes no `*args`/`**kwargs`,
    else those of the function it wraps that the wrapper can receive (a list, possibly
    empty when it cannot be specialized: `forward_arguments` then says why)."""
    code = getattr(fn, "__code__", None)
    if code is None or not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    if not hasattr(fn, "__wrapped__"):
        return []
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in sig.parameters.values()):
        return []
    own = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    varargs = bool(code.co_flags & inspect.CO_VARARGS)
    varkw = bool(code.co_flags & inspect.CO_VARKEYWORDS)
    # a parameter the wrapper cannot receive is left to the wrapped function's default
    return [p for p in sig.parameters.values() if p.name in own
            or (varargs and p.kind in _POSITIONAL)
            or (varkw and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))]


def positional_names(fn):
    """The names of `fn`'s positional parameters, as knetc compiles it."""
    params = parameters(fn)
    if params is None:
        return fn.__code__.co_varnames[:fn.__code__.co_argcount]
    return tuple(p.name for p in params if p.kind in _POSITIONAL)


def defaults(fn):
    """`(__defaults__, __kwdefaults__)` for the function generated from `fn`."""
    params = parameters(fn)
    if params is None:
        return fn.__defaults__, fn.__kwdefaults__
    positional = [p.default for p in params if p.kind in _POSITIONAL]
    while positional and positional[0] is inspect.Parameter.empty:
        positional.pop(0)
    kw = {p.name: p.default for p in params if p.kind == p.KEYWORD_ONLY
          and p.default is not inspect.Parameter.empty}
    return tuple(positional) or None, kw or None


def forward_arguments(source):
    """Rewrite `source.node`, the definition of a forwarding wrapper, in place."""
    node, fn = source.node, source.fn
    args = node.args
    if not (args.vararg or args.kwarg) or not hasattr(fn, "__wrapped__"):
        return  # check.py refuses `*args`/`**kwargs` elsewhere
    params = parameters(fn)
    what = f"the wrapper that a decorator put around {fn.__name__!r}: it takes " \
           "`*args`/`**kwargs`"
    if not params:
        _fail(source, node, what + ", and knetc cannot tell the parameters of the function "
              "it wraps")
    star, double = args.vararg and args.vararg.id, args.kwarg and args.kwarg.id
    own = [a.id for a in args.posonlyargs + args.args]
    if own != [p.name for p in params if p.kind in _POSITIONAL][:len(own)]:
        _fail(source, node, what + " and named parameters other than those of the "
              "function it wraps")
    own_kw = {a.id for a in args.kwonlyargs}
    if not own_kw <= {p.name for p in params if p.kind == p.KEYWORD_ONLY}:
        _fail(source, node, what + " and keyword-only parameters other than those of the "
              "function it wraps")
    rest = [p for p in params if p.name not in own and p.name not in own_kw]
    through_star = [p.name for p in rest if star and p.kind in _POSITIONAL]
    through_double = [p.name for p in rest if p.name not in through_star]
    forwarded = set()
    for sub in ast.walk(ast.Module(body=node.body, type_ignores=[])):
        if isinstance(sub, ast.Call):
            starred = [a for a in sub.args if isinstance(a, ast.Starred)
                       and isinstance(a.value, ast.Name) and a.value.id == star]
            spread = [k for k in sub.keywords if k.arg is None
                      and isinstance(k.value, ast.Name) and k.value.id == double]
            if not (starred or spread):
                continue
            if (star and double and not (starred and spread)) or len(starred) > 1 \
                    or len(spread) > 1 or (starred and sub.args[-1] is not starred[0]):
                _fail(source, sub, what + f", and this call does not forward "
                      f"{'`*' + star + ', **' + double + '`' if star and double else 'them'}"
                      " whole, last")
            _same_parameters(source, sub, what, params)
            forwarded |= {id(starred[0].value)} if starred else set()
            forwarded |= {id(spread[0].value)} if spread else set()
            if starred:
                sub.args[-1:] = [name(p) for p in through_star]
            if spread:
                sub.keywords.remove(spread[0])
                sub.keywords += [ast.keyword(arg=p, value=name(p)) for p in through_double]
    for sub in ast.walk(ast.Module(body=node.body, type_ignores=[])):
        if isinstance(sub, ast.Name) and sub.id in (star, double) and id(sub) not in forwarded:
            _fail(source, sub, what + f", and reads `{sub.id}` other than by forwarding it "
                  "whole: its value depends on how each call spells its arguments")
    by_name = {p.name: p for p in params}
    args.posonlyargs = [name(p, store=True) for p in own if
                        by_name[p].kind == inspect.Parameter.POSITIONAL_ONLY] + [
        name(p.name, store=True) for p in rest if p.kind == p.POSITIONAL_ONLY]
    args.args = [name(p, store=True) for p in own if
                 by_name[p].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD] + [
        name(p.name, store=True) for p in rest if p.kind == p.POSITIONAL_OR_KEYWORD]
    args.kwonlyargs = args.kwonlyargs + [name(p.name, store=True) for p in rest
                                         if p.kind == p.KEYWORD_ONLY]
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        a.ctx = ast.Param()
    args.vararg = args.kwarg = None
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)


def _same_parameters(source, call, what, params):
    """The forwarding call's function, when it is a Python function in the wrapper's scope,
    takes the parameters the wrapper was given (its defaults are the ones filled in)."""
    fn = source.fn
    if not isinstance(call.func, ast.Name):
        return
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    try:
        callee = cells[call.func.id].cell_contents if call.func.id in cells \
            else fn.__globals__[call.func.id]
    except (KeyError, ValueError):
        return
    if not inspect.isfunction(callee):
        return
    try:
        theirs = list(inspect.signature(callee).parameters.values())
    except (TypeError, ValueError):
        return
    if any(p not in theirs for p in params):
        _fail(source, call, what + f", and forwards them to `{call.func.id}`, whose "
              "parameters are not those of the function it wraps")


def _fail(source, node, what, hint=_HINT):
    lineno = getattr(node, "lineno", None)
    raise KnetcSyntaxError(f"knetc cannot differentiate {what}", source.filename, lineno,
                           source.line(lineno), hint=f"Instead: {hint}.")
