"""Turn comprehensions into loops and inline lambdas, so later passes see only statements.

    total = sum(np.sum(w ** 2) for w in ws)        squares = []
                                             ->    for w_1 in ws:
                                                       squares.append(np.sum(w_1 ** 2))
                                                   total = sum(squares)

A comprehension's variables get fresh names (they are local to it in Python). A lambda
bound to a name, `act = lambda t: np.tanh(t) * 2`, is expanded where it is called, its
arguments first bound to fresh names.
"""
from ..errors import KnetcSyntaxError
from .syntax import ast, assign, call, copy, name, names_loaded

COMPREHENSIONS = (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)


class Hoist(ast.NodeTransformer):
    """Replace comprehensions and lambda calls in one statement; collect what runs first."""

    def __init__(self, owner, direct=None):
        self.owner = owner
        self.before = []
        self.direct = direct  # `state = [... for ...]`: build the list under that name

    def visit_Lambda(self, node):
        return self.owner.refuse(node, "a `lambda` that is not assigned to a name",
                                 "assign it first: `act = lambda t: ...`, then call `act(x)`")

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.owner.lambdas:
            lam = self.owner.lambdas[func.id]
            params = [a.id for a in lam.args.args]
            if len(params) != len(node.args) or node.keywords:
                return self.owner.refuse(node, f"calling lambda `{func.id}` with other "
                                         "arguments than it takes", "pass them by position")
            mapping = {}
            for param, arg in zip(params, node.args):
                fresh = self.owner.namer.fresh(param)
                self.before.append(ast.copy_location(assign(fresh, arg), node))
                mapping[param] = fresh
            body = _Rename(mapping).visit(copy(lam.body))
            return self.visit(body)
        return node

    def visit_IfExp(self, node):
        """`a if c else [... for ...]`: the comprehension runs only when its arm is taken."""
        if not any(self.owner.hoistable(part) for part in (node.body, node.orelse)):
            return self.generic_visit(node)
        test = self.visit(node.test)
        result = self.owner.namer.fresh("choice")
        arms = []
        for part in (node.body, node.orelse):
            inner = Hoist(self.owner)
            value = inner.visit(part)
            arms.append(inner.before + [ast.copy_location(assign(result, value), node)])
        self.before.append(ast.copy_location(ast.If(test=test, body=arms[0], orelse=arms[1]),
                                             node))
        return name(result)

    def visit_ListComp(self, node):
        return self.loop(node, ast.List(elts=[], ctx=ast.Load()), "items")

    visit_GeneratorExp = visit_SetComp = visit_ListComp

    def visit_DictComp(self, node):
        return self.loop(node, ast.Dict(keys=[], values=[]), "mapping")

    def loop(self, node, empty, base):
        result, self.direct = self.direct or self.owner.namer.fresh(base), None
        renames = {}
        for gen in node.generators:
            for n in ast.walk(gen.target):
                if isinstance(n, ast.Name):
                    renames.setdefault(n.id, self.owner.namer.fresh(n.id))
        rename = _Rename(renames)
        if isinstance(node, ast.DictComp):
            target = ast.Subscript(value=name(result), slice=rename.visit(copy(node.key)),
                                   ctx=ast.Store())
            innermost = [assign(target, rename.visit(copy(node.value)))]
        else:
            append = ast.Attribute(value=name(result), attr="append", ctx=ast.Load())
            innermost = [ast.Expr(value=call(append, [rename.visit(copy(node.elt))]))]
        body = innermost
        for k, gen in reversed(list(enumerate(node.generators))):
            for cond in reversed(gen.ifs):
                body = [ast.If(test=rename.visit(copy(cond)), body=body, orelse=[])]
            it = gen.iter if k == 0 else rename.visit(copy(gen.iter))
            body = [ast.For(target=rename.visit(copy(gen.target)), iter=it, body=body,
                            orelse=[], type_comment=None)]
        stmts = [assign(result, empty)] + body
        for stmt in stmts:
            for sub in ast.walk(stmt):
                if isinstance(sub, (ast.stmt, ast.expr)):
                    ast.copy_location(sub, node)
        inner = Hoist(self.owner)  # comprehensions and lambdas inside this one
        self.before.extend(self.owner.block(stmts, inner))
        return name(result)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx,
                                              annotation=None, type_comment=None), node)
        return node


class Comprehensions:
    def __init__(self, source, namer):
        self.source = source
        self.namer = namer
        self.lambdas = {}

    def hoistable(self, node):
        """Whether `node` holds a comprehension or a call of a lambda."""
        return any(isinstance(n, COMPREHENSIONS) or isinstance(n, ast.Call) and isinstance(
            n.func, ast.Name) and n.func.id in self.lambdas for n in ast.walk(node))

    def refuse(self, node, what, hint):
        lineno = getattr(node, "lineno", None)
        raise KnetcSyntaxError(f"knetc cannot differentiate {what}", self.source.filename,
                               lineno, self.source.line(lineno), hint=f"Instead: {hint}.")

    def block(self, stmts, hoist=None):
        out = []
        for stmt in stmts:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
                target = stmt.targets[0]
                if not isinstance(target, ast.Name) or target.id in self.lambdas:
                    self.refuse(stmt, "a lambda assigned twice or to a non-name",
                                "give each lambda its own name")
                self.lambdas[target.id] = stmt.value
                continue
            h = Hoist(self) if hoist is None else hoist
            start = len(h.before)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, COMPREHENSIONS) \
                    and stmt.targets[0].id not in names_loaded(stmt.value):
                h.direct = stmt.targets[0].id  # no temporary: the list is this variable
            if isinstance(stmt, ast.While) and any(
                    isinstance(n, COMPREHENSIONS) for n in ast.walk(stmt.test)):
                self.refuse(stmt, "a comprehension in a `while` condition",
                            "compute it in the loop body into a variable")
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if isinstance(block, list):
                    setattr(stmt, field, self.block(block))
            for field, value in ast.iter_fields(stmt):
                if isinstance(value, ast.expr):
                    setattr(stmt, field, h.visit(value))
                elif field == "targets":
                    stmt.targets = [h.visit(t) for t in value]
            out.extend(h.before[start:])
            del h.before[start:]
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
                    and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == stmt.value.id):
                out.append(stmt)  # (`state = state` is left over from a direct build)
        return out


def comprehensions(source, namer):
    """Apply the rewrite to `source.node` in place."""
    node = source.node
    node.body = Comprehensions(source, namer).block(node.body)
    return node
