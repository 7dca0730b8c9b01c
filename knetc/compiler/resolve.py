"""Find the adjoint rule of each normalized operation, and bind its operands to the rule.

`np.exp(x)` resolves through the function's globals to the object `numpy.exp`, whose rule
is looked up in the table; `x.sum(axis=0)` resolves by method name to the `.sum` rule;
`a @ b` by operator. A value that reaches a function with no rule is an error here, before
anything runs.
"""
import inspect

import numpy as np

from ..errors import NoAdjointError
from ..rules import NONDIFF, RULES
from ..runtime.mutation import method_jvp
from .methods import bound_user_method, library_method_key, user_method_names
from .mutation import mutated_params, returns_param
from .scope import MISSING, Scope
from .syntax import ast, const, expr_text

_OPERATORS = {
    "Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "MatMult": "@", "Pow": "**",
    "USub": "neg", "UAdd": "pos",
}
NONDIFF_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
_GRIDS = (type(np.mgrid), type(np.ogrid))
NONDIFF_BUILTINS = {range, len, print, isinstance, int, bool, str, type, repr, id, hash,
                    callable, hasattr}


class Binding:
    """A rule with the operand node bound to each of its parameters."""

    def __init__(self, rule, args, keys=None):
        self.rule = rule
        self.args = args  # parameter name -> node (a tuple of nodes for *items)
        self.keys = keys  # for a dict display: the key of each item


class UserCall:
    """A call to another user function: it gets its own generated forward/backward pair."""

    def __init__(self, fn, args, call):
        self.fn = fn
        self.args = args  # parameter name -> argument node, for the arguments passed
        self.call = call  # the call with `self` passed explicitly for a method


class MethodCall:
    """`obj.name(args)` where obj's class is known only at run time."""

    def __init__(self, obj, attr, args, keywords=()):
        self.obj, self.attr, self.args = obj, attr, list(args)
        self.keywords = list(keywords)  # constants: the generated code checks


class Resolver:
    def __init__(self, source, local_names, aliases, self_type=None, scope=None):
        self.source = source
        self.aliases = aliases  # names in generated code that stand for runtime helpers
        self.self_type = self_type  # for methods: the class `self.method()` is looked up in
        self.scope = scope or Scope(source.fn)  # records what each name resolved to
        self.deps = self.scope.deps
        self.locals = local_names

    def propagates(self, value):
        """Whether an assignment of `value` passes a gradient from its operands."""
        return isinstance(value, ast.Name) or self.resolve(value) is not None

    def resolve(self, value):
        """A Binding, or None when the value carries no gradient (comparisons, argmax...)."""
        if isinstance(value, ast.BinOp):
            if getattr(value, "joins_sequences", False):
                return self._bind(RULES["join"], [value.left, value.right], {}, value)
            side = getattr(value, "repeats_sequence", None)
            if side is not None:  # `[x] * n`, `n * [x]`
                operands = [value.left, value.right] if side == "left" else [value.right,
                                                                             value.left]
                return self._bind(RULES["repeat"], operands, {}, value)
            op = type(value.op).__name__
            if op == "FloorDiv":
                return None  # piecewise constant
            return self._bind(self._rule(_OPERATORS.get(op, op), value),
                              [value.left, value.right], {}, value)
        if isinstance(value, ast.UnaryOp):
            key = _OPERATORS.get(type(value.op).__name__)  # `not x` carries no gradient
            return None if key is None else self._bind(self._rule(key, value), [value.operand],
                                                      {}, value)
        if isinstance(value, (ast.Compare, ast.BoolOp, ast.Constant)):
            return None
        if isinstance(value, ast.Subscript):
            joined = self._concatenator(value) if self._is_static(value.value) else None
            return joined or Binding(RULES["[]"], {"x": value.value,
                                                   "index": _index_expr(value.slice)})
        if isinstance(value, ast.Dict):
            return Binding(RULES["tuple"], {"items": tuple(value.values)}, keys=value.keys)
        if isinstance(value, (ast.Tuple, ast.List)):
            key = "tuple" if isinstance(value, ast.Tuple) else "list"
            return Binding(RULES[key], {"items": tuple(value.elts)})
        if isinstance(value, ast.Attribute):
            if value.attr in NONDIFF_ATTRIBUTES:
                return None
            if "." + value.attr in RULES:  # x.T
                return self._bind(RULES["." + value.attr], [value.value], {}, value)
            return Binding(RULES["."], {"obj": value.value, "attr": const(value.attr)})
        if isinstance(value, ast.Call):
            return self._call(value)
        return None

    def _call(self, call):
        func = call.func
        keywords = {k.arg: k.value for k in call.keywords}
        if self._is_static(func):
            obj = self.lookup(func)
            if obj is method_jvp and len(call.args) >= 3:  # forward code differentiated
                return MethodCall(call.args[1], "__jvp__" + call.args[2].value,
                                  [call.args[0]] + call.args[3:], call.keywords)
            if getattr(obj, "_knetc_derivative", None) is not None:  # df = knetc.grad(f)
                return MethodCall(func, "__call__", call.args, call.keywords)
            if getattr(obj, "_knetc_target", None) is not None:
                raise self._error(call, f"`{expr_text(call)}`, a gradient made by knetc.grad "
                                  "or knetc.value_and_grad of a bound method: higher-order "
                                  "derivatives of it are not supported yet",
                                  "take the gradient of the function, passing the object "
                                  "as an argument")
            if obj in NONDIFF or _is_nondiff_builtin(obj) or _is_random(obj):
                return None
            rule = RULES.get(obj) if _hashable(obj) else None
            if rule is None and getattr(obj, "_knetc_primitive", False):
                raise self._error(call, f"`{expr_text(call)}`: {obj.__name__} is marked "
                                  "@knetc.primitive but has no rule",
                                  f"define one with @knetc.adjoint({obj.__name__})")
            if rule is None and inspect.isfunction(obj):
                return self._user_call(obj, call, keywords)
            if rule is None and bound_user_method(obj) is not None and not getattr(
                    call, "discarded", False):  # s.sum(w), S a class of the user's
                return self._user_call(bound_user_method(obj), ast.Call(
                    func=func, args=[func.value] + call.args, keywords=call.keywords), keywords)
            key = library_method_key(obj, func.attr) if rule is None and isinstance(
                func, ast.Attribute) else None
            if key is not None:  # W.dot(x) for a global array W: the array's own method
                return None if key in NONDIFF else self._bind(
                    RULES[key], [func.value] + call.args, keywords, call)
            if rule is None and getattr(call, "discarded", False) and not _mutates(obj):
                return None  # print-like: its result is not used, and it changes nothing
            if rule is None:
                self._missing(call, obj)
            return self._bind(rule, call.args, keywords, call)
        if isinstance(func, ast.Attribute) and func.attr == "append":
            return Binding(RULES[".append"], {"item": call.args[0]})
        method = self._own_method(func)
        if method is not None:  # self.predict(x) inside a method of the same class
            return self._user_call(method, ast.Call(func=func, args=[func.value] + call.args,
                                                    keywords=call.keywords), keywords)
        if isinstance(func, ast.Name) and func.id in self.locals:  # act = np.tanh; act(x)
            if keywords:
                raise self._error(call, "a call through a variable with keyword arguments",
                                  "pass the arguments by position")
            return Binding(RULES["call"], {"fn": func, "items": tuple(call.args)})
        if isinstance(func, ast.Attribute):  # a method of a local value
            key = "." + func.attr
            if (key in NONDIFF or key in RULES) and func.attr in self._user_methods():
                # a user class in reach has a method of that name: found at run time
                return MethodCall(func.value, func.attr, call.args, call.keywords)
            if key in NONDIFF:
                return None
            if key in RULES:
                return self._bind(RULES[key], [func.value] + call.args, keywords, call)
            if keywords:
                raise self._error(call, f"`{expr_text(call)}` with keyword arguments",
                                  "pass the method's arguments by position")
            return MethodCall(func.value, func.attr, call.args)  # found at run time
        raise self._error(call, "a call through a local variable",
                          "call the function by its global name")

    def _user_methods(self):
        if not hasattr(self, "_method_names"):
            self._method_names = user_method_names(self.scope, self.self_type)
        return self._method_names

    def mutations(self, call):
        """Names of the arguments that a call to a user function mutates in place."""
        return [a.id for a in self.mutated_args(call) if isinstance(a, ast.Name)]

    def mutated_args(self, call):
        """The argument nodes that a call to a user function mutates in place."""
        fn = self._static_user_function(call)
        mutated = mutated_params(fn, user_function) if fn is not None else ()
        if not mutated:
            return []
        binding = self._user_call(fn, call, {k.arg: k.value for k in call.keywords})
        return [arg for p, arg in binding.args.items() if p in mutated]

    def returns_argument(self, call):
        """Whether the user function called may return one of its arguments itself."""
        fn = self._static_user_function(call)
        return fn is not None and returns_param(fn)

    def _static_user_function(self, call):
        if not self._is_static(call.func):
            return None
        try:
            fn = self.lookup(call.func)
        except NoAdjointError:
            return None
        if not inspect.isfunction(fn) or (_hashable(fn) and fn in RULES):
            return None
        return fn

    def setitem(self, stmt):
        """The binding of the mutation `s[index] = value`."""
        target = stmt.targets[0]
        return Binding(RULES["[]="], {"index": _index_expr(target.slice), "value": stmt.value})

    def _own_method(self, func):
        """The method `self.name` refers to, when compiling a method of that class."""
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        fn = self.source.fn
        params = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        owner = fn.__qualname__.rpartition(".")[0]
        if not params or func.value.id != params[0] or not owner or "<" in owner:
            return None
        cls = self.self_type  # the class of the object the gradient was called with
        if cls is None:
            cls = fn.__globals__.get(owner.split(".")[0])
            for part in owner.split(".")[1:]:
                cls = getattr(cls, part, None)
        # watched: a method replaced on the class later makes the code stale
        method = self.scope.watch(cls, func.attr) if cls is not None else None
        return method if inspect.isfunction(method) else None

    def _user_call(self, fn, call, keywords):
        try:
            bound = inspect.signature(fn).bind(*call.args, **keywords)
        except TypeError as exc:
            raise self._error(call, f"`{expr_text(call)}` ({exc})",
                              f"call {fn.__name__} with arguments matching its definition")
        return UserCall(fn, dict(bound.arguments), call)

    def lookup(self, func):
        """The object a static name or attribute chain (`np.exp`, `helpmod.act`) is now."""
        if isinstance(func, ast.Name) and func.id in self.aliases:
            return self.aliases[func.id]
        attrs, root = [], func
        while isinstance(root, ast.Attribute):
            attrs.append(root.attr)
            root = root.value
        obj = self.scope.resolve(root.id, reversed(attrs)) if isinstance(root, ast.Name) \
            else MISSING
        if obj is MISSING:
            raise self._error(func, f"`{expr_text(func)}`, which is not defined when the "
                              "gradient is compiled", "define it before calling the gradient")
        return obj

    def _is_static(self, func):
        while isinstance(func, ast.Attribute):
            func = func.value
        return isinstance(func, ast.Name) and func.id not in self.locals

    def _rule(self, key, node):
        rule = RULES.get(key)
        if rule is None:
            raise self._error(node, f"`{expr_text(node)}` (`{key}` has no adjoint rule)",
                              "use a differentiable NumPy function, or define the rule with "
                              "@knetc.adjoint")
        return rule

    def _bind(self, rule, args, keywords, node):
        """The Binding of a call to `rule`'s operands; None when a `dtype=` argument makes
        its result an integer or bool array, which carries no gradient."""
        if _given(keywords.get("where")):
            raise self._error(node, f"`{expr_text(node)}` with `where=` (knetc would ignore "
                              "it)", "select with np.where(mask, f(x), other)")
        try:
            bound = rule.signature.bind(*args, **keywords)
        except TypeError as exc:
            raise self._error(node, f"`{expr_text(node)}` ({exc})",
                              "check the arguments against the NumPy documentation")
        if _given(bound.arguments.get("out")):
            raise self._error(node, f"`{expr_text(node)}` with `out=` (knetc would ignore it)",
                              "assign the result to a name instead of writing into `out`")
        if _given(bound.arguments.get("dtype")):
            kind = self._dtype_kind(bound.arguments["dtype"])
            if kind in ("b", "i", "u"):
                return None  # truncated to integers: piecewise constant
            if kind not in ("f", "c") and rule.name != "astype":  # astype checks at run time
                raise self._error(node, f"`{expr_text(node)}` with a dtype known only when it "
                                  "runs", "pass a constant dtype such as np.float32, or "
                                  "convert with .astype(dtype)")
        bound.apply_defaults()
        out = {}
        for param, value in bound.arguments.items():
            kind = rule.signature.parameters[param].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                continue
            if kind is inspect.Parameter.VAR_POSITIONAL:
                out[param] = tuple(value)
            else:
                out[param] = value if isinstance(value, ast.AST) else const(value)
        return Binding(rule, out)

    def _dtype_kind(self, node):
        """The kind ("f", "i", "b"...) of a `dtype=` argument, or None if only known later."""
        if isinstance(node, ast.Constant):
            value = node.value
        elif self._is_static(node):
            try:
                value = self.lookup(node)
            except NoAdjointError:
                return None
        else:
            return None
        try:
            return np.dtype(value).kind
        except TypeError:
            return None

    def _concatenator(self, node):
        """The Binding of `np.r_[a, b]` / `np.c_[a, b]` (which join a and b); else None."""
        try:
            obj = self.lookup(node.value)
        except NoAdjointError:
            return None
        if type(obj) in _GRIDS:  # np.mgrid[0.0:x:5j]: its index would get no gradient
            raise self._error(node, f"`{expr_text(node)}` with differentiated bounds",
                              "build the grid with np.linspace (or np.arange) and "
                              "np.meshgrid, which knetc differentiates")
        if obj is not np.r_ and obj is not np.c_:
            return None
        items = []
        for item in node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                raise self._error(node, f"`{expr_text(node)}` (a string directive)",
                                  "join with np.concatenate, np.stack or np.column_stack "
                                  "and their axis= argument")
            if isinstance(item, ast.Slice):
                if not all(_is_number(part) for part in (item.lower, item.upper, item.step)):
                    raise self._error(node, f"`{expr_text(node)}` (a range with variable "
                                      "bounds)", "build it with np.arange or np.linspace")
                item = ast.Subscript(value=node.value, slice=item, ctx=ast.Load())
            items.append(item)
        return Binding(RULES[obj], {"items": tuple(items)})

    def _missing(self, call, obj):
        label = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
        module = getattr(obj, "__module__", None) or ""
        if module.startswith("numpy") or type(obj).__name__ == "ufunc":
            label = f"numpy.{label}"
        elif module:
            label = f"{module}.{label}"
        raise NoAdjointError(
            f"knetc has no adjoint rule for {label} (called as `{expr_text(call)}`), and a "
            "differentiated value flows into it",
            self.source.filename, call.lineno if hasattr(call, "lineno") else None,
            self.source.line(getattr(call, "lineno", None)),
            hint="Define one with @knetc.adjoint, compute it from functions knetc knows, "
                 "or wrap the argument in knetc.stop_gradient if no gradient should flow.")

    def uncovered(self, node, rule, param):
        return self._error(node, f"`{expr_text(node)}` with respect to its argument "
                           f"`{param}` (the {rule.name} rule has no adjoint for it)",
                           "pass a constant there, or define a complete rule with "
                           "@knetc.adjoint")

    def _error(self, node, what, hint):
        lineno = getattr(node, "lineno", None)
        return NoAdjointError(*self.source.where(lineno, f"knetc cannot differentiate {what}"),
                              hint=f"Instead: {hint}.")


def user_function(fn, func):
    """The user function that `func` (a name or attribute chain in `fn`'s code) calls, if it
    is one; resolved as the Resolver does (closure cells, then the module, then builtins)."""
    attrs, root = [], func
    while isinstance(root, ast.Attribute):
        attrs.append(root.attr)
        root = root.value
    if not isinstance(root, ast.Name):
        return None
    obj = Scope(fn).resolve(root.id, reversed(attrs))
    if inspect.isfunction(obj) and not (_hashable(obj) and (obj in RULES or obj in NONDIFF)):
        return obj
    return None


def _index_expr(node):
    """A subscript's index as an ordinary expression (slices become np.s_[...])."""
    if any(isinstance(n, ast.Slice) for n in ast.walk(node)):
        s_ = ast.Attribute(value=ast.Name(id="np", ctx=ast.Load(), annotation=None,
                                          type_comment=None), attr="s_", ctx=ast.Load())
        return ast.Subscript(value=s_, slice=node, ctx=ast.Load())
    return node


def _given(node):
    """Whether an optional argument was passed as something other than None."""
    return node is not None and not (isinstance(node, ast.Constant) and node.value is None)


def _is_number(node):
    """None, or a literal number (negative ones included): a range bound known now."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return node is None or isinstance(node, ast.Constant) and not isinstance(node.value, str)


def _hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:
        return False


def _is_nondiff_builtin(obj):
    return _hashable(obj) and obj in NONDIFF_BUILTINS


def _mutates(obj):
    """Library functions known to write into their arguments (`np.copyto`, `ufunc.at`)."""
    import operator

    import numpy as np
    writers = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis,
               operator.setitem, operator.delitem, setattr, delattr, exec, eval}
    if _hashable(obj) and obj in writers:
        return True
    return getattr(obj, "__name__", "") == "at" and type(getattr(obj, "__self__", None)) \
        is np.ufunc


def _is_random(obj):
    owner = getattr(obj, "__self__", None)
    module = getattr(obj, "__module__", "") or ""
    return type(owner).__name__ in ("RandomState", "Generator") or "random" in module.split(".")
