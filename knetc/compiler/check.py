"""Reject code outside the differentiable subset, quoting the user's file and line.

Later passes assume what this pass lets through. For example

    def loss(w):
        try:                      # KnetcSyntaxError: `try` blocks are not supported
            ...

is refused here with a message that says what to write instead.
"""
from ..errors import KnetcSyntaxError, NoAdjointError
from .syntax import ast

# node type -> (what it is, what to do instead)
UNSUPPORTED = {
    ast.Try: ("a `try` block", "move error handling outside the differentiated function"),
    ast.With: ("a `with` block", "open files or contexts outside the differentiated function"),
    ast.AsyncWith: ("`async with`", "differentiate a plain synchronous function"),
    ast.AsyncFor: ("`async for`", "differentiate a plain synchronous function"),
    ast.AsyncFunctionDef: ("an `async def`", "differentiate a plain synchronous function"),
    ast.Await: ("`await`", "differentiate a plain synchronous function"),
    ast.Yield: ("`yield` (a generator)", "return a value instead of yielding values"),
    ast.YieldFrom: ("`yield from` (a generator)", "return a value instead of yielding"),
    ast.Global: ("a `global` statement", "pass the value in as an argument and return it"),
    ast.Nonlocal: ("a `nonlocal` statement", "pass the value in as an argument and return it"),
    ast.ClassDef: ("a class definition", "define the class at module level"),
    ast.Delete: ("a `del` statement", "leave the variable alone; it is freed on return"),
    ast.Raise: ("a `raise` statement", "check inputs before calling the gradient"),
    ast.Import: ("an `import` inside the function", "import at module level"),
    ast.ImportFrom: ("an `import` inside the function", "import at module level"),
    ast.Starred: ("`*` unpacking", "pass or unpack the items one by one"),
    ast.NamedExpr: ("an assignment expression (`:=`)", "assign on its own line"),
    ast.FunctionDef: ("a nested `def`", "define the helper at module level"),
    ast.Set: ("a set", "use a list or tuple"),
    ast.JoinedStr: (None, None),
}


def check(source):
    """Raise KnetcSyntaxError at the first construct outside the supported subset."""
    node = source.node
    if node.args.vararg or node.args.kwarg:
        if hasattr(source.fn, "__wrapped__"):  # a decorator's wrapper: knetc runs it as is
            _fail(source, node, f"the wrapper that a decorator put around "
                  f"{source.fn.__name__!r}: it takes `*args`/`**kwargs`",
                  "give the wrapper named parameters, or call the undecorated function")
        _fail(source, node, "`*args`/`**kwargs` parameters", "name each parameter")
    for stmt in node.body:
        for sub in ast.walk(stmt):
            kind = UNSUPPORTED.get(type(sub))
            if kind and kind[0]:
                _fail(source, sub, kind[0], kind[1])
            if isinstance(sub, (ast.Assign, ast.AugAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                for target in targets:
                    _check_target(source, target)
            if isinstance(sub, ast.For) and sub.orelse or isinstance(sub, ast.While) and sub.orelse:
                _fail(source, sub, "a loop with an `else:` clause", "use a flag variable")
            if isinstance(sub, ast.Call) and any(k.arg == "out" for k in sub.keywords):
                _fail(source, sub, "a call with `out=` (it writes into an existing array)",
                      "use the returned value: `y = np.multiply(x, 2)`")
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                    and sub.func.id in ("exec", "eval", "compile", "globals", "locals"):
                _fail(source, sub, f"`{sub.func.id}(...)` inside a differentiated function",
                      "write the code itself in the function", NoAdjointError)
            if isinstance(sub, ast.Expr) and _mutates(sub.value):
                _fail(source, sub, f"in-place mutation of a container "
                      f"(`.{sub.value.func.attr}(...)`)",
                      "use `.append(...)` or item assignment `s[i] = v`, or build a new list")
            if isinstance(sub, ast.Return) and sub.value is None:
                _fail(source, sub, "a `return` without a value", "return the scalar loss")
    if not any(isinstance(n, ast.Return) for s in node.body for n in ast.walk(s)):
        _fail(source, node, "a function that returns nothing", "return the scalar loss")


MUTATORS = {"extend", "insert", "pop", "remove", "update", "setdefault", "clear",
            "sort", "reverse", "fill", "resize", "put", "itemset", "popitem"}


def _mutates(value):
    """A call of a mutating method other than `.append` (which knetc differentiates)."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
        and value.func.attr in MUTATORS


def _check_target(source, target):
    if isinstance(target, ast.Name):
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            _check_target(source, elt)
        return
    if isinstance(target, ast.Subscript):
        root = target
        while isinstance(root, ast.Subscript):
            root = root.value
        if isinstance(root, ast.Name):
            return  # s[i] = v, s[i][j] = v: mutation of a list or dict
    _fail(source, target, "assignment to an attribute (`obj.a = ...`)",
          "keep the value in a local variable")


def _fail(source, node, what, hint, kind=KnetcSyntaxError):
    lineno = getattr(node, "lineno", None)
    raise kind(f"knetc cannot differentiate {what}", source.filename, lineno,
                           source.line(lineno), hint=f"Instead: {hint}.")
