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
from .rules.dynamic import jvp as rule_jvp
from .rules.dynamic import vjp
from .pytree import attributes, is_object
from .runtime.grads import GradDict, zero_grad
from .runtime.tangents import zero_tangent

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


def tangent(tangents, obj, name, args, keywords=None):
    """`(value, tangent)` of `obj.name(*args)` found at run time: a gradient made by
    knetc.grad (its derivative in the direction, from knetc.higher), or a user method
    (its own tangent function, compiled once per method)."""
    keywords = keywords or {}
    derivative = getattr(obj, "_knetc_derivative", None)
    if name == "__call__" and derivative is not None:
        return derivative.jvp(tangents[1:], args, keywords)
    if name == "__call__" and not inspect.isfunction(getattr(type(obj), name, None)):
        if _has_rule(obj) and obj not in RULES:  # argmax, shape, ...: constants
            value = obj(*args, **keywords)
            return value, zero_tangent(value)
        if _has_rule(obj):  # `act = np.tanh; act(x)`: the function's forward rule
            return rule_jvp(obj, len(args), _constants(keywords))(*tangents[1:], *args)
        if inspect.isfunction(obj):  # a function of the user's held in a variable
            return _tangent_function(obj).function(*tangents[1:], *args, **keywords)
    method = getattr(type(obj), name, None)
    if not inspect.isfunction(method) and "." + name in NONDIFF:  # `x.argmax()`
        value = getattr(obj, name)(*args, **keywords)
        return value, zero_tangent(value)
    if not inspect.isfunction(method) and _has_rule("." + name):  # an array's `.sum()`
        return rule_jvp("." + name, 1 + len(args), _constants(keywords))(*tangents, obj, *args)
    if not inspect.isfunction(method):
        what = f"{type(obj).__name__}.{name}" if name != "__call__" else \
            getattr(obj, "__name__", type(obj).__name__)
        raise TypeError(f"knetc's forward mode cannot call {what}, found at run time: it "
                        "differentiates methods of your own classes and gradients made by "
                        "knetc; call a function by its own name")
    compiled = _tangent_function(method)
    count = len(compiled.wrt)
    operands = (obj, *args)
    if len(operands) != count:  # defaults: their tangents are zero
        defaults = list(inspect.signature(method).parameters.values())[len(operands):]
        extra = tuple(zero_tangent(keywords.get(p.name, p.default)) for p in defaults)
        return compiled.function(*tangents, *extra, *operands, **keywords)
    return compiled.function(*tangents, *operands, **keywords)


def _tangent_function(fn):
    """fn's generated tangent function, in every positional parameter."""
    from .forward import compiled_jvp
    return compiled_jvp(fn, tuple(range(len(inspect.signature(fn).parameters))))


def _constants(keywords):
    return tuple(sorted(keywords.items()))


_rule_pairs = {}


def _rule_forward(stack, obj, name, args, keywords=None):
    """Reverse mode over the tangent of a rule applied at run time (`x.sum()` where a user
    class also has a `sum`, `act(x)` with act = np.tanh): a small function with source,
    `(y, y_dot)` from the rule's templates, compiled like any other, then its pair run."""
    method = name != "__call__"
    tangents, rest = args[0][0 if method else 1:], args[1:]  # (no tangent for a function)
    fn = rule_jvp("." + name if method else obj, len(rest) + method,
                  _constants(keywords or {}))  # keywords: constants, `x.sum(axis=0)`
    compiled = _rule_pairs.get(fn)
    if compiled is None:
        compiled = _rule_pairs[fn] = compile_pair(fn)
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


def _has_rule(fn):
    try:
        return fn in RULES or fn in NONDIFF
    except TypeError:
        return False


def _tangent_forward(stack, obj, name, args, keywords):
    """Reverse mode over `method_jvp(tangents, obj, name, *args)`: the forward/backward pair
    of the method's generated tangent function, whose parameters are (*tangents, obj, *args);
    the adjoints come back in the call's operand order (obj, tangents, *args)."""
    method = getattr(type(obj), name, None)
    if not inspect.isfunction(method) and (
            _has_rule("." + name) or name == "__call__" and _has_rule(obj) and not keywords):
        return _rule_forward(stack, obj, name, args, keywords)
    if getattr(obj, "_knetc_derivative", None) is not None or not inspect.isfunction(method):
        raise TypeError(f"knetc cannot differentiate the forward-mode call of "
                        f"{type(obj).__name__}.{name} again: only methods of your own "
                        "classes are differentiated to second order when found at run time")
    tangents, rest = args[0], args[1:]
    jvp_fn = _tangent_function(method).function
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
