"""The fused optimizer kernels (kernels/optim.cu via knetc/cuda/optim.py) on the CPU emulator,
against knetc.optim's NumPy optimizers run from the same start."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import cudaemu  # noqa: E402
from cudaemu import EmulatedDevice  # noqa: E402

import knetc  # noqa: E402
from knetc import optim  # noqa: E402
from knetc.cuda import optim as cuda_optim  # noqa: E402
from knetc.cuda.array import KnetArray  # noqa: E402

pytestmark = pytest.mark.skipif(cudaemu.compiler() is None, reason="no C++ compiler")

NAMES = ["SGD", "Momentum", "Nesterov", "Adagrad", "Rmsprop", "Adadelta", "Adam"]
KERNELS = {"SGD": "sgd", "Momentum": "momentum", "Nesterov": "nesterov", "Adagrad": "adagrad",
           "Rmsprop": "rmsprop", "Adadelta": "adadelta", "Adam": "adam"}
SLOTS = {"SGD": 0, "Momentum": 1, "Nesterov": 1, "Adagrad": 1, "Rmsprop": 1, "Adadelta": 2,
         "Adam": 2}
SHAPES = [(1,), (31,), (257,), (7, 5)]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}
DTYPES = [np.float32, np.float64]


@pytest.fixture(scope="module")
def dev():
    return EmulatedDevice()


def gpu(x, dev):
    return KnetArray(dev.from_host(np.asarray(x)), dev)


def problem(dtype, seed=0, shapes=SHAPES):
    """Parameters and three steps of gradients (not too small, so Adadelta moves)."""
    rng = np.random.default_rng(seed)
    w = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(3)]
    return w, grads


def run_both(dev, name, dtype, gclip, steps=3, **hyper):
    """(GPU params, CPU params, GPU optimizer, CPU optimizer) after the same steps."""
    w, grads = problem(dtype)
    wg = [gpu(a, dev) for a in w]
    og, oc = getattr(knetc, name)(gclip=gclip, **hyper), getattr(knetc, name)(gclip=gclip, **hyper)
    for g in grads[:steps]:
        out = knetc.update(wg, [gpu(a, dev) for a in g], og)
        assert out is wg
        knetc.update(w, g, oc)
    return wg, w, og, oc


@pytest.mark.parametrize("gclip", [0.0, 0.5, 1e6], ids=["noclip", "clips", "below"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_matches_numpy_optimizer(dev, name, dtype, gclip):
    wg, w, og, oc = run_both(dev, name, dtype, gclip)
    for a, b in zip(wg, w):
        assert isinstance(a, KnetArray) and a.dtype == dtype
        np.testing.assert_allclose(a.get(), b, **TOL[dtype])
    for path, st in oc.state.items():            # the state buffers match too, on the device
        for slot, ref in st.items():
            got = og.state[path][slot]
            if hasattr(ref, "shape"):
                assert isinstance(got, KnetArray)
                np.testing.assert_allclose(got.get(), ref, **TOL[dtype])
            else:
                assert got == ref                # Adam's step counter


@pytest.mark.parametrize("name", NAMES)
def test_non_default_hyperparameters(dev, name):
    hyper = {"lr": 0.3}
    hyper.update({"Momentum": {"gamma": 0.5}, "Nesterov": {"gamma": 0.7},
                  "Adagrad": {"eps": 1e-2}, "Rmsprop": {"rho": 0.5, "eps": 1e-3},
                  "Adadelta": {"rho": 0.6, "eps": 1e-4},
                  "Adam": {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3}}.get(name, {}))
    wg, w, _, _ = run_both(dev, name, np.float64, 0.0, **hyper)
    for a, b in zip(wg, w):
        np.testing.assert_allclose(a.get(), b, **TOL[np.float64])


@pytest.mark.parametrize("name", NAMES)
def test_one_kernel_per_parameter_per_step(dev, name):
    w, grads = problem(np.float32)
    wg, opt = [gpu(a, dev) for a in w], getattr(knetc, name)()
    gs = [[gpu(a, dev) for a in g] for g in grads]
    start = len(dev.launches)
    knetc.update(wg, gs[0], opt)                 # first step also zero-fills the state
    first = dev.launches[start:]
    assert [k for _, k, _ in first].count("fill_forward") == SLOTS[name] * len(w)  # zeros
    def buffers():
        return {p: {s: id(b) for s, b in st.items() if isinstance(b, KnetArray)}
                for p, st in opt.state.items()}

    state = buffers()
    for g in gs[1:]:
        start = len(dev.launches)
        knetc.update(wg, g, opt)
        assert dev.launches[start:] == [("optim", f"{KERNELS[name]}_forward", "float32")] * len(w)
    assert buffers() == state                    # state allocated once, updated in place


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_gclip_stays_on_the_device(dev, name, monkeypatch):
    w, grads = problem(np.float64)
    wg, opt = [gpu(a, dev) for a in w], getattr(knetc, name)(gclip=0.5)
    g = [gpu(a, dev) for a in grads[0]]
    knetc.update(wg, g, opt)
    syncs = []
    monkeypatch.setattr(dev, "to_host", lambda buf: syncs.append(buf) or np.array(buf))
    start = len(dev.launches)
    knetc.update(wg, g, opt)
    kernels = [k for _, k, _ in dev.launches[start:]]
    assert kernels == (["sumsq_forward"] * len(w) + ["norm_forward"]
                       + [f"{KERNELS[name]}_forward"] * len(w))
    assert syncs == []                           # no host round trip in a clipped step


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shapes", [[(1,)], [(31,), (257,)], [(7, 5), (0,), (1000, 3)]],
                         ids=["one", "two", "empty-and-large"])
def test_global_norm(dev, dtype, shapes):
    rng = np.random.default_rng(1)
    gs = [rng.standard_normal(s).astype(dtype) for s in shapes]
    norm = cuda_optim.global_norm([gpu(g, dev) for g in gs], host_sumsq=2.0)
    assert norm.shape == (1,) and norm.dtype == np.float64
    expected = np.sqrt(2.0 + sum(np.sum(g.astype(np.float64) ** 2) for g in gs))
    np.testing.assert_allclose(norm.get()[0], expected, rtol=1e-12)


def test_global_norm_of_strided_gradients(dev):
    x = np.random.default_rng(2).standard_normal((31, 9))
    views = [KnetArray(dev.from_host(x).T, dev), KnetArray(dev.from_host(x)[::2, 1:], dev)]
    norm = cuda_optim.global_norm(views)
    expected = np.sqrt(np.sum(x ** 2) + np.sum(x[::2, 1:] ** 2))
    np.testing.assert_allclose(norm.get()[0], expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", ["Momentum", "Adam"])
def test_unaligned_buffers_take_the_scalar_path(dev, name, dtype):
    # views starting one element into their buffer are not 16-byte aligned
    w, grads = problem(dtype, shapes=[(37,)])
    wg = [KnetArray(dev.from_host(np.concatenate([[0], w[0]]).astype(dtype))[1:], dev)]
    opt, ref = getattr(knetc, name)(), getattr(knetc, name)()
    for g in grads:
        gg = [KnetArray(dev.from_host(np.concatenate([[0], g[0]]).astype(dtype))[1:], dev)]
        knetc.update(wg, gg, opt)
        knetc.update(w, g, ref)
    np.testing.assert_allclose(wg[0].get(), w[0], **TOL[dtype])


def test_strided_gradient_is_made_contiguous(dev):
    x = np.random.default_rng(3).standard_normal((5, 7))
    w, wg = np.ones((7, 5)), gpu(np.ones((7, 5)), dev)
    knetc.update(wg, KnetArray(dev.from_host(x).T, dev), knetc.Adam())
    knetc.update(w, x.T, knetc.Adam())
    np.testing.assert_allclose(wg.get(), w, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_state_round_trip_through_the_host(dev, name):
    w, grads = problem(np.float32)
    wg, opt = [gpu(a, dev) for a in w], getattr(knetc, name)(lr=0.01)
    knetc.update(wg, [gpu(a, dev) for a in grads[0]], opt)
    saved = optim.state_of(opt)
    for st in saved["leaves"]:                   # GPU state is saved as NumPy copies
        assert all(isinstance(v, np.ndarray) for v in st[1].values() if hasattr(v, "shape"))
    restored = optim.restore(saved)
    w2 = [gpu(a.get(), dev) for a in wg]
    w_host = [a.get() for a in wg]
    host_opt = optim.restore(optim.state_of(opt))  # the same state, continued on the CPU
    for g in grads[1:]:
        knetc.update(wg, [gpu(a, dev) for a in g], opt)
        knetc.update(w2, [gpu(a, dev) for a in g], restored)
        knetc.update(w_host, g, host_opt)
    assert all(isinstance(v, KnetArray) for st in restored.state.values()
               for v in st.values() if hasattr(v, "shape"))
    for a, b, c in zip(wg, w2, w_host):
        np.testing.assert_array_equal(a.get(), b.get())
        np.testing.assert_allclose(a.get(), c, **TOL[np.float32])


def test_save_and_load_gpu_optimizer_state(dev, tmp_path):
    w, grads = problem(np.float32)
    wg, opt = [gpu(a, dev) for a in w], knetc.Adam(lr=0.01)
    knetc.update(wg, [gpu(a, dev) for a in grads[0]], opt)
    knetc.save(tmp_path / "m.npz", [a.get() for a in wg], opt)  # params: host copies first
    params, ostate, _ = knetc.load(tmp_path / "m.npz")
    w2, opt2 = [gpu(a, dev) for a in params], optim.restore(ostate)
    for g in grads[1:]:
        knetc.update(wg, [gpu(a, dev) for a in g], opt)
        knetc.update(w2, [gpu(a, dev) for a in g], opt2)
    for a, b in zip(wg, w2):
        np.testing.assert_array_equal(a.get(), b.get())


def test_parameters_moved_back_to_the_host_keep_their_state(dev):
    w, grads = problem(np.float64)
    wg, opt, ref = [gpu(a, dev) for a in w], knetc.Rmsprop(), knetc.Rmsprop()
    knetc.update(wg, [gpu(a, dev) for a in grads[0]], opt)
    knetc.update(w, grads[0], ref)
    back = [a.get() for a in wg]                 # like knetc.cpu(w): same optimizer goes on
    for g in grads[1:]:
        knetc.update(back, g, opt)
        knetc.update(w, g, ref)
    for a, b in zip(back, w):
        np.testing.assert_allclose(a, b, **TOL[np.float64])
    assert all(isinstance(st["G"], np.ndarray) for st in opt.state.values())


@pytest.mark.parametrize("gclip", [0.0, 0.5], ids=["noclip", "clips"])
def test_host_and_gpu_leaves_in_one_update(dev, gclip):
    w, grads = problem(np.float64, shapes=[(31,), (7, 5)])
    mixed = {"a": gpu(w[0], dev), "b": w[1].copy(), "c": 1.5}
    ref = {"a": w[0].copy(), "b": w[1].copy(), "c": 1.5}
    opt, ropt = knetc.Adam(lr=0.1, gclip=gclip), knetc.Adam(lr=0.1, gclip=gclip)
    for g in grads:
        mixed = knetc.update(mixed, {"a": gpu(g[0], dev), "b": g[1], "c": 2.0}, opt)
        ref = knetc.update(ref, {"a": g[0], "b": g[1], "c": 2.0}, ropt)
    np.testing.assert_allclose(mixed["a"].get(), ref["a"], rtol=1e-12)
    np.testing.assert_allclose(mixed["b"], ref["b"], rtol=1e-12)
    assert mixed["c"] == pytest.approx(ref["c"], rel=1e-12)


def test_step_with_a_host_scale(dev):
    w, g = np.linspace(-1, 1, 31), np.linspace(2, 3, 31)
    wg = gpu(w, dev)
    knetc.Adagrad().step(wg, gpu(g, dev), scale=0.25)
    knetc.Adagrad().step(w, g, scale=0.25)
    np.testing.assert_allclose(wg.get(), w, rtol=1e-12)


def test_errors(dev):
    w = gpu(np.ones(4, np.float32), dev)
    with pytest.raises(TypeError, match="must be a KnetArray"):
        knetc.update(w, np.ones(4, np.float32), knetc.SGD())
    with pytest.raises(TypeError, match="of one dtype"):
        knetc.update(w, gpu(np.ones(4), dev), knetc.SGD())
    with pytest.raises(ValueError, match="gradient shape"):
        knetc.update(w, gpu(np.ones(5, np.float32), dev), knetc.SGD())
    strided = KnetArray(dev.from_host(np.ones((4, 3), np.float32)).T, dev)
    with pytest.raises(ValueError, match="contiguous"):
        knetc.update(strided, gpu(np.ones((3, 4), np.float32), dev), knetc.SGD())
    with pytest.raises(TypeError, match="KnetArrays"):
        cuda_optim.sgd(np.ones(4), np.ones(4), 1.0, 0.1)
