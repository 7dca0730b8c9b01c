"""Calls whose function is known only at run time: methods of objects that hold parameters.

A differentiated value that is called, `f(x)` with f a callable object, runs its class's
`__call__` the same way, with f as `self`.

In `for layer in self.layers: x = layer.apply(x)`, which `apply` runs depends on each
layer's class. The generated code calls `method_forward(stack, layer, "apply", x)`, which
finds the method, compiles its forward/backward pair once per method, runs the forward
function and leaves the backward function on the stack for `method_backward` to call.
"""
import inspect

from .compiler import compile_pair
from .compiler.mutation import mutated_params
from .compiler.resolve import user_function
from .rules import NONDIFF, RULES
from .rules.dynamic import vjp
from .pytree import attributes, is_object
from .runtime.grads import GradDict, zero_grad

_pairs = {}


def forward(stack, obj, name, args, keywords=None):
    keywords = keywords or {}
    derivative = getattr(obj, "_knetc_derivative", None)
    if name == "__call__" and derivative is not None:  # a gradient made by knetc.grad
        result = obj(*args, **keywords)
        stack.append(lambda stack, g: (None, *derivative.vjp(g, args, keywords)))
        return result
    if name.startswith("__jvp__"):  # `method_jvp(tangents, obj, name, *args)` in forward
        return _tangent_forward(stack, obj, name[len("__jvp__"):], args, keywords)  # code
    method = getattr(type(obj), name, None)
    if name == "__call__" and not inspect.isfunction(method) and not keywords:
        return _call_function(stack, obj, args)
    if method is None and is_object(obj) and callable(attributes(obj).get(name)) \
            and not keywords:
        return _call_attribute(stack, obj, name, args)
    operands = (obj, *args)
    if not inspect.isfunction(method) and "." + name in RULES:  # an array's `.sum`: its rule
        result = getattr(obj, name)(*args, **keywords)
        stack.append(lambda stack, g: tuple(vjp("." + name, i)(g, result, *operands,
                                                               **keywords)
                                            for i in range(len(operands))))
        return result
    if not inspect.isfunction(method) and "." + name in NONDIFF:  # an array's `.argmax`
        result = getattr(obj, name)(*args, **keywords)
        stack.append(lambda stack, g: tuple(zero_grad(o) for o in operands))
        return result
    if not inspect.isfunction(method):
        owner = type(obj).__name__
        raise TypeError(f"knetc has no adjoint rule for {owner}.{name}; define one with "
                        f"@knetc.adjoint, or call a function knetc knows")
    compiled = _pairs.get(method)
    if compiled is None or compiled.stale():  # stale: something it calls was rebound
        if mutated_params(method, user_function):
            raise TypeError(f"knetc cannot differentiate calling {type(obj).__name__}.{name}, "
                            "which mutates its arguments, through an object it finds at run "
                            "time; call it as a function by its own name")
        compiled = _pairs[method] = compile_pair(method)
    fwd, bwd = compiled.function
    result = fwd(stack, obj, *args, **keywords)
    if len(inspect.signature(method).parameters) == len(operands):
        stack.append(bwd)
    else:  # defaults, or constants by keyword: adjoints for the positional operands only
        stack.append(lambda stack, g: tuple(bwd(stack, g))[:len(operands)])
    return result


_tangents = {}


def tangent(tangents, obj, name, args, keywords=None):
    """`(value, tangent)` of `obj.name(*args)` found at run time: a gradient made by
    knetc.grad (its derivative in the direction, from knetc.higher), or a user method
    (its own tangent function, compiled once per method)."""
    keywords = keywords or {}
    derivative = getattr(obj, "_knetc_derivative", None)
    if name == "__call__" and derivative is not None:
        return derivative.jvp(tangents[1:], args, keywords)
    if name == "__call__" and not inspect.isfunction(getattr(type(obj), name, None)):
        if _has_rule(obj):  # `act = np.tanh; act(x)`: the function's forward rule
            from .runtime.index import call_tangent
            value = obj(*args)
            return value, call_tangent(obj, value, args, tuple(tangents[1:]))
        if inspect.isfunction(obj):  # a function of the user's held in a variable
            from .compiler import compile_jvp
            compiled = _tangents.get(obj)
            if compiled is None or compiled.stale():
                count = len(inspect.signature(obj).parameters)
                compiled = _tangents[obj] = compile_jvp(obj, tuple(range(count)))
            return compiled.function(*tangents[1:], *args, **keywords)
    method = getattr(type(obj), name, None)
    if not inspect.isfunction(method) and _has_rule("." + name):
        from .runtime.index import call_tangent  # an array's `.sum()`: the method's rule
        value = getattr(obj, name)(*args, **keywords)
        return value, call_tangent("." + name, value, (obj, *args), tuple(tangents), keywords)
    if not inspect.isfunction(method):
        what = f"{type(obj).__name__}.{name}" if name != "__call__" else \
            getattr(obj, "__name__", type(obj).__name__)
        raise TypeError(f"knetc's forward mode cannot call {what}, found at run time: it "
                        "differentiates methods of your own classes and gradients made by "
                        "knetc; call a function by its own name")
    from .compiler import compile_jvp
    compiled = _tangents.get(method)
    if compiled is None or compiled.stale():
        count = len(inspect.signature(method).parameters)
        compiled = _tangents[method] = compile_jvp(method, tuple(range(count)))
    count = len(compiled.wrt)
    operands = (obj, *args)
    if len(operands) != count:  # defaults: their tangents are zero
        from .runtime.tangents import zero_tangent
        defaults = list(inspect.signature(method).parameters.values())[len(operands):]
        extra = tuple(zero_tangent(keywords.get(p.name, p.default)) for p in defaults)
        return compiled.function(*tangents, *extra, *operands, **keywords)
    return compiled.function(*tangents, *operands, **keywords)


_rule_functions = {}


def _rule_forward(stack, obj, name, args, keywords=None):
    """Reverse mode over the tangent of a rule applied at run time (`x.sum()` where a user
    class also has a `sum`, `act(x)` with act = np.tanh): a small function with source,
    `(y, y_dot)` from the rule's templates, compiled like any other, then its pair run."""
    method = name != "__call__"
    tangents, rest = args[0][0 if method else 1:], args[1:]  # (no tangent for a function)
    keywords = tuple(sorted((keywords or {}).items()))  # constants: `x.sum(axis=0)`
    key = ("." + name if method else obj, len(rest) + method, repr(keywords))
    compiled = _rule_functions.get(key)
    if compiled is None:
        fn = _rule_function(key[0], key[1], None if method else obj, dict(keywords))
        compiled = _rule_functions[key] = compile_pair(fn)
    fwd, bwd = compiled.function
    operands = (obj, *rest) if method else rest
    result = fwd(stack, *tangents, *operands)
    k = len(tangents)

    def reorder(stack, g):  # (obj, tangents, *args), the operands of method_jvp's call
        grads = tuple(bwd(stack, g))
        if method:
            return (grads[k], grads[:k]) + grads[k + 1:]
        return (None, (None,) + grads[:k]) + grads[k:]

    stack.append(reorder)
    return result


def _rule_function(key, count, fn, keywords):
    """`def f(x_dot, ..., x, ...): y = x.sum(...); return y, <the rule's y_dot>` as source
    (registered with linecache, so that knetc can read and differentiate it)."""
    import linecache
    import textwrap

    from . import runtime
    from .compiler.syntax import expr_text
    rule = RULES[key]
    params = list(rule.signature.parameters.values())
    given, rest = params[:count], params[count:]
    names = [p.name for p in given]
    passed = names[1:] + [f"{k}={k}" for k in keywords]
    call = (f"{names[0]}.{key[1:]}({', '.join(passed)})" if isinstance(key, str)
            else f"__fn__({', '.join(names)})")
    text = (f"def {rule.name}_rule_jvp({', '.join([n + '_dot' for n in names] + names)}):\n"
            + "".join(f"    {p.name} = {keywords.get(p.name, p.default)!r}\n" for p in rest
                      if (p.default is not p.empty or p.name in keywords)
                      and p.kind is not p.VAR_POSITIONAL)
            + f"    {rule.result} = {call}\n"
            + f"    return {rule.result}, {expr_text(rule.tangent)}\n")
    filename = f"<knetc rule {rule.name} #{len(_rule_functions)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(vars(runtime), __fn__=fn, __name__="knetc.runtime")
    namespace.update(rule.namespace or {})
    exec(compile(textwrap.dedent(text), filename, "exec"), namespace)  # noqa: S102
    return namespace[f"{rule.name}_rule_jvp"]


def _has_rule(fn):
    try:
        return fn in RULES or fn in NONDIFF
    except TypeError:
        return False


def _tangent_forward(stack, obj, name, args, keywords):
    """Reverse mode over `method_jvp(tangents, obj, name, *args)`: the forward/backward pair
    of the method's generated tangent function, whose parameters are (*tangents, obj, *args);
    the adjoints come back in the call's operand order (obj, tangents, *args)."""
    from .runtime.mutation import method_jvp
    method = getattr(type(obj), name, None)
    if not inspect.isfunction(method) and (
            _has_rule("." + name) or name == "__call__" and _has_rule(obj) and not keywords):
        return _rule_forward(stack, obj, name, args, keywords)
    if getattr(obj, "_knetc_derivative", None) is not None or not inspect.isfunction(method):
        raise TypeError(f"knetc cannot differentiate the forward-mode call of "
                        f"{type(obj).__name__}.{name} again: only methods of your own "
                        "classes are differentiated to second order when found at run time")
    tangents, rest = args[0], args[1:]
    method_jvp(tangents, obj, name, *rest, **keywords)  # compiles the tangent function
    jvp_fn = _tangents[method].function
    compiled = _pairs.get(jvp_fn)
    if compiled is None or compiled.stale():
        compiled = _pairs[jvp_fn] = compile_pair(jvp_fn)
    fwd, bwd = compiled.function
    result = fwd(stack, *tangents, obj, *rest, **keywords)
    k = len(tangents)

    def reorder(stack, g):
        grads = tuple(bwd(stack, g))
        return (grads[k], grads[:k]) + grads[k + 1:]

    stack.append(reorder)
    return result


def _call_function(stack, fn, args):
    """`f(x)` where the differentiated value f is a function with a rule (`np.tanh` held in
    the parameters): the rule's adjoints for the arguments, none for f itself."""
    from .rules.dynamic import vjp
    rules = [vjp(fn, i) for i in range(len(args))]  # refuses a function without a rule
    result = fn(*args)
    stack.append(lambda stack, g: (None,) + tuple(r(g, result, *args) for r in rules))
    return result


def _call_attribute(stack, obj, name, args):
    """`self.layer(x)` where `layer` is an attribute holding a callable object or function:
    its adjoint comes back under the attribute's name."""
    result = forward(stack, attributes(obj)[name], "__call__", args)
    inner = stack.pop()

    def attribute_backward(stack, g):
        grads = inner(stack, g)
        return (None if grads[0] is None else GradDict({name: grads[0]}),) + tuple(grads[1:])

    stack.append(attribute_backward)
    return result


def backward(stack, g):
    bwd = stack.pop()
    grads = bwd(stack, g)
    return grads
