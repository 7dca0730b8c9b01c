"""Every name the compiler invents comes from here: temporaries, adjoints, the save stack."""
import builtins
import re

from .. import runtime
from .syntax import ast, call, expr_text

_OPS = {
    "Add": "add", "Sub": "sub", "Mult": "mul", "Div": "div", "MatMult": "matmul",
    "Pow": "pow", "Mod": "mod", "FloorDiv": "floordiv", "USub": "neg", "UAdd": "pos",
}


class Namer:
    """Hands out fresh names that clash with nothing in the user's function or the runtime.

    The adjoint of `x` is `dx`; temporaries are named after what they hold (`w_i` for
    `w[i]`, `matmul` for `a @ b`), with a numeric suffix when the name is taken.
    """

    def __init__(self, taken, user_names=()):
        self.taken = set(taken)
        self.user_names = set(user_names)
        self.adjoints = {}
        self.aliases = {}  # name used in generated code -> the object it stands for

    def helper(self, helper_name):
        """How generated code names a runtime helper: itself, unless the user took the name."""
        return self.bind(helper_name, getattr(runtime, helper_name))

    def bind(self, base, obj):
        """A name for `obj` in generated code: `base`, or a fresh one if the user took it."""
        for alias, known in self.aliases.items():
            if known is obj:
                return alias
        alias = self.fresh(base) if base in self.user_names or base in self.aliases else base
        self.aliases[alias] = obj
        return alias

    def call(self, helper_name, args):
        return call(self.helper(helper_name), args)

    def call_builtin(self, builtin_name, args):
        """A call of a Python builtin that works even if the user's code took its name
        (the tutorial's `loss` has a parameter called `range`)."""
        return call(self.bind(builtin_name, getattr(builtins, builtin_name)), args)

    def fresh(self, base):
        base = re.sub(r"\W+", "_", base)
        base = base if base == "_" else base.strip("_") or "t"
        if base[0].isdigit():
            base = "t" + base
        candidate, k = base, 2
        while candidate in self.taken:
            candidate = f"{base}_{k}"
            k += 1
        self.taken.add(candidate)
        return candidate

    def adjoint(self, primal):
        """The adjoint variable of `primal`: `dx` for `x`, the same name every time."""
        if primal not in self.adjoints:
            self.adjoints[primal] = self.fresh("d" + primal)
        return self.adjoints[primal]

    def temp_for(self, node):
        """A readable name for a temporary holding `node`'s value."""
        return self.fresh(suggest(node))


def suggest(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp):
        return _OPS.get(type(node.op).__name__, "t")
    if isinstance(node, ast.UnaryOp):
        return _OPS.get(type(node.op).__name__, "t")
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id not in ("np", "numpy", "knetc"):
                return f"{func.value.id}_{func.attr}"
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
        return "call"
    if isinstance(node, ast.Subscript):
        index = re.sub(r"[^A-Za-z0-9]+", "", expr_text(node.slice).replace("-", "m"))[:10]
        return f"{suggest(node.value)}_{index or 'slice'}"
    if isinstance(node, ast.Attribute):
        return f"{suggest(node.value)}_{node.attr}"
    if isinstance(node, (ast.Tuple, ast.List)):
        return "items"
    if isinstance(node, ast.Compare):
        return "cond"
    if isinstance(node, ast.IfExp):
        return "choice"
    return "t"
