"""Behaviour of the compiler around the generated code: caching, recompiling, linecache,
verbose stages, and the shape of the code itself."""
import importlib.util
import linecache
import sys
import textwrap
import traceback

import numpy as np
import pytest

import knetc
from knetc.api import _compiled


def load_module(tmp_path, name, text):
    """A real module from `text`, so knetc can read its source."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def loss(w, x):
    h = np.tanh(w @ x)
    return np.sum(h * h)


def test_compiled_once_and_reused():
    g = knetc.grad(loss)
    w, x = np.ones((2, 3)), np.ones(3)
    g(w, x)
    first = _compiled(loss, 0)
    g(w, x)
    assert _compiled(loss, 0) is first
    assert knetc.source(knetc.grad(loss)) == first.text


def test_recompiles_when_a_called_function_is_redefined(tmp_path):
    mod = load_module(tmp_path, "knetc_redefine", """
        import numpy as np

        def predict(w, x):
            return w * x

        def loss(w, x):
            return np.sum(predict(w, x))
    """)
    g = knetc.grad(mod.loss)
    x = np.arange(3.0)
    assert g(1.0, x) == pytest.approx(3.0)
    mod.predict = lambda w, x: w * w * x  # noqa: E731  a different function now
    assert g(1.0, x) == pytest.approx(6.0)


def test_generated_lines_are_in_linecache():
    knetc.grad(loss)
    compiled = _compiled(loss, 0)
    code = compiled.function.__code__
    first_line = linecache.getline(code.co_filename, code.co_firstlineno)
    assert first_line.strip().startswith("def dloss(")


def test_traceback_shows_generated_line_and_user_line():
    def bad(w, x):
        return np.sum(w @ x)

    with pytest.raises(ValueError) as info:
        knetc.grad(bad)(np.ones((2, 3)), np.ones(4))
    text = "".join(traceback.format_exception(info.value))
    assert "matmul = w @ x" in text               # the generated line, from linecache
    assert "test_compiler.py" in text             # and the user's file ...
    assert "return np.sum(w @ x)" in text         # ... and line, in the note


def test_verbose_prints_every_stage(monkeypatch, capsys):
    def small(x):
        y = np.sin(x)
        return np.sum(y)

    monkeypatch.setenv("KNETC_VERBOSE", "1")
    knetc.source(knetc.grad(small))
    err = capsys.readouterr().err
    for stage in ("desugared", "normalized", "active", "generated"):
        assert stage in err


def test_user_names_like_helpers_keep_their_meaning():
    def f(x):
        unbroadcast = x * 2.0
        zero_grad = np.sin(unbroadcast)
        return np.sum(zero_grad * x)

    knetc.check_grads(f, np.array([0.3, -0.2, 0.5]))


def test_readable_code_for_the_tutorial_mlp():
    def mlp(w, x, y):
        for i in range(0, len(w) - 2, 2):
            x = np.maximum(0, w[i] @ x + w[i + 1])
        return np.sum((w[-2] @ x + w[-1] - y) ** 2)

    text = knetc.source(knetc.grad(mlp))
    assert "for i in reversed(steps):" in text
    assert "# grad of: x = np.maximum(0, w[i] @ x + w[i + 1])" in text
    assert "dw = add_at(" in text
    assert "__" not in text.replace("__knetc", "")  # no markers left behind


def _swap_constants(p0, acc):
    p0 = 0.25
    s3 = 0.5
    p0, s3 = s3, p0  # both sides read before either is written
    return np.arctan(s3 + 0.0 * np.ones(3)) + p0


def swap_through_call(p):
    acc = [p]
    return np.sum(_swap_constants(2.0, acc) * p)


def test_swap_of_values_that_carry_no_gradient():
    # found by the random programs: `a, b = b, a` on values knetc kept inline swapped wrongly
    p = np.array([0.3, -0.2, 0.5])
    value, _ = knetc.value_and_grad(swap_through_call)(p)
    assert value == pytest.approx(swap_through_call(p))
    knetc.check_grads(swap_through_call, p)
