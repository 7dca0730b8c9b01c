"""The compiler pipeline: a user function in, its gradient function and source out.

Each user function goes through the same passes (`transform` below); a call to another
user function asks the Program for that function's forward/backward pair, which is then
compiled the same way, so the whole call tree shows up in `knetc.source`.
"""
import builtins
import os
import sys

from ..rules import RULES
from .activity import active_names
from .anf import anf
from .check import check
from .comprehensions import comprehensions
from .desugar import desugar
from .forwarding import forward_arguments, positional_names
from .emit import HELPERS, Comments, build, function_def
from .inplace import add_in_place
from .jumps import jumps
from .liveness import Liveness
from .aliases import check_aliases
from .mutation import mutated_names
from .naming import Namer
from .program import Program, entry_returns, pair_functions
from .resolve import Resolver
from .reverse import Reverse
from .release import computed_names, release, top_level_names
from .saves import prune_saves
from .scope import Scope
from .shadowing import unshadow
from .shapes import save_shapes_only
from .xent import fuse_xent
from .tangent import Tangent
from .syntax import ast, assign, name, names_loaded, names_stored, parse_function, to_source


def parse_and_check(fn):
    source = parse_function(fn)
    forward_arguments(source)                                      # f(*args, **kwargs)
    check(source)
    return source


def normalize(program, fn, wrt, entry):
    """The passes both modes share: `fn` parsed, checked, desugared and normalized to one
    operation a line, with what may carry a derivative from the parameters `wrt`."""
    source = parse_and_check(fn)                                   # parse, refuse
    node = source.node
    if entry:  # where a non-scalar result is reported
        last = max((n.lineno for n in ast.walk(node) if isinstance(n, ast.Return)))
        program.result_where = (source.filename, last, source.line(last).strip())
    params = [a.id for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    every_name = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    namer = Namer(every_name | set(params) | set(dir(builtins)) | set(HELPERS) | {"np"},
                  every_name)
    program.alias_maps.append(namer.aliases)
    scope = Scope(fn)
    unshadow(node, params, scope, namer)                           # `enumerate` of the user's
    comprehensions(source, namer)                                  # loops, inlined lambdas
    jumps(node, namer)                                             # break, continue, return
    desugar(node, namer)                                           # x += e, for over items
    show("desugared", fn, node)
    resolver = Resolver(source, set(params) | names_stored(node.body), namer.aliases,
                        program.self_type, scope)
    program.resolvers.append(resolver)
    check_aliases(source, node.body, resolver, params, entry)
    changed = mutated_names(node.body, resolver.mutations)  # objects changed in place
    node, result = anf(node, namer, active_names(node.body, wrt, _may_propagate,
                                                 resolver.mutations),
                       resolver.locals)                            # one operation a line
    resolver.locals = set(params) | names_stored(node.body)
    show("normalized (one operation per line)", fn, node)
    if entry and program.has_aux:  # `return loss, aux`: seed the loss
        program.whole, result = result, namer.fresh("loss")
        node.body.append(assign(result, namer.call("aux_loss", [name(program.whole)])))
    active = active_names(node.body, wrt, resolver.propagates,     # what carries gradient
                          resolver.mutations)
    show("active (may carry a gradient)", fn, ", ".join(sorted(active)))
    return source, node, params, namer, resolver, changed, result, active


def transform(program, fn, wrt, entry, mutated=(), unread=False):
    """Generate the gradient function(s) of `fn` with respect to parameter names `wrt`.

    `mutated` names parameters that `fn` mutates in place: their adjoints flow in too.
    """
    source, node, params, namer, resolver, changed, result, active = normalize(
        program, fn, wrt, entry)
    stack = namer.fresh("stack")
    reverse = Reverse(namer, resolver, active, params, program, stack)
    forward = reverse.sweeps(node.body)                            # forward sweep
    D = ({result} if result in active else set()) | set(mutated)
    if unread and result in active:  # the caller may pass None: nothing to push through
        reverse.none.add(result)
    backward = reverse.backward(node.body, D)                      # backward sweep
    grads = [name(namer.adjoint(p)) if p in D and (entry or p not in reverse.none) else
             namer.call("or_zero", [name(namer.adjoint(p)), name(p)]) if p in D else
             namer.call("zero_grad", [name(p)]) for p in wrt]
    def library_call(call):
        return _library_call(resolver, call)

    dead_code = Liveness(namer.aliases, _range_names(node.body, resolver, namer.aliases))
    if entry:
        value = program.whole or result  # has_aux: (loss, aux) as returned
        if reverse.assign_counts.get(value, 0) > 1:  # the backward sweep restores it
            value = namer.fresh("value")
            forward.append(assign(value, name(program.whole or result)))
        returns = entry_returns(namer, value, grads, wrt, program.many)
        dead_code.prune(backward, names_loaded(returns))                # unread adjoints
        fuse_xent(backward, namer.aliases, namer, names_loaded(returns))  # cross entropy
        add_in_place(backward, namer.aliases, namer)                    # owned adjoints
        save_shapes_only(forward, backward, [returns], params, namer.aliases, namer,
                         saved_only=True,                                # shape stand-ins
                         library_call=library_call)
        head = prune_saves(forward, backward, [returns], params, stack, own_stack=True)
        seed = ([assign(namer.adjoint(result), namer.call("seed_grad", [name(result)]))]
                if result in active else [])
        release(backward, [returns], namer.aliases,                      # free early
                computed_names(forward, library_call), top_level_names(forward + seed))
        args = _without_defaults(node.args)
        body = (head + [program.comments.marker("forward sweep")]
                + program.comments.annotate(forward, source, "")
                + ([program.comments.marker("backward sweep")] if seed else []) + seed
                + program.comments.annotate(backward, source, "grad of: ") + [returns])
        return [(program.entry_name(node.name), function_def(program.entry_name(node.name),
                                                             args, body))]
    incoming = [namer.adjoint(m) for m in mutated]
    dead_code.prune(backward, names_loaded(grads))                      # unread adjoints
    fuse_xent(backward, namer.aliases, namer, names_loaded(grads) | set(incoming))
    add_in_place(backward, namer.aliases, namer)                        # owned adjoints
    save_shapes_only(forward, backward, grads, params, namer.aliases, namer,  # stand-ins
                     library_call=library_call)
    return pair_functions(program, source, node, params, namer, result, forward,
                          backward, grads, stack, incoming, changed,
                          computed_names(forward, library_call))


def transform_tangent(program, fn, wrt, entry, mutated=(), unread=False):
    """Generate the tangent (forward-mode) function of `fn` for the parameters `wrt`:
    `fn_jvp(*tangents, *args) -> (result, result_dot)`, one tangent per name in `wrt`."""
    source, node, params, namer, resolver, _, result, active = normalize(
        program, fn, wrt, entry)
    tangent = Tangent(namer, resolver, active, program)
    for p in wrt:  # the parameters' tangents get the plain names
        tangent.dot(p)
    still = tangent.start_none(node.body, [p for p in params if p in active and p not in wrt])
    body = tangent.block(node.body)
    out = (tangent.of(name(result)) if result in active else
           namer.call("zero_tangent", [name(result)]))
    args = _without_defaults(node.args)
    args.args = [name(tangent.dot(p), store=True) for p in wrt] + args.args  # tangents first
    for a in args.args:
        a.ctx = ast.Param()
    returned = out if entry and program.only_tangent else ast.Tuple(elts=[name(result), out],
                                                                     ctx=ast.Load())
    body = still + program.comments.annotate(body, source, "") + [ast.Return(value=returned)]
    fn_name = program.entry_name(node.name) if entry else program.pairs[program.current][0]
    return [(fn_name, function_def(fn_name, args, body))]


class TangentProgram(Program):
    """The tangent functions of one jvp: the entry `loss_jvp` and one per called function."""
    suffixes = ("_jvp",)
    prefix, suffix = "", "_jvp"
    only_tangent = False


def compile_jvp(fn, argnums, self_type=None, only_tangent=False):
    """Compile `fn_jvp(*tangents, *args) -> (value, tangent)` for positional `argnums`; with
    `only_tangent`, `fn_tangent(*tangents, *args) -> tangent` (what an HVP differentiates)."""
    program = TangentProgram(fn, argnums, transform_tangent)
    program.self_type = self_type
    program.only_tangent = only_tangent
    if only_tangent:
        program.suffix = "_tangent"
    compiled = program.compile(build)
    show("generated", fn, compiled.text)
    return compiled


def show(stage, fn, what):
    """With KNETC_VERBOSE=1 in the environment, print each stage of the compilation."""
    if os.environ.get("KNETC_VERBOSE", "") not in ("", "0"):
        text = what if isinstance(what, str) else to_source(what)
        print(f"--- knetc: {fn.__qualname__}, {stage}\n{text}", file=sys.stderr)


def compile_gradient(fn, argnums, self_type=None, has_aux=False):
    """Compile the value-and-gradient function of `fn` for positional arguments `argnums`;
    for a method, `self_type` is the class its `self.method()` calls are looked up in; with
    `has_aux`, fn returns (loss, aux) and the loss is differentiated."""
    program = Program(fn, argnums, transform)
    program.self_type = self_type
    program.has_aux = has_aux
    compiled = program.compile(build)
    show("generated", fn, compiled.text)
    return compiled


def compile_pair(fn):
    """The (forward, backward) functions of `fn` differentiated in all its positional
    parameters, for a method found only at run time (`layer.apply(x)`)."""
    program = Program(fn, tuple(range(len(positional_names(fn)))), transform)
    return program.compile(build, entry=False)


def _range_names(body, resolver, aliases):
    """Names of loop sequences assigned from the builtin `range(...)` (distinct items)."""
    out = set()
    for stmt in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) \
                and isinstance(stmt.value.func, ast.Name) \
                and isinstance(stmt.targets[0], ast.Name):
            func = stmt.value.func
            if func.id in aliases:
                is_range = aliases[func.id] is builtins.range
            else:
                is_range = func.id == "range" and func.id not in resolver.locals \
                    and _lookup(resolver, func) is builtins.range
            if is_range:
                out.add(stmt.targets[0].id)
    loops = {s.iter.id for s in ast.walk(ast.Module(body=body, type_ignores=[]))
             if isinstance(s, ast.For) and isinstance(s.iter, ast.Name)}
    assigned = {}
    for t in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store):
            assigned[t.id] = assigned.get(t.id, 0) + 1
    return {n for n in out & loops if assigned.get(n) == 1}


def _library_call(resolver, call):
    """Whether `call` calls one of knetc's operators with an adjoint rule (`conv4`, `relu`,
    `logp`, ...), which return new arrays (or views of their argument)."""
    func = call.func
    if not isinstance(func, ast.Name) or func.id in resolver.locals:
        return False
    obj = _lookup(resolver, func)
    return getattr(obj, "__module__", None) in ("knetc.nn", "knetc.conv") \
        and _hashable_rule(obj)


def _hashable_rule(obj):
    try:
        return obj in RULES
    except TypeError:
        return False


def _lookup(resolver, func):
    try:
        return resolver.lookup(func)
    except Exception:
        return None


def _without_defaults(args):
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)
    return args


def _may_propagate(value):
    """Rough activity before normalization: counting and comparing carry no gradient."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id not in ("range", "len")
    return not isinstance(value, ast.Compare)


__all__ = ["compile_gradient", "compile_jvp", "compile_pair", "parse_and_check", "Comments"]
