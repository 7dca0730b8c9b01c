"""Arrays the backward sweep is done with are deleted before the heavy helpers run
(knetc/compiler/release.py); conv4's result is saved as a shape stand-in
(knetc/compiler/shapes.py); the gradients stay right."""
import numpy as np

import knetc
from knetc import conv4, pool, relu
from knetc.gradcheck import check_grads


def predict(w, x):
    h = pool(relu(conv4(w[0], x) + w[1]))
    return w[2] @ h.reshape(h.shape[0], -1).T + w[3]


def loss(w, x):
    y = predict(w, x)
    return np.sum(y * y)


def params(rng):
    return [rng.standard_normal((3, 1, 3, 3)), rng.standard_normal((1, 3, 1, 1)),
            rng.standard_normal((2, 12)), rng.standard_normal((2, 1))]


def test_dead_arrays_deleted_and_gradient_right():
    rng = np.random.default_rng(0)
    w, x = params(rng), rng.standard_normal((4, 1, 6, 6))
    g = knetc.grad(loss)
    text = knetc.source(g)
    assert "only_shape(conv4_2)" in text  # a knetc operator's result: saved for its shape
    backward = text.split("def predict_backward")[1].split("\ndef ")[0]
    dels = [line.strip() for line in backward.splitlines() if line.strip().startswith("del ")]
    assert dels, backward
    last = backward.split("conv4_grad_w")[0].rsplit("del ", 1)[1]
    assert "relu_2" in last.splitlines()[0]  # gone before the filters' adjoint
    check_grads(loss, w, x)
    again = g(w, x)  # the cached code, twice
    for a, b in zip(again, g(w, x)):
        np.testing.assert_array_equal(a, b)
