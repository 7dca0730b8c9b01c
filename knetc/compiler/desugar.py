"""Rewrite conveniences into the few forms the later passes handle.

`x += e` becomes `x = x + e`; `[x] * 3` becomes `[x, x, x]`; a `for` loop over anything but
`range(...)` becomes a loop over indices, so the adjoint of each item flows back into the
sequence it came from:

    for x, y in zip(xs, ys):        for i in range(min(len(xs), len(ys))):
        total += f(x, y)      ->        x = xs[i]
                                        y = ys[i]
                                        total = total + f(x, y)

`for t in seq:` becomes `for i in range(len(seq)): t = seq[i]`, with `seq` first passed
through `sequence(...)` (which lists a generator or a dict's keys) unless it is a name.
Docstrings and `pass` are dropped.
"""
import builtins

from .syntax import ast, assign, const, copy, name


class Desugar(ast.NodeTransformer):
    def __init__(self, namer):
        self.namer = namer

    def calls(self, node, fname):
        return _is_call_to(node, fname, self.namer.aliases)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return None  # docstring or a bare constant
        return node

    def visit_Pass(self, node):
        return None

    def visit_AugAssign(self, node):
        target = copy(node.target)
        target.ctx = ast.Load()
        new = assign(copy(node.target), ast.BinOp(left=target, op=node.op, right=node.value))
        new.augmented = True  # NumPy's `+=` is in place: the alias check must know
        return ast.copy_location(new, node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):  # [x] * 3 -> [x, x, x]: one rule, and the alias
            for seq, n in ((node.left, node.right), (node.right, node.left)):  # check sees it
                if isinstance(seq, (ast.List, ast.Tuple)) and isinstance(n, ast.Constant) \
                        and type(n.value) is int and len(seq.elts) * max(n.value, 0) <= 256 \
                        and all(isinstance(e, (ast.Name, ast.Constant)) for e in seq.elts):
                    # (only names and constants: `[f(x)] * 3` holds one object, not three)
                    elts = [copy(e) for _ in range(max(n.value, 0)) for e in seq.elts]
                    return ast.copy_location(type(seq)(elts=elts, ctx=ast.Load()), node)
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        node.body = node.body or [ast.Pass()]
        it = node.iter
        if self.calls(it, "range") and isinstance(node.target, ast.Name):
            return node
        before = []
        index = self.namer.fresh("i")
        if self.calls(it, "enumerate") and _pair(node.target) and len(it.args) in (1, 2):
            counter, item = node.target.elts
            inner = it.args[0]
            if self.calls(inner, "zip") and isinstance(item, (ast.Tuple, ast.List)) \
                    and len(item.elts) == len(inner.args):  # enumerate(zip(a, b))
                seqs = [self._named(a, before, node) for a in inner.args]
                lengths = [self.namer.call_builtin("len", [name(q)]) for q in seqs]
                bound = lengths[0] if len(lengths) == 1 else self.namer.call_builtin(
                    "min", lengths)
                loads = list(zip(item.elts, seqs))
            else:
                seq = self._named(inner, before, node)
                bound = self.namer.call_builtin("len", [name(seq)])
                loads = [(item, seq)]
            start = it.args[1] if len(it.args) == 2 else None
            first = [assign(copy(counter), name(index) if start is None else
                            ast.BinOp(left=name(index), op=ast.Add(), right=start))]
        elif self.calls(it, "reversed") and len(it.args) == 1:
            seq = self._named(it.args[0], before, node)
            n = self.namer.call_builtin("len", [name(seq)])
            last = ast.BinOp(left=n, op=ast.Sub(), right=const(1))
            backwards = self.namer.call_builtin("range", [last, const(-1), const(-1)])
            first = [assign(copy(node.target), _item(seq, name(index)))]
            loop = ast.For(target=name(index, store=True), iter=backwards,
                           body=first + node.body, orelse=[], type_comment=None)
            for stmt in first:
                ast.copy_location(stmt, node)
            return before + [ast.copy_location(loop, node)]
        elif self.calls(it, "zip") and isinstance(node.target, (ast.Tuple, ast.List)) \
                and len(node.target.elts) == len(it.args):
            seqs = [self._named(a, before, node) for a in it.args]
            lengths = [self.namer.call_builtin("len", [name(s)]) for s in seqs]
            bound = lengths[0] if len(lengths) == 1 else self.namer.call_builtin("min", lengths)
            loads = list(zip(node.target.elts, seqs))
            first = []
        elif _is_dict_view(it) and (it.func.attr != "items" or _pair(node.target)):
            # `for k, v in d.items()`: loop over a list of the keys, read values by key
            mapping = self._named(it.func.value, before, node, "mapping")
            keys = self._named(self.namer.call_builtin("list", [name(mapping)]), before, node,
                               "keys")
            bound = self.namer.call_builtin("len", [name(keys)])
            view, target = it.func.attr, node.target
            if view == "items":
                key_target, value_target = target.elts
            elif view == "keys":
                key_target, value_target = target, None
            else:
                key_target, value_target = name(self.namer.fresh("key"), store=True), target
            first = [assign(copy(key_target), _item(keys, name(index)))]
            if value_target is not None:
                first.append(assign(copy(value_target), _item(mapping, _load(key_target))))
            loads = []
        else:
            seq = self._named(self.namer.call("sequence", [it]), before, node)
            bound = self.namer.call_builtin("len", [name(seq)])
            loads = [(node.target, seq)]
            first = []
        items = [assign(copy(t), _item(s, name(index))) for t, s in loads]
        for stmt in first + items:
            ast.copy_location(stmt, node)
        steps = self.namer.call_builtin("range", [bound])
        loop = ast.For(target=name(index, store=True), iter=steps,
                       body=first + items + node.body, orelse=[], type_comment=None)
        return before + [ast.copy_location(loop, node)]

    def _named(self, expr, before, node, base="seq"):
        if isinstance(expr, ast.Name):
            return expr.id
        seq = self.namer.fresh(base)
        before.append(ast.copy_location(assign(seq, expr), node))
        return seq


def desugar(fn_node, namer):
    """Apply the rewrites in place and return the function node."""
    Desugar(namer).visit(fn_node)
    for node in ast.walk(fn_node):
        if isinstance(node, (ast.If, ast.While, ast.For)) and not node.body:
            node.body = [ast.Pass()]
    return fn_node


def _is_call_to(node, fname, aliases):
    """Whether `node` calls builtin `fname`: by its name (the shadowing pass renamed the
    user's own `zip` and friends), or through a name bound to it (`builtins.zip`)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.keywords:
        return False
    func = node.func.id
    return func == fname or (func in aliases and aliases[func] is getattr(builtins, fname))


def _item(seq, index):
    return ast.Subscript(value=name(seq), slice=index, ctx=ast.Load())


def _load(target):
    node = copy(target)
    for n in ast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return node


def _is_dict_view(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("items", "values", "keys") and not node.args \
        and not node.keywords


def _pair(target):
    return isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2

