"""Unread adjoints are not computed (knetc/compiler/liveness.py), and the gradients of the
loops whose last backward pass skips them stay right."""
import numpy as np
import pytest

import knetc
from knetc.gradcheck import check_grads


def mlp(w, x):
    for i in range(0, len(w), 2):
        x = np.tanh(w[i] @ x + w[i + 1])
    return np.sum(x * x)


def embed(w, x):
    x = x @ w[0]
    return np.sum(np.sin(x))


def nested(w, x, n):
    for j in range(n):
        for i in range(len(w)):
            x = np.sin(w[i] * x)
    return np.sum(x)


def stepped(w, x):
    for i in range(3, -3, -2):
        x = x * w + i
    return np.sum(x * x)


def params(rng):
    return [rng.standard_normal((4, 3)), rng.standard_normal((4, 1)),
            rng.standard_normal((2, 4)), rng.standard_normal((2, 1))]


def test_data_adjoint_not_computed_in_first_pass():
    text = knetc.source(knetc.grad(mlp))
    assert "if i != steps[0]:" in text
    rng = np.random.default_rng(0)
    w, x = params(rng), rng.standard_normal((3, 5))
    check_grads(mlp, w, x)
    check_grads(mlp, w, x, argnums=1)   # asked for: computed in every pass
    assert "if i != steps" not in knetc.source(knetc.grad(mlp, argnums=1))
    check_grads(mlp, w, x, argnums=(0, 1))


@pytest.mark.parametrize("layers", [0, 1, 2, 3])
def test_loops_of_any_length(layers):
    rng = np.random.default_rng(layers)
    w, x = params(rng)[:2] * layers, rng.standard_normal((3, 5))
    w = [rng.standard_normal((3, 3)) if k % 2 == 0 else rng.standard_normal((3, 1))
         for k in range(2 * layers)]
    if layers == 0:
        assert knetc.grad(mlp)(w, x) == []
    else:
        check_grads(mlp, w, x)


def test_straight_line_data_adjoint_dropped():
    text = knetc.source(knetc.grad(embed))
    assert "matmul_grad_a" not in text
    rng = np.random.default_rng(1)
    check_grads(embed, [rng.standard_normal((3, 2))], rng.standard_normal((4, 3)))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_nested_loops(n):
    rng = np.random.default_rng(2)
    w = [rng.standard_normal(3) for _ in range(2)]
    x = rng.standard_normal(3)
    check_grads(nested, w, x, n)
    check_grads(nested, w, x, n, argnums=(0, 1))


def test_range_with_step():
    check_grads(stepped, 0.7, np.array([0.5, -1.0, 2.0]))
    check_grads(stepped, 0.7, np.array([0.5, -1.0, 2.0]), argnums=(0, 1))


def gates(w, x):
    g = x @ w + 1.0
    n = g.shape[1] // 4
    a, b, c, d = np.tanh(g[:, :n]), np.sin(g[:, n:2 * n]), g[:, 2 * n:3 * n], g[:, 3 * n:]
    return np.sum(a * b + c * d)


def cell(w, x):
    h = gates(w, x)
    return h * h


def test_add_at_chain_in_place_and_shape_stand_ins():
    rng = np.random.default_rng(3)
    w, x = rng.standard_normal((3, 8)), rng.standard_normal((5, 3))
    text = knetc.source(knetc.grad(cell))
    assert "add_at_inplace(" in text and "only_shape(" in text
    check_grads(cell, w, x)
    check_grads(cell, w, x, argnums=(0, 1))
    g1 = knetc.grad(cell)(w, x)
    assert np.allclose(g1, knetc.grad(cell)(w, x))  # nothing shared between calls


def test_only_shape():
    from knetc.runtime import only_shape
    a = np.ones((3, 4), np.float32)
    s = only_shape(a)
    assert s.shape == a.shape and s.dtype == a.dtype and not s.flags.writeable
    assert only_shape([1, 2]) == [1, 2] and only_shape(2.0) == 2.0
