"""Issue 11, cases 1, 3 and 7 (methods, builtins): names, functions and methods are resolved
by what they are when the gradient runs, never by spelling, a stale compile or
`__wrapped__`. Each value is checked against plain Python, each gradient against central
finite differences (knetc.check_grads), each refusal by its type, file and line.
"""
import functools
import importlib.util
import inspect
import types

import numpy as np
import pytest

import knetc
from knetc.errors import KnetcSyntaxError, NoAdjointError

X = np.array([0.3, -0.7, 1.1])


def _agrees(f, *args):
    """knetc's value equals Python's, and its gradient matches finite differences."""
    value, _ = knetc.value_and_grad(f)(*args)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    knetc.check_grads(f, *args)


def _line_of(fn, needle):
    lines, start = inspect.getsourcelines(fn)
    return next(start + k for k, line in enumerate(lines) if needle in line)


def _module(tmp_path, name, text):
    """A module from source text, so module-level names can shadow builtins."""
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- case 1: decorators


def scaled(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


def plain_scaled(f):  # no functools.wraps: no __wrapped__
    def wrapper(x):
        return 3.0 * f(x)
    return wrapper


def times(k):  # a decorator with arguments
    def decorate(f):
        @functools.wraps(f)
        def wrapper(x):
            return k * f(x) + k
        return wrapper
    return decorate


@scaled
def wrapped_sin(x):
    return np.sin(x)


@plain_scaled
def plain_sin(x):
    return np.sin(x)


@times(4.0)
def times_tanh(x):
    return np.tanh(x)


def test_wraps_decorator_is_compiled_not_stripped():
    # issue 11 case 1: knetc read `wrapped_sin` through __wrapped__ (half the value, cos(x))
    def loss(x):
        return np.sum(wrapped_sin(x))
    _agrees(loss, X)
    np.testing.assert_allclose(knetc.grad(loss)(X), 2.0 * np.cos(X))


def test_plain_and_parametrized_decorators():
    def loss(x):
        return np.sum(plain_sin(x)) + np.sum(times_tanh(x))
    _agrees(loss, X)


@scaled
def decorated_loss(x):
    return np.sum(np.sin(x) * x)


def test_grad_of_a_decorated_loss():
    _agrees(decorated_loss, X)
    np.testing.assert_allclose(knetc.grad(decorated_loss)(X),
                               2.0 * (np.cos(X) * X + np.sin(X)))


def forwarding(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return 2.0 * f(*args, **kwargs)
    return wrapper


def forwarding_times(k):  # with arguments, named parameter plus **kwargs
    def decorate(f):
        @functools.wraps(f)
        def wrapper(x, **kwargs):
            return k * f(x, **kwargs) + k
        return decorate_inner(wrapper)
    return decorate


def decorate_inner(f):
    return f


def star_only(f):
    @functools.wraps(f)
    def wrapper(*args):
        return f(*args) - 1.0
    return wrapper


@forwarding
def forwarded_sin(x, scale=1.0):
    return np.sin(x) * scale


@forwarding_times(3.0)
@forwarding  # stacked: the outer wrapper forwards to the inner wrapper
def forwarded_pair(x, y, *, c=0.5):
    return np.sum(np.tanh(x * y) + c)


@star_only
def star_tanh(x, y):
    return np.tanh(x) * y


@forwarding
def forwarded_loss(x, w):
    return np.sum(np.sin(x) * w)


class Scaled:
    def __init__(self, w):
        self.w = w

    @forwarding
    def predict(self, x):
        return np.sum(self.w * np.tanh(x))

    def loss(self, x):  # `self.predict`, found on the class when compiled
        return self.predict(x) ** 2

    @forwarding
    def decorated_loss(self, x):
        return self.predict(x) + np.sum(x ** 2)


def forwarded_calls(x, y):
    return (np.sum(forwarded_sin(x)) + np.sum(forwarded_sin(x, scale=y[0]))
            + np.sum(forwarded_sin(x, 0.5)) + forwarded_pair(x, y=y, c=0.2)
            + forwarded_pair(x, y=y) + np.sum(star_tanh(x, y)))


def forwarded_through_a_parameter(x, model):
    return model.predict(x) ** 2


@pytest.mark.parametrize("loss, args", [
    (forwarded_calls, (X, X[::-1] + 2.0)),
    (forwarded_loss, (X, X + 1.0)),           # knetc.grad of the decorated loss itself
])
def test_forwarding_wrapper_is_specialized(loss, args):
    # issue 11: `wrapper(*args, **kwargs)`, the most common decorator, was refused
    _agrees(loss, *args)
    knetc.check_grads(loss, *args, argnums=(0, 1))


def test_forwarding_wrapper_of_a_method():
    model = Scaled(X + 1.0)
    _agrees(forwarded_through_a_parameter, X, model)  # found at run time
    for method in (model.loss, model.decorated_loss):
        value, grad = knetc.value_and_grad(method)(X)
        np.testing.assert_allclose(value, method(X), rtol=1e-12)
        knetc.check_grads(method, X)
    np.testing.assert_allclose(knetc.grad(model.loss)(X),
                               2 * model.predict(X) * 2.0 * model.w * (1 - np.tanh(X) ** 2))
    np.testing.assert_allclose(knetc.grad(forwarded_loss)(X, 2.0 * X),
                               2.0 * np.cos(X) * 2.0 * X)


def test_forwarding_wrapper_source_names_the_parameters():
    def loss(x):
        return np.sum(forwarded_sin(x))
    text = knetc.source(knetc.grad(loss))
    assert "def forwarded_sin_forward(stack, x, scale):" in text
    assert "forwarded_sin_forward_2(stack, x, scale)" in text
    code = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any("args" in line for line in code)


def test_rebinding_the_wrapped_function_recompiles():
    def loss(x):
        return np.sum(forwarded_sin(x))
    g = knetc.grad(loss)
    np.testing.assert_allclose(g(X), 2.0 * np.cos(X))
    cell = forwarded_sin.__closure__[forwarded_sin.__code__.co_freevars.index("f")]
    original = cell.cell_contents
    try:
        cell.cell_contents = lambda x, scale=1.0: np.exp(x) * scale
        np.testing.assert_allclose(g(X), 2.0 * np.exp(X))
    finally:
        cell.cell_contents = original


def counting(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs) * len(args)
    return wrapper


def renaming(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args)
    return wrapper


@counting
def counted_sin(x):
    return np.sin(x)


@renaming
def renamed_sin(x, scale=1.0):
    return np.sin(x) * scale


@pytest.mark.parametrize("helper, decorator, needle", [
    (counted_sin, counting, "* len(args)"),   # reads args: depends on the call's spelling
    (renamed_sin, renaming, "return f(*args)"),  # drops kwargs: a keyword goes nowhere
])
def test_wrapper_that_reads_its_arguments_is_refused_not_unwrapped(helper, decorator,
                                                                   needle):
    def loss(x):
        return np.sum(helper(x))
    with pytest.raises(KnetcSyntaxError, match="it takes `.args`/`..kwargs`") as info:
        knetc.grad(loss)(X)
    assert info.value.filename == __file__
    assert info.value.lineno == _line_of(decorator, needle)


def inner(x):
    return (x * x).sum()


dinner = knetc.grad(inner)
dcube = knetc.grad(lambda x: x ** 3)


def outer(x):
    return (dinner(x) * x).sum()


def through_gradient(x):
    return dcube(x)


def test_gradient_called_inside_a_differentiated_function():
    # issue 11 case 1 (knetc once differentiated `inner` itself: 27.0 instead of 18.0), now
    # differentiated through the gradient's own generated code (issue 12)
    assert knetc.grad(through_gradient)(3.0) == pytest.approx(18.0, rel=1e-12)
    knetc.check_grads(outer, X)  # d/dx sum(2x * x) = 4x, against finite differences
    np.testing.assert_allclose(knetc.grad(outer)(X), 4 * X, rtol=1e-12)


def test_grad_of_grad_of_a_vector_function_is_refused():
    with pytest.raises(knetc.NonScalarError, match="scalar gradient"):
        knetc.grad(knetc.grad(inner))(X)


# ---------------------------------------------------------------- case 3: rebinding

helpmod = types.ModuleType("helpmod")
helpmod.act = np.tanh


def through_module_attribute(x):
    return np.sum(helpmod.act(x))


def helper_through_module(x):
    return helpmod.act(x) * 2.0


def through_helper(x):
    return np.sum(helper_through_module(x))


@pytest.mark.parametrize("loss", [through_module_attribute, through_helper])
def test_rebinding_a_module_attribute_recompiles(loss):
    # issue 11 case 3: `helpmod.act = np.exp` kept running the tanh code
    g = knetc.value_and_grad(loss)
    g(X)
    try:
        helpmod.act = np.exp
        value, grad = g(X)
        np.testing.assert_allclose(value, loss(X))
        knetc.check_grads(loss, X, grad_fn=knetc.grad(loss))
        np.testing.assert_allclose(grad, np.exp(X) * (2.0 if loss is through_helper else 1.0))
    finally:
        helpmod.act = np.tanh


def test_rebinding_a_closure_cell_recompiles():
    act = np.tanh

    def loss(x):
        return np.sum(act(x))
    g = knetc.grad(loss)
    np.testing.assert_allclose(g(X), 1 - np.tanh(X) ** 2)
    act = np.cos  # noqa: F841 (read by loss through its cell)
    np.testing.assert_allclose(g(X), -np.sin(X))


class Model:
    def predict(self, x):
        return np.tanh(x)

    def loss(self, x):
        return np.sum(self.predict(x))


class Layer:
    def apply(self, x):
        return helpmod.act(x)


def test_replacing_a_method_on_its_class_recompiles():
    original = Model.predict
    g = knetc.grad(Model.loss, argnums=1)
    model = Model()
    np.testing.assert_allclose(g(model, X), 1 - np.tanh(X) ** 2)
    try:
        Model.predict = lambda self, x: np.exp(x)
        np.testing.assert_allclose(g(model, X), np.exp(X))
    finally:
        Model.predict = original


def test_method_found_at_run_time_recompiles():
    def loss(x, layers):
        for layer in layers:
            x = layer.apply(x)
        return np.sum(x)
    layers = [Layer(), Layer()]
    g = knetc.grad(loss)
    g(X, layers)
    try:
        helpmod.act = np.sin
        np.testing.assert_allclose(g(X, layers), np.cos(np.sin(X)) * np.cos(X))
    finally:
        helpmod.act = np.tanh


# ---------------------------------------------------------------- case 7: methods


class S:
    def sum(self, w):
        return np.sum(w * 9.0)

    def dot(self, w):
        return np.sum(w * w * 2.0)


s = S()
W = np.array([[1.0, 2.0, 0.5], [3.0, -4.0, 1.5]])


def user_sum(w):
    return s.sum(w) * 3


def user_dot(w):
    return s.dot(w)


def array_dot(w):
    return np.sum(W.dot(w) ** 2)


@pytest.mark.parametrize("loss", [user_sum, user_dot, array_dot])
def test_method_of_a_global_is_what_it_is(loss):
    # issue 11 case 7: s.sum(w) was differentiated as ndarray.sum ([0,0]; dot crashed)
    _agrees(loss, X)


def test_user_sum_exact():
    np.testing.assert_allclose(knetc.grad(user_sum)(X), [27.0, 27.0, 27.0])


class Parser:
    def __init__(self):
        self.table = {"a": 2.0}

    def get(self, key, w):
        return np.sum(w * self.table[key])


class Holder:
    def __init__(self):
        self.parser = Parser()

    def loss(self, w):
        return self.parser.get("a", w) * 3.0


def test_attribute_chain_method_is_not_dict_get():
    holder = Holder()
    value, grad = knetc.value_and_grad(Holder.loss, argnums=1)(holder, X)
    assert value == pytest.approx(holder.loss(X))
    np.testing.assert_allclose(grad, [6.0, 6.0, 6.0])


def local_receivers(w, obj):
    # obj is an S, w an array: both spell `.sum` and `.dot`
    return obj.sum(w) + w.sum() + np.sum(w.dot(w)) + obj.dot(w)


def test_method_of_a_local_value_dispatches_by_its_class():
    _agrees(local_receivers, X, s)


class Stats:
    def __init__(self, k):
        self.k = k

    def sum(self, v, axis=None, scale=1.0):
        return self.k * scale * np.sum(np.tanh(v), axis=axis)

    def argmax(self):
        return 0

    def reshape(self, v):
        return v[::-1]


def keyword_receivers(x, st):
    # `sum` and `argmax` are methods of Stats too: found at run time, keywords and all
    a = x.sum(axis=0)
    b = st.sum(x, axis=0, scale=2.0)
    k = x.argmax(axis=0)
    r = np.sum(x.reshape(4)[1:] ** 2) + np.sum(x.reshape(2, 2, order="F")[0] ** 3)
    return np.sum(a * b) + st.sum(x) + np.sum(x[k]) + r


def keyword_differentiated(x, st, w):
    return st.sum(x, scale=w)


def test_keyword_arguments_of_methods_found_at_run_time():
    x = np.array([[0.1, 0.2], [0.3, -0.4]])
    _agrees(keyword_receivers, x, Stats(1.5))


def test_differentiated_keyword_argument_of_a_run_time_method_is_refused():
    x = np.array([[0.1, 0.2], [0.3, -0.4]])
    with pytest.raises(NoAdjointError, match="passed by keyword") as info:
        knetc.grad(keyword_differentiated, argnums=(0, 2))(x, Stats(1.5), 2.0)
    assert info.value.lineno == _line_of(keyword_differentiated, "st.sum(x, scale=w)")


# ---------------------------------------------------------------- case 7: builtins

SHADOWING = '''
import numpy as np


def enumerate(xs):
    return [(2.0 * i + 1.0, 3.0 * xs[i]) for i in range(len(xs))]


def reversed(xs):
    return [xs[0] * 4.0]


def zip(a, b):
    return [(a[0], b[-1])]


def sum(xs):
    return np.sum(xs) * 10.0


def loss(x):
    t = 0.0
    for i, v in enumerate([x, x * 2.0]):
        t = t + i * np.sum(v)
    for v in reversed([x, x * 5.0]):
        t = t + np.sum(v)
    for a, b in zip([x, x], [x * 3.0, x * 7.0]):
        t = t + np.sum(a * b)
    return t + sum(x)
'''


def test_module_globals_named_like_builtins(tmp_path):
    # issue 11 case 7: `enumerate` defined at module level was desugared as the builtin
    module = _module(tmp_path, "shadowing_globals", SHADOWING)
    _agrees(module.loss, X)


SPELLED = '''
import builtins

import numpy as np


def zip(a, b):  # the module's own zip, written with the builtin's other spelling
    return [(u, 0.5 * v) for u, v in builtins.zip(a, b)]


def loss(x):
    t = 0.0
    for a, b in zip([x, x * 2.0], [x, x / 3.0]):
        t = t + np.sum(a * b)
    return t
'''


def test_builtin_called_through_another_spelling(tmp_path):
    # found by the random programs: `builtins.zip(a, b)` was not desugared (NoAdjointError)
    module = _module(tmp_path, "spelled_builtins", SPELLED)
    _agrees(module.loss, X)


def test_closure_and_parameter_named_like_builtins():
    def enumerate(xs):
        return [(5.0, xs[0])]

    def loss(x, len):
        t = 0.0
        for i, v in enumerate([x]):
            t = t + i * np.sum(v)
        return t * len(x)
    _agrees(loss, X, np.sum)


def test_defining_a_shadowing_global_later_recompiles(tmp_path):
    module = _module(tmp_path, "shadowing_later", "import numpy as np\n\n\n"
                     "def loss(x):\n    return np.sum(x) * len(x)\n")
    g = knetc.grad(module.loss)
    np.testing.assert_allclose(g(X), [3.0, 3.0, 3.0])
    module.len = lambda x: 2.0 * np.sum(x)
    _agrees(module.loss, X)
    np.testing.assert_allclose(g(X), 4.0 * np.sum(X) * np.ones(3))


# ---------------------------------------------------------------- a file edited after import


def test_source_edited_after_import_is_refused_not_misread(tmp_path):
    # Lines added above a function shift it: reading the file again at the line Python
    # recorded would differentiate another function (a wrong number); knetc refuses.
    text = "import numpy as np\n\n\ndef first(x):\n    return np.sum(x * 50.0)\n\n\n" \
           "def second(x):\n    return np.sum(np.sin(x))\n"
    module = _module(tmp_path, "edited_after_import", text)
    (tmp_path / "edited_after_import.py").write_text("import math\nimport os\n" + text)
    with pytest.raises(knetc.KnetcError, match="changed after it was imported"):
        knetc.grad(module.second)(X)
