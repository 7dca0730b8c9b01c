"""Tests for knetc.io: round trips of nested parameters and optimizer state, atomic saves."""
import os

import numpy as np
import pytest

import knetc
from knetc import io, optim


def assert_same(a, b):
    """Equal structure, types and values (arrays: dtype, shape and contents)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b or (a != a and b != b)          # NaN equals NaN here


PARAMS = {
    "layers": [(np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((2, 1), np.float32)),
               [np.ones(3), 0.25]],
    "scalars": (1.5, float("nan"), 3, True, None, "relu", np.float32(2.5), np.array(4.0)),
    7: {"nested": {"deep": [np.arange(4, dtype=np.int64)]}},
    "empty": ([], (), {}),
}


def test_round_trip_of_nested_structures(tmp_path):
    path = tmp_path / "model.npz"
    knetc.save(path, PARAMS, epoch=3, vocab={"a": 0, "b": 1}, history=[1.0, 0.5])
    params, ostate, extra = knetc.load(path)
    assert_same(params, PARAMS)
    assert ostate is None
    assert extra == {"epoch": 3, "vocab": {"a": 0, "b": 1}, "history": [1.0, 0.5]}
    with np.load(path, allow_pickle=False) as z:      # a plain npz, no pickle inside
        assert "__knetc__" in z.files


def test_path_is_used_as_given(tmp_path):
    knetc.save(tmp_path / "checkpoint", [np.ones(2)])
    assert os.listdir(tmp_path) == ["checkpoint"]
    assert_same(knetc.load(tmp_path / "checkpoint")[0], [np.ones(2)])


def train(w, opt, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        g = [rng.standard_normal(a.shape) if hasattr(a, "shape") else float(rng.standard_normal())
             for a in w]
        w = knetc.update(w, g, opt)
    return w


@pytest.mark.parametrize("name", ["SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta",
                                  "Rmsprop", "Adam"])
def test_optimizer_state_round_trip(tmp_path, name):
    opt = getattr(knetc, name)(lr=0.01)
    w = train([np.ones((2, 2)), 0.5], opt, 3)
    knetc.save(tmp_path / "m.npz", w, opt, step=3)
    w2, ostate, extra = knetc.load(tmp_path / "m.npz")
    opt2 = optim.restore(ostate)
    assert type(opt2) is type(opt) and opt2.config() == opt.config() and extra == {"step": 3}
    opt3 = getattr(knetc, name)().load_state(ostate)    # or into an optimizer you made
    assert opt3.config() == opt.config()
    a = train(w, opt, 4, seed=1)
    b = train(w2, opt2, 4, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


def test_structure_of_optimizers_round_trip(tmp_path):
    w = {"W": np.ones(3), "b": [np.zeros(1), 0.0], "n": 2}
    opts = knetc.optimizers(w, knetc.Adam, lr=0.1)
    opts["W"] = knetc.Momentum()
    g = {"W": np.ones(3), "b": [np.ones(1), 1.0], "n": 0.0}
    knetc.update(w, g, opts)
    knetc.save(tmp_path / "m.npz", w, opts)
    w2, ostate, _ = knetc.load(tmp_path / "m.npz")
    opts2 = io.load_optimizer(tmp_path / "m.npz")
    assert isinstance(opts2["W"], knetc.Momentum) and isinstance(opts2["b"][1], knetc.Adam)
    assert opts2["n"] is None
    knetc.update(w, g, opts)
    knetc.update(w2, g, opts2)
    assert_same(w2, w)


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    knetc.save(path, [np.ones(3)], knetc.SGD(), epoch=1)
    before = path.read_bytes()

    def crash(f, **arrays):                            # writes part of the file, then dies
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        knetc.save(path, [np.zeros(3)], epoch=2)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]       # no temporary file left behind
    monkeypatch.undo()
    params, _, extra = knetc.load(path)
    np.testing.assert_array_equal(params[0], np.ones(3))
    assert extra == {"epoch": 1}


def test_unsupported_values_are_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match=r"params\[0\].*object"):
        knetc.save(tmp_path / "m.npz", [object()])
    with pytest.raises(TypeError, match="pickle"):
        knetc.save(tmp_path / "m.npz", [np.array([None, 1])])
    assert os.listdir(tmp_path) == []


def test_load_refuses_other_files(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not a knetc file"):
        knetc.load(tmp_path / "plain.npz")
