"""Generate the forward and backward sweeps of a normalized function.

The forward sweep is the user's code, plus `save(v)` before each assignment that
overwrites a value the backward sweep may need. The backward sweep visits the statements
in reverse, pasting each operation's adjoint rule and then `restore(v)`, so that when the
adjoint of a statement runs every variable holds the value it had right after that
statement ran. Loops run backwards; branches take the recorded condition.

    y = np.sin(x)          forward:  y = np.sin(x)
    return y               backward: dy = seed_grad(y)
                                     dx = dy * np.cos(x)

Adjoints are assigned on first contribution and accumulated after (`dx = dx + ...`);
`zero_grad(v)` appears only where loops join paths that disagree about whether an adjoint
holds a value yet. An adjoint that may hold None at run time (a container item nothing
wrote, a branch that did not write it, an unread result of a call) is a zero that is never
pushed through a rule: its rule runs under `if dv is not None:`, so that a rule like
sqrt's never computes 0 * inf.

    a, b = pair(x)         backward: db = unpack_grad(dpair, 1, b)
    return np.sum(a)                 if db is not None:
                                         dx = db * 0.5 / b
"""
import inspect

from .emit import HELPERS
from ..rules import NONDIFF_PARAMS
from .mutation import mutated_params
from .resolve import MethodCall, UserCall, user_function
from .syntax import assign, ast, call, const, copy, expr_text, name, names_loaded

SAVE, RESTORE = "__save__", "__restore__"            # dropped if the backward never reads v
SNAPSHOT, UNSNAPSHOT = "__snapshot__", "__unsnapshot__"  # always kept (checks the container)
MAY_GIVE_NONE = {"unpack_grad", "item_grad"}  # helpers whose adjoint may be None (unwritten)


def save(var):
    return ast.Expr(value=call(SAVE, [name(var)]))


def restore(var):
    return assign(var, call(RESTORE, []))


def snap(namer, var):
    return ast.Expr(value=call(SNAPSHOT, [namer.call("snapshot", [name(var)])]))


def unsnap(var):
    return assign(var, call(UNSNAPSHOT, []))


def _is_append(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append"


def _mutated_root(stmt):
    """The container a normalized `s[i] = v` or `s.append(v)` mutates, else None."""
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
        return stmt.targets[0].value.id
    if _is_append(stmt):
        return stmt.value.func.value.id
    return None


def zero(namer, var):
    return assign(namer.adjoint(var), namer.call("zero_grad", [name(var)]))


def nothing(namer, var):
    return assign(namer.adjoint(var), const(None))


def is_not_none(var):
    return ast.Compare(left=name(var), ops=[ast.IsNot()], comparators=[const(None)])


class Reverse:
    def __init__(self, namer, resolver, active, params, program, stack):
        self.namer = namer
        self.resolver = resolver
        self.active = active          # names that may carry a gradient (precise, on ANF)
        self.params = set(params)
        self.program = program        # asked for the generated pair of each called function
        self.stack = stack
        self.counters = {}
        self.calls = {}               # id(statement) -> (UserCall, wrt, mutated, backward)

    def sweeps(self, body):
        """(forward statements, backward statements given D) for a normalized body."""
        self.assign_counts = _assign_counts(body, self.params)
        self.maybe_defined = set(self.params)
        self.saves = {}  # id(statement) -> whether the forward sweep saved its target
        self.none = set()  # variables whose adjoint may be None at run time (see docstring)
        return self.forward(body, 0)

    # forward ----------------------------------------------------------------------------
    def needs_save(self, var, depth):
        """Save `var` before assigning it if an older value may exist and be needed."""
        if depth == 0 and var not in self.maybe_defined:
            return False  # the first assignment at top level overwrites nothing
        return depth > 0 or self.assign_counts.get(var, 0) > 1

    def forward(self, stmts, depth):
        out = []
        for s in stmts:
            root = _mutated_root(s)
            if root is not None:
                out += [_at(snap(self.namer, root), s), s]
            elif isinstance(s, ast.Assign):
                var = s.targets[0].id
                self.saves[id(s)] = self.needs_save(var, depth)
                if self.saves[id(s)]:
                    out.append(_at(save(var), s))
                self.maybe_defined.add(var)
                out += self.forward_call(s)
            elif isinstance(s, ast.If):
                out.append(_at(ast.If(test=s.test, body=self.forward(s.body, depth),
                                      orelse=self.forward(s.orelse, depth)), s))
            elif isinstance(s, ast.For):
                var = s.target.id
                self.saves[id(s)] = self.needs_save(var, depth)
                if self.saves[id(s)]:
                    out.append(_at(save(var), s))
                self.maybe_defined.add(var)
                out.append(_at(ast.For(target=s.target, iter=s.iter,
                                       body=self.forward(s.body, depth + 1), orelse=[],
                                       type_comment=None), s))
            elif isinstance(s, ast.While):
                counter = self.namer.fresh("iterations")
                self.counters[id(s)] = counter
                if depth > 0:
                    out.append(_at(save(counter), s))
                out.append(_at(assign(counter, const(0)), s))
                bump = _at(assign(counter, ast.BinOp(left=name(counter), op=ast.Add(),
                                                     right=const(1))), s)
                out.append(_at(ast.While(test=s.test, body=[bump] + self.forward(s.body,
                                                                                 depth + 1),
                                         orelse=[]), s))
            else:
                out.append(s)
        return out

    def forward_call(self, s):
        """`y = f(a, b)` for a user function f becomes `y = f_forward(stack, a, b)`."""
        value = s.value
        if not (isinstance(value, ast.Call) and names_loaded(value) & self.active):
            return [s]
        binding = self.resolver.resolve(value)
        if isinstance(value.func, ast.Name) and value.func.id in self.resolver.locals:
            # `f(x)` through a variable (a callable object, perhaps holding parameters, or a
            # function with a rule): a callable object's __call__ runs as a method with `self`
            # active, found at run time
            if value.keywords:
                raise self.resolver._error(value, f"`{expr_text(value)}`: a call of a "
                                           "differentiated value with keyword arguments",
                                           "pass the arguments by position")
            binding = MethodCall(value.func, "__call__", value.args)
        if isinstance(binding, MethodCall):
            self.calls[id(s)] = binding
            for k in binding.keywords:  # its adjoint comes back for the positional ones only
                if isinstance(k.value, ast.Name) and k.value.id in self.active:
                    raise self.resolver._error(value, f"`{expr_text(value)}`: a "
                                               "differentiated value passed by keyword to a "
                                               "method found at run time",
                                               f"pass `{k.value.id}` by position")
            new = call(self.namer.helper("method_forward"),
                       [name(self.stack), binding.obj, const(binding.attr)] + binding.args)
            new.keywords = list(binding.keywords)
            return [_at(assign(s.targets[0].id, new), s)]
        if not isinstance(binding, UserCall):
            return [s]
        changed = mutated_params(binding.fn, user_function)
        mutated = [p for p, arg in binding.args.items()
                   if p in changed and isinstance(arg, ast.Name)]
        wrt = [p for p, arg in binding.args.items() if p in mutated or (
            isinstance(arg, ast.Name) and arg.id in self.active)]
        fwd, bwd = self.program.request(binding.fn, wrt, mutated)
        new = ast.Call(func=name(fwd), args=[name(self.stack)] + binding.call.args,
                       keywords=binding.call.keywords)
        self.calls[id(s)] = (binding, wrt, mutated, bwd, new)
        snaps = [_at(snap(self.namer, binding.args[p].id), s) for p in mutated]
        return snaps + [_at(assign(s.targets[0].id, new), s)]

    def backward_method(self, var, binding, D):
        """`dobj, dx = method_backward(stack, dy)`, added into the active operands."""
        dvar = self.given(var, D)
        operands = [binding.obj] + binding.args
        outs = [self.namer.fresh(f"d{a.id}_{binding.attr}") if isinstance(a, ast.Name)
                and a.id in self.active else "_" for a in operands]
        target = ast.Tuple(elts=[name(o, store=True) for o in outs], ctx=ast.Store())
        code = [assign(target, self.namer.call("method_backward", [name(self.stack), dvar]))]
        for a, out in zip(operands, outs):
            if out != "_":
                code += self.accumulate(a.id, name(out), D)
        return code

    def backward_call(self, var, s, D):
        """`da, db = f_backward(stack, dy)`, added into the arguments' adjoints.

        An argument that f mutates also passes its adjoint in, and gets back the adjoint
        of the value it had before the call.
        """
        binding, wrt, mutated, bwd, forward = self.calls[id(s)]
        if var not in D or var in self.none:  # a backward that skips a None adjoint
            fwd, bwd = self.program.request(binding.fn, wrt, mutated, unread=True)
            self.program.unrequest(binding.fn, wrt, mutated)
            forward.func = name(fwd)
            dvar = name(self.namer.adjoint(var)) if var in D else const(None)
        else:
            dvar = name(self.namer.adjoint(var))
        incoming = [self.given(binding.args[p].id, D) for p in mutated]
        args = [binding.args[p].id for p in wrt]
        direct = len(set(args)) == len(args) and not (set(args) - {
            binding.args[p].id for p in mutated}) & D
        outs = [self.namer.adjoint(a) if direct or p in mutated else
                self.namer.fresh(f"d{a}_{binding.fn.__name__}") for p, a in zip(wrt, args)]
        target = (name(outs[0], store=True) if len(outs) == 1 else
                  ast.Tuple(elts=[name(o, store=True) for o in outs], ctx=ast.Store()))
        code = [assign(target, call(bwd, [name(self.stack), dvar] + incoming))]
        for p, a, out in zip(wrt, args, outs):
            if direct or p in mutated:
                D.add(a)
            else:
                code += self.accumulate(a, name(out), D)
        return code + [unsnap(binding.args[p].id) for p in reversed(mutated)]

    def given(self, var, D):
        """The adjoint of var as an expression that is never None (for runtime helpers)."""
        if var not in D:
            return self.namer.call("zero_grad", [name(var)])
        if var in self.none:
            return self.namer.call("or_zero", [name(self.namer.adjoint(var)), name(var)])
        return name(self.namer.adjoint(var))

    # backward ---------------------------------------------------------------------------
    def backward(self, stmts, D, depth=0):
        out = []
        for s in reversed(stmts):
            out.extend(_at(b, s) for b in self.backward_stmt(s, D, depth))
        return out

    def backward_stmt(self, s, D, depth):
        root = _mutated_root(s)
        if root is not None:  # s[i] = v, s.append(v)
            binding = (self.resolver.setitem(s) if isinstance(s, ast.Assign)
                       else self.resolver.resolve(s.value))
            code = self.adjoint(root, None, D, binding) if root in D else []
            return code + [unsnap(root)]
        if isinstance(s, ast.Assign):
            var = s.targets[0].id
            if isinstance(self.calls.get(id(s)), MethodCall):
                code = self.backward_method(var, self.calls[id(s)], D)
            elif id(s) in self.calls:
                code = self.backward_call(var, s, D)
            elif var in D and var in self.active:
                code = self.adjoint(var, s.value, D)
            else:
                code = []
            if self.saves[id(s)]:
                code.append(restore(var))
            D.discard(var)
            self.none.discard(var)
            return code
        if isinstance(s, ast.If):
            d_then, d_else = set(D), set(D)
            none = set(self.none)
            body = self.backward(s.body, d_then, depth)
            none_then, self.none = self.none, none
            orelse = self.backward(s.orelse, d_else, depth)
            body += [nothing(self.namer, v) for v in sorted(d_else - d_then)]
            orelse += [nothing(self.namer, v) for v in sorted(d_then - d_else)]
            self.none |= none_then | (d_then ^ d_else)
            D.clear()  # what either path leaves assigned (both may have killed some)
            D.update(d_then | d_else)
            if not body and not orelse:
                return []
            return [ast.If(test=s.test, body=body or [ast.Pass()], orelse=orelse)]
        if isinstance(s, (ast.For, ast.While)):
            carried = _exposed(s.body) & self.active
            inits = [zero(self.namer, v) for v in sorted(carried - D)]
            D |= carried
            d_body = set(D)
            none = set(self.none)
            body = self.backward(s.body, d_body, depth + 1)
            body += [zero(self.namer, v) for v in sorted(D - d_body)]
            # the next iteration expects what the first one found: no new None adjoints
            body += [assign(self.namer.adjoint(v), self.given(v, d_body))
                     for v in sorted((self.none - none) & D & d_body)]
            self.none = none
            if isinstance(s, ast.For):
                header = dict(target=s.target, iter=self.namer.call_builtin("reversed", [s.iter]))
                after = [restore(s.target.id)] if self.saves[id(s)] else []
                D.discard(s.target.id)
            else:
                counter = self.counters[id(s)]
                header = dict(target=name(self.namer.fresh("_"), store=True),
                              iter=self.namer.call_builtin("range", [name(counter)]))
                after = [restore(counter)] if depth > 0 else []
            if not body:
                return after
            loop = ast.For(body=body, orelse=[], type_comment=None, **header)
            return inits + [loop] + after
        return []  # print(...), assert: forward only

    def adjoint(self, var, value, D, binding=None):
        """Statements adding the adjoint of `var = value` into its operands' adjoints; under
        `if dvar is not None:` where the adjoint may be None (nothing to push through)."""
        if var not in self.none:
            return self.contributions(var, value, D, binding)
        before, none = set(D), set(self.none)
        code = self.contributions(var, value, D, binding)
        if not code:
            return []
        new = sorted(D - before)  # first written under the test: None where it fails
        self.none = none | set(new)
        return [nothing(self.namer, v) for v in new] + [
            ast.If(test=is_not_none(self.namer.adjoint(var)), body=code, orelse=[])]

    def contributions(self, var, value, D, binding=None):
        dvar = name(self.namer.adjoint(var))
        if binding is None:
            if isinstance(value, ast.Name):
                return self.accumulate(value.id, dvar, D) if value.id in self.active else []
            if not names_loaded(value) & self.active:
                return []
            binding = self.resolver.resolve(value)
            if binding is None:
                return []
        rule = binding.rule
        subst = {h: name(self.namer.helper(h)) for h in rule.helpers if h in HELPERS}
        if rule.namespace is not None:  # a user's rule: its names mean what they mean there
            for n in rule.helpers - set(HELPERS) - {"np"}:
                if n in rule.namespace:
                    subst[n] = name(self.namer.bind(n, rule.namespace[n]))
        subst.update({rule.result: name(var), "d" + rule.result: dvar})
        subst.update({p: ast.Tuple(elts=list(v), ctx=ast.Load()) if isinstance(v, tuple) else v
                      for p, v in binding.args.items()})
        self.check_covered(binding, value)
        code = []
        for param, template in rule.body.items():
            if param == rule.result:  # a mutation updates the adjoint of its container
                code.append(assign(dvar.id, _substitute(template, subst)))
                continue
            arg = binding.args.get(param)
            kind = rule.signature.parameters[param].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                for k, item in enumerate(arg or ()):
                    if isinstance(item, ast.Name) and item.id in self.active:
                        key = const(k) if binding.keys is None else binding.keys[k]
                        expr = _substitute(template, dict(subst, i=key, item=item))
                        code += self.accumulate(item.id, expr, D, _may_give_none(template))
                continue
            if isinstance(arg, ast.Name) and arg.id in self.active:
                self_target = "d" + param
                if self_target in names_loaded(template):  # the rule accumulates by itself
                    own = name(self.namer.adjoint(arg.id)) if arg.id in D else const(None)
                    expr = _substitute(template, dict(subst, **{self_target: own}))
                    code.append(assign(self.namer.adjoint(arg.id), expr))
                    D.add(arg.id)
                else:
                    code += self.accumulate(arg.id, _substitute(template, subst), D,
                                            _may_give_none(template))
        return code

    def check_covered(self, binding, value):
        """A differentiated value passed where the rule has no adjoint is an error, never a
        silent zero."""
        rule = binding.rule
        for param, arg in binding.args.items():
            if param in rule.body or param in NONDIFF_PARAMS:
                continue
            items = arg if isinstance(arg, tuple) else (arg,)
            if any(isinstance(a, ast.Name) and a.id in self.active for a in items):
                raise self.resolver.uncovered(value, rule, param)

    def accumulate(self, var, expr, D, maybe_none=False):
        """`dvar = expr`, or `dvar = dvar + expr` once it holds a value; `add_grads` where
        either side may be None."""
        dvar = self.namer.adjoint(var)
        if var in D and (maybe_none or var in self.none):
            expr = self.namer.call("add_grads", [name(dvar), expr])
            if not maybe_none:
                self.none.discard(var)
        elif var in D:
            expr = ast.BinOp(left=name(dvar), op=ast.Add(), right=expr)
        elif maybe_none:
            self.none.add(var)
        D.add(var)
        return [assign(dvar, expr)]


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        return copy(self.mapping[node.id]) if node.id in self.mapping else node


def _substitute(template, mapping):
    """A copy of `template` with names replaced; replacements are not searched again."""
    return _Substitute(mapping).visit(copy(template))


def _may_give_none(template):
    return isinstance(template, ast.Call) and isinstance(template.func, ast.Name) \
        and template.func.id in MAY_GIVE_NONE


def _at(new, old):
    if hasattr(old, "lineno"):
        ast.copy_location(new, old)
    return new


def _assign_counts(body, params):
    counts = {p: 1 for p in params}
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    if isinstance(t, ast.Name):
                        counts[t.id] = counts.get(t.id, 0) + 1
            elif isinstance(sub, ast.For):
                counts[sub.target.id] = counts.get(sub.target.id, 0) + 1
    return counts


def _exposed(body, defined=()):
    """Names read in `body` before the body itself assigns them (loop-carried values)."""
    defined, exposed = set(defined), set()
    for stmt in body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            exposed |= names_loaded(stmt.value) - defined
            defined.add(stmt.targets[0].id)
        elif isinstance(stmt, ast.If):
            exposed |= names_loaded(stmt.test) - defined
            exposed |= _exposed(stmt.body, defined) | _exposed(stmt.orelse, defined)
        elif isinstance(stmt, ast.For):
            exposed |= names_loaded(stmt.iter) - defined
            exposed |= _exposed(stmt.body, defined | {stmt.target.id})
        elif isinstance(stmt, ast.While):
            exposed |= names_loaded(stmt.test) - defined
            exposed |= _exposed(stmt.body, defined)
        else:
            exposed |= names_loaded(stmt) - defined
    return exposed
