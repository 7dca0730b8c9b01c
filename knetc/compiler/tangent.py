"""Forward mode: the tangent-linear code of a normalized function.

Each statement that may carry a derivative is followed by its tangent, from the forward
rule (`y_dot = ...`) in the primitive's row of the rule table, with the user's names:

    y = np.sin(x)          y = np.sin(x)
                           y_dot = x_dot * np.cos(x)

Control flow is the user's own: loops, branches and calls run once, with the tangents
beside the values (no stack, no second sweep). Terms of operands that carry no tangent are
dropped when the code is generated (`a_dot * b + a * b_dot` is `a * b_dot` for a constant
`a`), and `match_tangent` restores the result's shape where a dropped term would have
broadcast it. A call to another user function calls that function's own tangent function.
"""
import inspect

from ..errors import KnetcError
from ..rules import NONDIFF_PARAMS, RULES
from .activity import differentiable_loads
from .emit import HELPERS
from .resolve import MethodCall, UserCall
from .reverse import _mutated_root, _substitute
from .linear import prune as _prune
from .syntax import assign, ast, const, copy, expr_text, name, names_loaded


class Tangent:
    def __init__(self, namer, resolver, active, program):
        self.namer = namer
        self.resolver = resolver
        self.active = active
        self.program = program  # asked for the tangent function of each called function
        self.names = {}
        self.none = set()  # variables whose tangent may be None at run time: zero, not made

    def start_none(self, body, names):
        """Give the parameters `names` (active, but not differentiated: `x` in
        `x = relu(w @ x)`) the tangent None instead of an array of zeros, so that the terms
        they would feed are skipped at run time (`if x_dot is None:`), or zeros where they
        are changed in place; returns those first statements. Which other tangents may then
        be None is found by a fixpoint."""
        mutated = set()  # changed in place here or by a callee: their tangents must exist
        for stmt in ast.walk(ast.Module(body=body, type_ignores=[])):
            root = _mutated_root(stmt) if isinstance(stmt, (ast.Assign, ast.Expr)) else None
            if root is not None:
                mutated.add(root)
            if isinstance(stmt, ast.Call):
                mutated.update(self.resolver.mutations(stmt))
        self.none = {n for n in names if n not in mutated}
        changed = True
        while changed:
            changed = False
            for stmt in ast.walk(ast.Module(body=body, type_ignores=[])):
                if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)):
                    continue
                var, value = stmt.targets[0].id, stmt.value
                if var in self.none or var not in self.active or var in mutated:
                    continue
                if isinstance(value, ast.Name) and value.id in self.none or \
                        self.rule_is_zero_without_none(value):
                    self.none.add(var)
                    changed = True
        return [assign(self.dot(n), const(None)) if n in self.none else self.zero(n)
                for n in names]

    def rule_is_zero_without_none(self, value):
        if isinstance(value, ast.Call) and not names_loaded(value) & self.active:
            return False
        try:
            binding = self.resolver.resolve(value) if not isinstance(value, ast.Name) else None
        except KnetcError:  # refused: reported where the statement is generated
            return False
        if binding is None or not hasattr(binding, "rule") or binding.rule.tangent is None:
            return False
        zeros = set()
        for param, arg in binding.args.items():
            if not isinstance(arg, ast.Name) or arg.id not in self.active or arg.id in self.none:
                zeros.add(param + "_dot")
        dots = {p + "_dot" for p in binding.rule.signature.parameters}
        return _prune(copy(binding.rule.tangent), zeros, dots)[0] is None

    def dot(self, var):
        """The tangent variable of `var`: `x_dot` for `x`, the same name every time."""
        if var not in self.names:
            self.names[var] = self.namer.fresh(var + "_dot")
        return self.names[var]

    def of(self, node):
        """The tangent of an operand as an expression, or None if it carries none."""
        if isinstance(node, ast.Name):
            if node.id in self.none:  # zeros where it is None (a container, a call needs it)
                return ast.IfExp(test=_is_none(self.dot(node.id)), body=self.zero_of(node),
                                 orelse=name(self.dot(node.id)))
            return name(self.dot(node.id)) if node.id in self.active else None
        if isinstance(node, tuple):  # *items: every item's tangent, zeros where none
            tangents = [self.of(item) for item in node]
            if all(t is None for t in tangents):
                return None
            return ast.Tuple(elts=[t if t is not None else self.zero_of(item)
                                   for t, item in zip(tangents, node)], ctx=ast.Load())
        if not differentiable_loads(node) & self.active:  # `y.shape[1]`, `len(x) - 1`
            return None
        raise self.resolver._error(node, f"`{expr_text(node)}` as an operand", "assign it to a "
                                   "variable first")

    def zero_of(self, node):
        return self.namer.call("zero_tangent", [copy(node)])

    def zero(self, var):
        return assign(self.dot(var), self.zero_of(name(var)))

    # statements -------------------------------------------------------------------------
    def block(self, stmts):
        out = []
        for s in stmts:
            out += [_at(new, s) for new in self.statement(s)]
        return out

    def statement(self, s):
        root = _mutated_root(s)
        if root is not None:
            return self.mutation(s, root)
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            return self.assignment(s)
        if isinstance(s, ast.If):
            return [ast.If(test=s.test, body=self.block(s.body) or [ast.Pass()],
                           orelse=self.block(s.orelse))]
        if isinstance(s, ast.For):
            if s.target.id in self.active:
                raise self.resolver._error(s, "a loop over differentiated values",
                                           "loop over indices")
            return [ast.For(target=s.target, iter=s.iter, body=self.block(s.body) or
                            [ast.Pass()], orelse=[], type_comment=None)]
        if isinstance(s, ast.While):
            return [ast.While(test=s.test, body=self.block(s.body) or [ast.Pass()],
                              orelse=[])]
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) \
                and names_loaded(s.value) & self.active and not (  # check_in_place(...)
                    isinstance(s.value.func, ast.Name) and s.value.func.id in self.namer.aliases):
            new = self.call(s.value)
            if new is not None:  # a user function called for what it changes
                return [ast.Expr(value=new)]
        return [s]

    def mutation(self, s, root):
        """`s[i] = v` and `s.append(v)`, done to the tangent of `s` too."""
        if root not in self.active:
            return [s]
        if root in self.none:  # made before it is changed in place
            return [assign(self.dot(root), self.of(name(root)))] + self.mutation_of(s, root)
        return self.mutation_of(s, root)

    def mutation_of(self, s, root):
        if isinstance(s, ast.Assign):
            value = s.value
            target = copy(s.targets[0])
            target.value = name(self.dot(root), store=False)
            tangent = self.of(value) if isinstance(value, ast.Name) else None
            return [s, assign(target, tangent if tangent is not None else self.zero_of(value))]
        item = s.value.args[0]
        tangent = self.of(item) if isinstance(item, ast.Name) else None
        append = ast.Attribute(value=name(self.dot(root)), attr="append", ctx=ast.Load())
        return [s, ast.Expr(value=ast.Call(func=append, args=[
            tangent if tangent is not None else self.zero_of(item)], keywords=[]))]

    def assignment(self, s):
        var, value = s.targets[0].id, s.value
        if var not in self.active:
            return [s]
        if isinstance(value, ast.Call):
            new = self.call(value)
            if new is not None:  # y, y_dot = f_jvp(a_dot, a)
                target = ast.Tuple(elts=[name(var, store=True), name(self.dot(var), store=True)],
                                   ctx=ast.Store())
                return [assign(target, new)]
        if isinstance(value, ast.Name):
            if value.id in self.none and var in self.none:  # None stays None
                return [s, assign(self.dot(var), name(self.dot(value.id)))]
            tangent = self.of(value)
            return [s, assign(self.dot(var), tangent) if tangent is not None else self.zero(var)]
        if not names_loaded(value) & self.active:
            return [s, self.zero(var)]
        binding = self.resolver.resolve(value)
        if binding is None:  # comparisons, argmax, shapes: constants to differentiation
            return [s, self.zero(var)]
        if var not in names_loaded(value):
            return [s] + self.tangent_of(var, value, binding, var)
        fresh = self.namer.fresh(var)  # `h = np.tanh(h)`: the rule reads the old h
        if var in self.none:
            self.none.add(fresh)
        return [assign(fresh, value)] + self.tangent_of(fresh, value, binding, fresh) + [
            assign(var, name(fresh)), assign(self.dot(var), name(self.dot(fresh)))]

    def tangent_of(self, var, value, binding, result):
        """`var_dot = <rule>`; where one operand's tangent may be None, both cases, the
        None one without that operand's terms (None itself if nothing is left)."""
        maybe = [a.id for a in binding.args.values() if isinstance(a, ast.Name)
                 and a.id in self.none and binding.rule.tangent is not None]
        if len(set(maybe)) != 1:
            tangent = self.rule(value, binding, name(result))
            return [assign(self.dot(var), tangent) if tangent is not None else self.zero(var)]
        (arg,) = set(maybe)
        self.none.discard(arg)
        try:
            full = self.rule(value, binding, name(result))
            active = self.active
            self.active = active - {arg}
            try:
                without = self.rule(value, binding, name(result))
            finally:
                self.active = active
        finally:
            self.none.add(arg)
        if without is None and var not in self.none:  # (the fixpoint says it cannot be None)
            without = self.zero_of(name(result))
        none_case = assign(self.dot(var), without if without is not None else const(None))
        return [ast.If(test=_is_none(self.dot(arg)), body=[none_case],
                       orelse=[assign(self.dot(var), full)])]

    def call(self, value):
        """`f_jvp(a_dot, b_dot, a, b)` for a call of user function f; None for a primitive."""
        if not names_loaded(value) & self.active:
            return None
        binding = self.resolver.resolve(value)
        if isinstance(value.func, ast.Name) and value.func.id in self.resolver.locals:
            binding = MethodCall(value.func, "__call__", value.args, value.keywords)
        if isinstance(binding, MethodCall):  # found at run time: `method_jvp` compiles it
            operands = [binding.obj] + binding.args
            tangents = ast.Tuple(elts=[self.of(a) or self.zero_of(a) for a in operands],
                                 ctx=ast.Load())
            return ast.Call(func=name(self.namer.helper("method_jvp")),
                            args=[tangents, binding.obj, const(binding.attr)] + binding.args,
                            keywords=list(binding.keywords))
        if not isinstance(binding, UserCall):
            return None
        wrt = [p for p, arg in binding.args.items()
               if isinstance(arg, ast.Name) and arg.id in self.active]
        jvp_name = self.program.request(binding.fn, wrt)[0]
        tangents = [self.of(binding.args[p]) for p in wrt]
        return ast.Call(func=name(jvp_name), args=tangents + list(binding.call.args),
                        keywords=list(binding.call.keywords))

    # rules ------------------------------------------------------------------------------
    def rule(self, value, binding, result):
        """The tangent of `result = value` from the forward rule; None when it is zero."""
        rule = binding.rule
        if rule is RULES["tuple"]:  # a tuple, list or dict display: the same of tangents
            items = binding.args["items"]
            tangents = [self.of(i) or self.zero_of(i) for i in items]
            if binding.keys is not None:
                return ast.Dict(keys=[copy(k) for k in binding.keys], values=tangents)
            return type(value)(elts=tangents, ctx=ast.Load())
        if rule is RULES["."]:  # obj.attr: the same attribute of the object's tangent
            obj = self.of(binding.args["obj"])
            return None if obj is None else ast.Attribute(
                value=obj, attr=binding.args["attr"].value, ctx=ast.Load())
        template = rule.tangent
        if template is None:
            raise self.resolver._error(
                value, f"`{expr_text(value)}` in forward mode: the {rule.name} rule has "
                "no forward rule yet", "compute this derivative in reverse mode (knetc.grad), "
                "or define the function's rule with @knetc.adjoint")
        params = rule.signature.parameters
        reads = names_loaded(template)
        tangents, zeros = {}, set()
        for param in params:
            arg = binding.args.get(param)
            if param + "_dot" not in reads:  # the result does not move with it
                zeros.add(param + "_dot")
                items = arg if isinstance(arg, tuple) else (arg,)
                if param not in NONDIFF_PARAMS and not _constant_to_differentiation(
                        rule, param) and any(differentiable_loads(i) & self.active for i in items
                                             if i is not None):
                    raise self.resolver.uncovered(value, rule, param)
                continue
            tangent = None if arg is None else self.of(arg)
            if tangent is None:
                zeros.add(param + "_dot")
                continue
            tangents[param + "_dot"] = tangent
        dots = {p + "_dot" for p in params}
        pruned, changed = _prune(copy(template), zeros, dots)
        if pruned is None:
            return None
        subst = {h: name(self.namer.helper(h)) for h in rule.tangent_helpers if h in HELPERS}
        if rule.namespace is not None:
            for n in rule.tangent_helpers - set(HELPERS) - {"np"}:
                if n in rule.namespace:
                    subst[n] = name(self.namer.bind(n, rule.namespace[n]))
        subst[rule.result] = result
        for param, p in params.items():
            arg = binding.args.get(param)
            if isinstance(arg, tuple):
                arg = ast.Tuple(elts=list(arg), ctx=ast.Load())
            subst[param] = arg if arg is not None else _default(p)
        subst.update(tangents)
        expr = _substitute(pruned, subst)
        if changed and not _full_shape(pruned, rule, zeros):
            expr = self.namer.call("match_tangent", [expr, copy(result)])
        return expr


def _is_none(var):
    return ast.Compare(left=name(var), ops=[ast.Is()], comparators=[const(None)])


def _full_shape(pruned, rule, zeros):
    """Whether a pruned tangent still reads the result or every operand whose term was
    dropped (`a_dot * b`: shaped like `a * b`), so that it has the result's shape."""
    loads = names_loaded(pruned)
    return rule.result in loads or all(z[:-4] in loads for z in zeros
                                       if z[:-4] in rule.body)


def _constant_to_differentiation(rule, param):
    """Whether the rule says the result does not move with `param` (`dx = zero_grad(x)`)."""
    body = rule.body.get(param)
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) \
        and body.func.id == "zero_grad"


def _default(param):
    if param.default is inspect.Parameter.empty:
        return const(None)
    return const(param.default)


def _at(new, old):
    if hasattr(old, "lineno"):
        ast.copy_location(new, old)
    return new
