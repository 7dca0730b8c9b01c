"""All the functions generated for one gradient: the entry point, plus a forward/backward pair
for each user function it calls (once per pattern of differentiated arguments).

    def predict(w, x): ...                 def predict_forward(stack, w, x): ...
    def loss(w, x, y):               ->    def predict_backward(stack, dresult): ...
        ... predict(w, x) ...              def dloss(w, x, y): ... predict_forward(stack, w, x)

The pair shares the caller's stack: the forward function pushes what its backward function
will need, so nested and recursive calls unwind in order.
"""
import re
import types

from .emit import Comments, function_def
from .forwarding import defaults, positional_names
from .release import release
from .saves import prune_saves
from .scope import Dependencies
from .syntax import assign, ast, call, name, names_loaded


class Compiled:
    """A generated gradient: `function(*args) -> (value, gradient)` and its source text.

    `deps` records what each name and attribute chain the code was compiled against
    resolved to (scope.py); if one now resolves differently (a function redefined in a
    notebook, `helpmod.act = np.exp`, a method replaced on its class), the code is stale.
    """

    def __init__(self, function, text, wrt, deps=()):
        self.function = function
        self.text = text
        self.wrt = wrt
        self.deps = Dependencies(deps)
        self.stale = self.deps.stale


class Program:
    suffixes = ("_forward", "_backward")  # the names of a called function's generated pair
    prefix, suffix = "d", ""              # the entry function's name: `dloss`
    has_aux = False                       # the entry differentiates loss of (loss, aux)
    whole = None                          # ... and returns that pair, this variable

    def __init__(self, fn, argnums, transform):
        self.fn = fn
        self.transform = transform
        self.many = isinstance(argnums, tuple)
        positional = positional_names(fn)
        try:
            self.wrt = [positional[i] for i in (argnums if self.many else (argnums,))]
        except IndexError:
            raise ValueError(f"argnums={argnums} but {fn.__name__} takes "
                             f"{len(positional)} positional arguments") from None
        self.comments = Comments()
        self.self_type = None
        self.pairs = {}      # (function, active parameter names) -> (forward, backward)
        self.pending = []
        self.uses = {}     # key -> call sites that use the pair (none: not generated)
        self.skipped = set()  # keys passed over with no call site (yet)
        self.names = set()
        self.alias_maps = []  # per function: name in generated code -> runtime helper
        self.resolvers = []   # per function: what its calls resolved to

    def fresh(self, base):
        candidate, k = base, 2
        while candidate in self.names:
            candidate, k = f"{base}_{k}", k + 1
        self.names.add(candidate)
        return candidate

    def entry_name(self, fn_name):
        if not hasattr(self, "_entry"):
            self._entry = self.fresh(self.prefix + fn_name + self.suffix)
        return self._entry

    def request(self, fn, active, mutated=(), unread=False):
        """Names of the forward/backward pair of `fn` differentiated in parameters `active`,
        of which it mutates `mutated` in place; with `unread`, a backward that may be given
        None (nothing read the result) and then pushes nothing through its rules."""
        key = (fn, tuple(active), tuple(mutated), unread)
        self.uses[key] = self.uses.get(key, 0) + 1
        if key not in self.pairs:
            base = re.sub(r"\W", "", fn.__name__) or "function"  # `<lambda>` -> `lambda`
            self.pairs[key] = tuple(self.fresh(base + s) for s in self.suffixes)
            self.pending.append(key)
        elif key in self.skipped:  # passed over while unused; a later function calls it
            self.skipped.discard(key)
            self.pending.append(key)
        return self.pairs[key]

    def unrequest(self, fn, active, mutated=()):
        """A call site that asked for the plain pair now calls the `unread` one instead."""
        self.uses[(fn, tuple(active), tuple(mutated), False)] -= 1

    def compile(self, build, entry=True):
        """Generate the entry function and every pair it needs; build them all. With
        entry=False, only the forward/backward pair of the function itself (for calls whose
        function is found at run time)."""
        if entry:
            defs = self._transform(self.fn, self.wrt, True)
        else:
            self.request(self.fn, self.wrt)
            defs = []
        while self.pending:
            fn, active, mutated, unread = self.current = self.pending.pop(0)
            if not self.uses[self.current]:
                self.skipped.add(self.current)  # every call site so far switched to the other
                continue
            defs += self._transform(fn, list(active), False, mutated, unread)
        texts = [(fn_name, *self.comments.render(node)) for (fn_name, node), _, _ in defs]
        loads = [names_loaded(node) for (_, node), _, _ in defs]  # the text's, not re-parsed
        cells = {fn_name: types.CellType() for fn_name, _, _ in texts}
        for (fn_name, text, where), (_, user_fn, aliases), read in zip(texts, defs, loads):
            function = build(text, where, fn_name, user_fn, cells, aliases, read)
            if not fn_name.endswith("_backward") or (entry and fn_name == texts[0][0]):
                function.__defaults__, function.__kwdefaults__ = defaults(user_fn)
            cells[fn_name].cell_contents = function
        if entry:
            function = cells[texts[0][0]].cell_contents
            texts = texts[1:] + texts[:1]  # callees first, then the gradient itself
        else:
            fwd, bwd = self.pairs[(self.fn, tuple(self.wrt), (), False)]
            function = (cells[fwd].cell_contents, cells[bwd].cell_contents)
        deps = {k: v for r in self.resolvers for k, v in r.deps.items()}
        compiled = Compiled(function, "\n\n".join(text for _, text, _ in texts), self.wrt,
                            deps.values())
        compiled.result_where = getattr(self, "result_where", None)
        return compiled

    def _transform(self, fn, wrt, entry, mutated=(), unread=False):
        made = self.transform(self, fn, wrt, entry, mutated, unread)
        return [(d, fn, self.alias_maps[-1]) for d in made]


def entry_returns(namer, result, grads, wrt, many):
    finals = [namer.call("finalize_grad", [g, name(p)]) for g, p in zip(grads, wrt)]
    grad_expr = ast.Tuple(elts=finals, ctx=ast.Load()) if many else finals[0]
    return ast.Return(value=ast.Tuple(elts=[name(result), grad_expr], ctx=ast.Load()))


def pair_functions(program, source, node, params, namer, result, forward, backward,
                   grads, stack, incoming, changed, computed=()):
    """The forward and backward functions of a called user function; `computed` names the
    forward values that hold arrays it computed (freed early in the backward)."""
    fwd_name, bwd_name = program.pairs[program.current]
    returns = ast.Return(value=grads[0] if len(grads) == 1 else
                         ast.Tuple(elts=grads, ctx=ast.Load()))
    head = prune_saves(forward, backward, [returns], params, stack, own_stack=False)
    loads = names_loaded(backward + [returns])
    order = params + [n for s in forward for n in _stored_in_order(s)]
    saved = [v for v in dict.fromkeys(order) if v in loads and v != stack]
    surely = set(params) | {s.targets[0].id for s in forward
                            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)}
    maybe_unbound = [v for v in saved if v not in surely]
    if maybe_unbound:  # assigned only inside a branch or loop: give it a value to save
        inits = [s for s in head if isinstance(s.value, ast.Constant)]  # the `a = b = None`
        if inits:
            have = {t.id for t in inits[0].targets}
            inits[0].targets += [name(v, store=True) for v in maybe_unbound if v not in have]
        else:
            head.append(ast.Assign(targets=[name(v, store=True) for v in maybe_unbound],
                                   value=ast.Constant(value=None, kind=None), type_comment=None))
    # a list passed in, or changed here, may be changed again by the caller after this
    # returns (one more append): save its items as they are now
    keep = ast.Tuple(elts=[namer.call("frozen", [name(v)]) if v in changed or v in params
                           else name(v) for v in saved], ctx=ast.Load())
    push = [ast.Expr(value=call(ast.Attribute(value=name(stack), attr="append",
                                              ctx=ast.Load()), [keep]))] if saved else []
    pop = [assign(ast.Tuple(elts=[name(v, store=True) for v in saved], ctx=ast.Store()),
                  call(ast.Attribute(value=name(stack), attr="pop", ctx=ast.Load()), []))
           ] if saved else []
    comments = program.comments
    fwd_args = node.args
    fwd_args.args = [name(stack, store=True)] + fwd_args.args
    fwd_args.defaults, fwd_args.kw_defaults = [], [None] * len(fwd_args.kwonlyargs)
    for a in fwd_args.args:
        a.ctx = ast.Param()
    fwd_body = head + comments.annotate(forward, source, "") + push + [
        ast.Return(value=name(result))]
    bwd_args = ast.arguments(args=[name(stack, store=True), name(namer.adjoint(result))]
                             + [name(d) for d in incoming],
                             posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                             kwarg=None, defaults=[])
    for a in bwd_args.args:
        a.ctx = ast.Param()
    release(backward, [returns], namer.aliases, set(computed) & set(saved), set(saved))
    bwd_body = pop + comments.annotate(backward, source, "grad of: ") + [returns]
    return [(fwd_name, function_def(fwd_name, fwd_args, fwd_body)),
            (bwd_name, function_def(bwd_name, bwd_args, bwd_body))]


def _stored_in_order(stmt):
    out = []
    for sub in ast.walk(stmt):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            out.append(sub.id)
    return out
