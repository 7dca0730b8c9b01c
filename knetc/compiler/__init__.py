"""The compiler pipeline: user function in, gradient function and its source out.

    source    = parse_function(fn)          # gast tree + file and line numbers
    check(source)                           # refuse what we cannot differentiate
    desugar(...)                            # x += e, for over sequences
    anf(...)                                # one operation per statement
    active_names(...)                       # which names can carry a gradient
    Reverse(...).sweeps / .backward         # forward sweep, backward sweep
    prune_saves(...)                        # keep the saves the backward sweep reads
    emit(...)                               # print, comment, compile
"""
import builtins

from .. import runtime
from .activity import active_names
from .anf import anf
from .check import check
from .desugar import desugar
from .emit import HELPERS, emit
from .naming import Namer
from .resolve import Resolver
from .reverse import Reverse
from .saves import prune_saves
from .syntax import assign, ast, call, name, names_loaded, names_stored, parse_function


class Compiled:
    """A generated gradient: `function(*args) -> (value, gradient)` and its source text."""

    def __init__(self, function, text, wrt):
        self.function = function
        self.text = text
        self.wrt = wrt


def parse_and_check(fn):
    source = parse_function(fn)
    check(source)
    return source


def compile_gradient(fn, argnums):
    """Compile the value-and-gradient function of `fn` for positional arguments `argnums`."""
    source = parse_and_check(fn)
    node = source.node
    params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    positional = [a.id for a in node.args.posonlyargs + node.args.args]
    many = isinstance(argnums, tuple)
    wrt = [positional[i] for i in (argnums if many else (argnums,))]

    every_name = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    namer = Namer(every_name | set(params) | set(dir(builtins)) | set(HELPERS))
    desugar(node, namer)
    local_names = set(params) | names_stored(node.body)
    node, result = anf(node, namer, active_names(node.body, wrt, _may_propagate), local_names)

    resolver = Resolver(source, local_names)
    active = active_names(node.body, wrt, lambda v: isinstance(v, ast.Name)
                          or resolver.resolve(v) is not None)
    reverse = Reverse(namer, resolver, active, params)
    forward = reverse.sweeps(node.body)
    D = {result} if result in active else set()
    seed = [assign(namer.adjoint(result), call("seed_grad", [name(result)]))] if D else []
    backward = reverse.backward(node.body, D)

    grads = [call("finalize_grad", [name(namer.adjoint(p)) if p in D else ast.Constant(
        value=None, kind=None), name(p)]) for p in wrt]
    grad_expr = ast.Tuple(elts=grads, ctx=ast.Load()) if many else grads[0]
    returns = ast.Return(value=ast.Tuple(elts=[name(result), grad_expr], ctx=ast.Load()))
    head = prune_saves(forward, backward + [returns], params, namer.fresh("stack"))

    args = node.args
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)
    fn_name = namer.fresh("d" + node.name)
    function, text = emit(source, fn_name, args, head, forward, seed, backward, returns)
    return Compiled(function, text, wrt)


def _may_propagate(value):
    """Rough activity before normalization: counting and comparing carry no gradient."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id not in ("range", "len", "enumerate", "zip")
    return not isinstance(value, ast.Compare)


__all__ = ["compile_gradient", "parse_and_check", "Compiled", "runtime", "names_loaded"]
