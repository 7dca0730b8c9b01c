"""Tests for knetc.optim: each update rule against references, in-place updates, structures."""
import copy

import numpy as np
import pytest

import knetc
from knetc import optim

W0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.5, 1.0, -2.0]), np.array([-1.0, 0.25, 0.0]), np.array([2.0, 2.0, 1.0])]


def reference(name, w, grads, **h):
    """Knet 1.4's update formulas, written out functionally (no in-place tricks)."""
    w = w.copy()
    v = G = delta = m = s = np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        if name == "SGD":
            w = w - h["lr"] * g
        elif name == "Momentum":
            v = h["gamma"] * v - h["lr"] * g
            w = w + v
        elif name == "Nesterov":
            w = w - h["gamma"] * v
            v = h["gamma"] * v - h["lr"] * g
            w = w + (1 + h["gamma"]) * v
        elif name == "Adagrad":
            G = G + g ** 2
            w = w - h["lr"] * g / np.sqrt(G + h["eps"])
        elif name == "Rmsprop":
            G = h["rho"] * G + (1 - h["rho"]) * g ** 2
            w = w - h["lr"] * g / np.sqrt(G + h["eps"])
        elif name == "Adadelta":
            G = h["rho"] * G + (1 - h["rho"]) * g ** 2
            u = g * np.sqrt(delta + h["eps"]) / np.sqrt(G + h["eps"])
            w = w - h["lr"] * u
            delta = h["rho"] * delta + (1 - h["rho"]) * u ** 2
        elif name == "Adam":
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            s = h["beta2"] * s + (1 - h["beta2"]) * g ** 2
            mhat, shat = m / (1 - h["beta1"] ** t), s / (1 - h["beta2"] ** t)
            w = w - h["lr"] * mhat / (np.sqrt(shat) + h["eps"])
    return w


KNET_DEFAULTS = {
    "SGD": dict(lr=0.1, gclip=0.0),
    "Momentum": dict(lr=0.05, gamma=0.95, gclip=0.0),
    "Nesterov": dict(lr=0.05, gamma=0.95, gclip=0.0),
    "Adagrad": dict(lr=0.05, eps=1e-6, gclip=0.0),
    "Rmsprop": dict(lr=0.01, rho=0.9, eps=1e-6, gclip=0.0),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, gclip=0.0),
    "Adam": dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, gclip=0.0),
}
NAMES = list(KNET_DEFAULTS)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_knets(name):
    assert getattr(knetc, name)().config() == KNET_DEFAULTS[name]


@pytest.mark.parametrize("name", NAMES)
def test_three_steps_match_reference(name):
    opt = getattr(knetc, name)()
    w = W0.copy()
    for g in GRADS:
        knetc.update(w, g, opt)
    np.testing.assert_allclose(w, reference(name, W0, GRADS, **KNET_DEFAULTS[name]), rtol=1e-12)


def test_first_steps_by_hand():
    # w = 1, g = 0.5, with each optimizer's Knet defaults
    cases = {
        "SGD": 1 - 0.1 * 0.5,
        "Momentum": 1 - 0.05 * 0.5,                           # v = -lr*g
        "Nesterov": 1 - 1.95 * 0.05 * 0.5,                    # w += (1+gamma) * v
        "Adagrad": 1 - 0.05 * 0.5 / np.sqrt(0.25 + 1e-6),
        "Rmsprop": 1 - 0.01 * 0.5 / np.sqrt(0.025 + 1e-6),
        "Adadelta": 1 - 0.5 * np.sqrt(1e-6) / np.sqrt(0.025 + 1e-6),
        "Adam": 1 - 0.001 * 0.5 / (0.5 + 1e-8),
    }
    for name, expected in cases.items():
        w = np.array([1.0])
        knetc.update(w, np.array([0.5]), getattr(knetc, name)())
        assert w[0] == pytest.approx(expected, rel=1e-12), name


@pytest.mark.parametrize("name", NAMES)
def test_in_place_and_state_allocated_once(name):
    opt = getattr(knetc, name)(lr=0.01)
    w = [np.ones((3, 4), np.float32), np.zeros((4,), np.float32)]
    arrays = [id(a) for a in w]
    views = [a[...] for a in w]                       # views of the original buffers
    g = [np.full((3, 4), 0.5, np.float32), np.ones(4, np.float32)]
    g_before = copy.deepcopy(g)
    out = knetc.update(w, g, opt)
    state = {k: {s: id(a) for s, a in st.items() if hasattr(a, "shape")}
             for k, st in opt.state.items()}
    out = knetc.update(w, g, opt)
    assert out is w and [id(a) for a in w] == arrays
    assert all(np.shares_memory(a, v) for a, v in zip(w, views))
    assert all(a.dtype == np.float32 for a in w)
    assert not np.array_equal(w[0], np.ones((3, 4)))
    assert {k: {s: id(a) for s, a in st.items() if hasattr(a, "shape")}
            for k, st in opt.state.items()} == state
    for a, b in zip(g, g_before):
        np.testing.assert_array_equal(a, b)           # gradients are not modified


def test_nested_structures_and_float_leaves():
    w = {"layers": [(np.ones(2), 1.0), [np.ones(3), 2.0]], "scale": 3.0, "n": 7,
         "frozen": np.arange(3)}
    g = {"layers": [(np.ones(2), 1.0), [np.ones(3), 1.0]], "scale": 10.0, "n": 0.0,
         "frozen": np.ones(3)}
    arr0, arr1, inner = w["layers"][0][0], w["layers"][1][0], w["layers"][1]
    out = knetc.update(w, g, knetc.SGD(lr=0.1))
    assert out is w                                    # dicts and lists change in place
    assert w["layers"][0][0] is arr0 and w["layers"][1][0] is arr1
    assert w["layers"][0] == pytest.approx((0.9, 0.9)) and w["layers"][0][1] == 0.9
    assert w["layers"][1] is inner and inner[1] == pytest.approx(1.9)
    assert w["scale"] == pytest.approx(2.0) and isinstance(w["scale"], float)
    assert w["n"] == 7 and isinstance(w["n"], int)     # ints are constants
    np.testing.assert_array_equal(w["frozen"], np.arange(3))   # integer arrays too
    np.testing.assert_allclose(arr1, 0.9)


def test_top_level_float_and_tuple_return_new_values():
    opt = knetc.Momentum(lr=0.1, gamma=0.5)
    x = 1.0
    x = knetc.update(x, 2.0, opt)
    x = knetc.update(x, 2.0, opt)
    assert x == pytest.approx(1.0 - 0.2 + (0.5 * -0.2 - 0.2))
    t = (np.ones(2), 1.0)
    t2 = knetc.update(t, (np.ones(2), 1.0), knetc.SGD())
    assert t2 is not t and t2[0] is t[0] and t2[1] == pytest.approx(0.9)
    assert isinstance(knetc.update(np.float32(1.0), 1.0, knetc.SGD()), np.float32)


def test_none_gradients_and_missing_keys_are_skipped():
    w = {"a": np.ones(2), "b": np.ones(2), "c": np.ones(2)}
    knetc.update(w, {"a": None, "b": np.ones(2)}, knetc.SGD())
    np.testing.assert_array_equal(w["a"], 1.0)
    np.testing.assert_allclose(w["b"], 0.9)
    np.testing.assert_array_equal(w["c"], 1.0)


def test_structure_of_optimizers():
    w = [np.ones(2), {"u": np.ones(2), "v": 1.0}, 5]
    opts = knetc.optimizers(w, knetc.SGD, lr=0.5)
    assert isinstance(opts[0], knetc.SGD) and opts[2] is None
    assert opts[0] is not opts[1]["u"]
    opts[1] = knetc.Adam(lr=0.1)                       # one optimizer for a whole subtree
    g = [np.ones(2), {"u": np.ones(2), "v": 1.0}, 0.0]
    w = knetc.update(w, g, opts)
    np.testing.assert_allclose(w[0], 0.5)
    np.testing.assert_allclose(w[1]["u"], 1 - 0.1 / (1 + 1e-8))
    assert w[1]["v"] == pytest.approx(1 - 0.1 / (1 + 1e-8))
    assert set(opts[1].state) == {(1, "u"), (1, "v")}
    with pytest.raises(TypeError):
        knetc.update([np.ones(2)], [np.ones(2)], {"a": knetc.SGD()})


def test_gclip_uses_the_global_norm():
    w = [np.zeros(1), np.zeros(1)]
    g = [np.array([3.0]), np.array([4.0])]            # global norm 5
    knetc.update(w, g, knetc.SGD(lr=1.0, gclip=1.0))
    np.testing.assert_allclose(np.concatenate(w), [-0.6, -0.8])
    w = [np.zeros(1), np.zeros(1)]
    knetc.update(w, g, knetc.SGD(lr=1.0, gclip=10.0))  # below the clip: unchanged gradient
    np.testing.assert_allclose(np.concatenate(w), [-3.0, -4.0])
    np.testing.assert_array_equal(g[0], [3.0])        # the gradient itself is untouched


@pytest.mark.parametrize("name", NAMES)
def test_gclip_equals_prescaled_gradient(name):
    gs = [[g, 2 * g] for g in GRADS]
    clipped, scaled = getattr(knetc, name)(gclip=0.5), getattr(knetc, name)()
    w1, w2 = [W0.copy(), W0.copy()], [W0.copy(), W0.copy()]
    for g in gs:
        norm = np.sqrt(sum(np.sum(x ** 2) for x in g))
        knetc.update(w1, g, clipped)
        knetc.update(w2, [x * min(1.0, 0.5 / norm) for x in g], scaled)
    np.testing.assert_allclose(w1[0], w2[0], rtol=1e-12)
    np.testing.assert_allclose(w1[1], w2[1], rtol=1e-12)


@pytest.mark.parametrize("name,lr,steps", [
    ("SGD", 0.1, 200), ("Momentum", 0.05, 300), ("Nesterov", 0.05, 300),
    ("Adagrad", 0.5, 500), ("Rmsprop", 0.05, 500), ("Adadelta", 1.0, 3000), ("Adam", 0.1, 500)])
def test_converges_on_a_quadratic(name, lr, steps):
    target = np.array([[1.0, -2.0], [0.5, 3.0]])
    scale = np.array([[1.0, 2.0], [0.5, 1.5]])

    def loss(w):
        return np.sum(scale * (w[0] - target) ** 2) + (w[1] - 1.0) ** 2

    dloss = knetc.grad(loss)
    w = [np.zeros((2, 2)), 0.0]
    opt = getattr(knetc, name)(lr=lr)
    start = loss(w)
    for _ in range(steps):
        w = knetc.update(w, dloss(w), opt)
    assert loss(w) < 1e-3 * start


def test_errors_name_the_leaf():
    with pytest.raises(ValueError, match=r"\[1\]"):
        knetc.update([np.ones(2), np.ones(3)], [np.ones(2), np.ones(2)], knetc.SGD())
    with pytest.raises(ValueError, match="items"):
        knetc.update([np.ones(2)], [np.ones(2), np.ones(2)], knetc.SGD())
    opt = knetc.Adam()
    knetc.update([np.ones(2)], [np.ones(2)], opt)
    with pytest.raises(ValueError, match="one optimizer per model"):
        knetc.update([np.ones(3)], [np.ones(3)], opt)


def test_state_dict_round_trip_continues_identically():
    w1, w2 = W0.copy(), W0.copy()
    opt = knetc.Adam(lr=0.01)
    knetc.update(w1, GRADS[0], opt)
    knetc.update(w2, GRADS[0], knetc.Adam(lr=0.01))
    opt2 = optim.Optimizer.from_state(opt.state_dict())
    assert isinstance(opt2, knetc.Adam) and opt2.lr == 0.01
    for g in GRADS[1:]:
        knetc.update(w1, g, opt)
        knetc.update(w2, g, opt2)
    np.testing.assert_array_equal(w1, w2)
    with pytest.raises(ValueError):
        knetc.SGD().load_state(opt.state_dict())
