"""Normalize to one operation per statement, each operand a name or a constant expression.

Every differentiable operation gets its own assignment, so each has exactly one adjoint
rule to apply; subexpressions that cannot carry a gradient and have no calls stay inline,
so the generated code keeps the user's `y.shape[1]` rather than a temporary for it.

    ypred = w[0] @ x + w[1]            w_0 = w[0]
                                 ->    matmul = w_0 @ x
                                       w_1 = w[1]
                                       ypred = matmul + w_1

`if`/`while` tests become names; `return e` becomes an assignment to the result name;
`a, b = e` becomes indexing; conditional expressions become `if` statements.
"""
from .activity import PURE_CALLS, differentiable_loads
from .syntax import ast, assign, copy, name, names_loaded, names_stored

class ANF:
    def __init__(self, namer, active, local_names):
        self.namer = namer
        self.active = active
        self.locals = local_names
        self.result = None

    # statements -------------------------------------------------------------------------
    def block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt):
        out = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                guard = getattr(stmt, "in_place_guard", None)  # set by the alias check
                if guard is not None:
                    others, where = guard
                    out.append(ast.Expr(value=self.namer.call("check_in_place", [
                        name(targets[0].id), ast.Constant(value=None, kind=None) if others
                        is None else ast.Tuple(elts=[name(o) for o in others],
                                               ctx=ast.Load()),
                        ast.Constant(value=where, kind=None)])))
                self.assign_to(targets[0].id, stmt.value, out)
            elif len(targets) == 1 and isinstance(targets[0], ast.Subscript):
                self.setitem(targets[0], self.atom(stmt.value, out), out)
            else:
                value = self.atom(stmt.value, out)
                if not isinstance(value, ast.Name):  # `a, b = b, a` reads both before writing
                    tmp = self.namer.temp_for(stmt.value)
                    out.append(assign(tmp, value))
                    value = name(tmp)
                for target in targets:
                    self.unpack(target, value, out)
        elif isinstance(stmt, ast.Return):
            value = self.atom(stmt.value, out, hint="result")
            if not isinstance(value, ast.Name):
                tmp = self.namer.fresh("result")
                out.append(assign(tmp, value))
                value = name(tmp)
            self.result = value.id
        elif isinstance(stmt, ast.If):
            test = self.test(stmt.test, out)
            body, orelse = self.block(stmt.body), self.block(stmt.orelse)
            if _stored_in(test, body + orelse):
                test = self.test(test, out, force_temp=True)
            out.append(ast.If(test=test, body=body, orelse=orelse))
        elif isinstance(stmt, ast.For):
            it = stmt.iter if isinstance(stmt.iter, ast.Name) else None
            if it is None:
                it = name(self.namer.fresh("steps"))
                out.append(assign(it.id, stmt.iter))
            out.append(ast.For(target=stmt.target, iter=it, body=self.block(stmt.body),
                               orelse=[], type_comment=None))
        elif isinstance(stmt, ast.While):
            test_stmts = []
            test = self.test(stmt.test, test_stmts, force_temp=True)
            body = self.block(stmt.body)
            loop = ast.While(test=test, body=body + [copy(s) for s in test_stmts], orelse=[])
            out.extend(test_stmts + [loop])
        elif isinstance(stmt, ast.Expr) and _is_append(stmt.value):
            call = stmt.value
            receiver = call.func.value
            item = self.atom(call.args[0], out)
            owner = receiver if isinstance(receiver, ast.Name) else self.atom(receiver, out)
            func = ast.Attribute(value=name(owner.id), attr="append", ctx=ast.Load())
            out.append(ast.Expr(value=ast.Call(func=func, args=[item], keywords=[])))
            if isinstance(receiver, ast.Subscript):  # grid[0].append(v): write grid[0] back
                self.setitem(receiver, owner, out)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and differentiable_loads(stmt.value) & self.active:
            # `f(s, x)` for its effect: differentiated like `unused = f(s, x)`, so a user
            # function that mutates s gets its adjoint; other calls only run forward
            call = self.simple(stmt.value, out)
            call.discarded = True
            out.append(assign(self.namer.fresh("unused"), call))
        elif isinstance(stmt, (ast.Expr, ast.Assert, ast.Pass)):
            out.append(stmt)
        else:  # check() admits nothing else
            raise AssertionError(f"unexpected statement {type(stmt).__name__}")
        for new in out:  # every generated node reports the user's line
            for sub in ast.walk(new):
                if isinstance(sub, (ast.stmt, ast.expr)) and not hasattr(sub, "lineno"):
                    ast.copy_location(sub, stmt)
        return out

    def assign_to(self, target, value, out):
        if isinstance(value, ast.Name) and value.id == target:
            return  # `x = x` changes nothing (and its adjoint would add dx to itself)
        if isinstance(value, ast.IfExp):
            self.ifexp(target, value, out)
            return
        if self.carries(value):
            self.boolop(target, value, out)
            return
        simple = self.simple(value, out)
        if target in names_loaded(simple) and not self.inline(value):
            # `x = f(x)`: the adjoint needs both the old and the new x, so keep them apart
            tmp = self.namer.temp_for(value)
            out.append(assign(tmp, simple))
            simple = name(tmp)
        out.append(assign(target, simple))

    def unpack(self, target, value, out):
        if isinstance(target, ast.Name):
            out.append(assign(target.id, value))
            return
        for k, elt in enumerate(target.elts):
            item = ast.Subscript(value=copy(value), slice=ast.Constant(value=k, kind=None),
                                 ctx=ast.Load())
            if isinstance(elt, ast.Name):
                out.append(assign(elt.id, item))
            elif isinstance(elt, ast.Subscript):
                self.setitem(elt, self.atom(item, out), out)
            else:
                self.unpack(elt, self.atom(item, out), out)

    def setitem(self, target, value, out):
        """`a[i][j] = v` becomes `t = a[i]; t[j] = v; a[i] = t`: each mutation one level deep."""
        index = self.index(target.slice, out)
        base = target.value
        inner = base if isinstance(base, ast.Name) else self.atom(base, out)
        if not isinstance(inner, ast.Name):  # `g[0]` of a constant list stays inline
            tmp = self.namer.temp_for(base)
            out.append(assign(tmp, inner))
            inner = name(tmp)
        out.append(ast.Assign(targets=[ast.Subscript(value=name(inner.id), slice=index,
                                                     ctx=ast.Store())],
                              value=value, type_comment=None))
        if isinstance(base, ast.Subscript):
            self.setitem(base, inner, out)

    def ifexp(self, target, node, out):
        test_stmts = []
        test = self.test(node.test, test_stmts)
        body, orelse = [], []
        self.assign_to(target, node.body, body)
        self.assign_to(target, node.orelse, orelse)
        if _stored_in(test, body + orelse):
            test = self.test(test, test_stmts, force_temp=True)
        out.extend(test_stmts)
        out.append(ast.If(test=test, body=body, orelse=orelse))

    def boolop(self, target, node, out):
        """`t = a or b` as `if a: t = a else: t = b` (for `and`, the branches swapped): `a`
        evaluated once, `b` only when Python evaluates it, and the gradient reaches the
        operand whose value is the result."""
        first = self.atom(node.values[0], out)
        rest = node.values[1] if len(node.values) == 2 else ast.BoolOp(
            op=node.op, values=node.values[1:])
        took, other = [], []
        self.assign_to(target, first, took)
        self.assign_to(target, rest, other)
        test = self.test(first, out, force_temp=_stored_in(first, took + other))
        body, orelse = (took, other) if isinstance(node.op, ast.Or) else (other, took)
        out.append(ast.If(test=test, body=body or [ast.Pass()], orelse=orelse))

    def carries(self, node):
        """Whether `node` is an `and`/`or` whose value may be a differentiated operand (not
        only True or False, as `a > 0 and b < 1` is)."""
        return isinstance(node, ast.BoolOp) and bool(differentiable_loads(node) & self.active) \
            and not _boolean(node)

    def test(self, node, out, force_temp=False):
        """A name for an `if`/`while` test; an `and`/`or` there stays one cheap line."""
        if isinstance(node, ast.Name) and not force_temp:
            return node
        tmp = self.namer.fresh("cond")
        keep = self.inline(node) or isinstance(node, ast.BoolOp)
        out.append(assign(tmp, node if keep else self.simple(node, out)))
        return name(tmp)

    # expressions ------------------------------------------------------------------------
    def inline(self, node):
        """Whether `node` may stay inside another expression (and be re-evaluated)."""
        if isinstance(node, (ast.Name, ast.Constant)):
            return True
        if differentiable_loads(node) & self.active:
            return False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and not (
                    isinstance(sub.func, ast.Name) and sub.func.id in PURE_CALLS):
                return False
            if isinstance(sub, (ast.IfExp, ast.BoolOp)):
                return False
        return True

    def atom(self, node, out, hint=None):
        if self.inline(node):
            return node
        if isinstance(node, ast.IfExp) or self.carries(node):
            tmp = self.namer.fresh(hint or "choice")
            self.assign_to(tmp, node, out)
            return name(tmp)
        simple = self.simple(node, out)
        tmp = self.namer.temp_for(node)
        if differentiable_loads(node) & self.active:
            self.active.add(tmp)  # so later uses of the temporary are not inlined
        out.append(assign(tmp, simple))
        return name(tmp)

    def simple(self, node, out):
        """`node` as one operation whose operands are atoms."""
        if self.inline(node) or isinstance(node, ast.BoolOp) and not self.carries(node):
            return node
        if isinstance(node, ast.BinOp):
            new = ast.BinOp(left=self.atom(node.left, out), op=node.op,
                            right=self.atom(node.right, out))
            if isinstance(node.op, ast.Add) and any(
                    isinstance(side, (ast.List, ast.Tuple)) or (
                        isinstance(side, ast.Name) and side.id in self.sequences)
                    for side in (node.left, node.right)):
                new.joins_sequences = True  # `xs + [x]` joins lists; it does not add numbers
            if isinstance(node.op, ast.Mult):
                for side, label in ((node.left, "left"), (node.right, "right")):
                    if isinstance(side, (ast.List, ast.Tuple)) or (
                            isinstance(side, ast.Name) and side.id in self.sequences):
                        new.repeats_sequence = label  # `[f(x)] * n` repeats a list
            return new
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(op=node.op, operand=self.atom(node.operand, out))
        if isinstance(node, ast.Compare):
            return ast.Compare(left=self.atom(node.left, out), ops=node.ops,
                               comparators=[self.atom(c, out) for c in node.comparators])
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and not self.static(func):
                func = ast.Attribute(value=self.atom(func.value, out), attr=func.attr,
                                     ctx=ast.Load())
            elif not self.static(func):
                func = self.atom(func, out)
            args = [self.atom(a, out) for a in node.args]
            keywords = [ast.keyword(arg=k.arg, value=self.atom(k.value, out))
                        for k in node.keywords]
            return ast.Call(func=func, args=args, keywords=keywords)
        if isinstance(node, ast.Subscript):
            return ast.Subscript(value=self.atom(node.value, out),
                                 slice=self.index(node.slice, out), ctx=ast.Load())
        if isinstance(node, ast.Attribute):
            return ast.Attribute(value=self.atom(node.value, out), attr=node.attr,
                                 ctx=ast.Load())
        if isinstance(node, (ast.Tuple, ast.List)):
            return type(node)(elts=[self.atom(e, out) for e in node.elts], ctx=ast.Load())
        if isinstance(node, ast.Dict):
            return ast.Dict(keys=[self.index(k, out) for k in node.keys],
                            values=[self.atom(v, out) for v in node.values])
        if isinstance(node, ast.IfExp) or self.carries(node):
            tmp = self.namer.fresh("choice")
            self.assign_to(tmp, node, out)
            return name(tmp)
        return node

    def index(self, node, out):
        if self.inline(node):
            return node
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if p is None else self.atom(p, out)
                               for p in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return ast.Tuple(elts=[self.index(e, out) for e in node.elts], ctx=ast.Load())
        return self.atom(node, out)

    def static(self, func):
        """A callee named through globals (`np.exp`, `relu`), not through a local value."""
        while isinstance(func, ast.Attribute):
            func = func.value
        return isinstance(func, ast.Name) and func.id not in self.locals


def _sequence_names(body):
    """Names every assignment of which is a list or tuple display, or a join of those
    (`a = [x, x]; c = a + b`): their `+` joins sequences."""
    values = {}
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                            values.setdefault(n.id, []).append(
                                sub.value if t is n else None)
            elif isinstance(sub, (ast.For, ast.AugAssign)):
                for n in ast.walk(sub.target):
                    if isinstance(n, ast.Name):
                        values.setdefault(n.id, []).append(None)
    out, changed = set(), True
    while changed:
        changed = False
        for var, vs in values.items():
            if var not in out and all(_is_sequence(v, out) for v in vs):
                out.add(var)
                changed = True
    return out


def _is_sequence(value, known):
    if isinstance(value, (ast.List, ast.Tuple)):
        return True
    if isinstance(value, ast.Name):
        return value.id in known
    return isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and any(
        _is_sequence(side, known) for side in (value.left, value.right))


def _stored_in(test, stmts):
    """Whether the test name is assigned in the branches: the backward sweep, which tests
    it again after undoing them in reverse, must read the value the forward sweep read."""
    return isinstance(test, ast.Name) and test.id in names_stored(stmts)


def _boolean(node):
    """Whether `node` is always True or False: comparisons, `not`, and `and`/`or` of those."""
    if isinstance(node, ast.BoolOp):
        return all(_boolean(v) for v in node.values)
    return isinstance(node, ast.Compare) or isinstance(node, ast.UnaryOp) and isinstance(
        node.op, ast.Not)


def _is_append(value):
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr == "append" and isinstance(value.func.value, (ast.Name,
                                                                          ast.Subscript)) \
        and len(value.args) == 1 and not value.keywords


def anf(fn_node, namer, active, local_names):
    """Normalize the body of `fn_node` in place; returns (fn_node, result name)."""
    normalizer = ANF(namer, active, local_names)
    normalizer.sequences = _sequence_names(fn_node.body)
    fn_node.body = normalizer.block(fn_node.body)
    return fn_node, normalizer.result
