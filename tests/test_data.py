"""Tests for knetc.data: minibatching and the loaders, on tiny generated files, offline."""
import gzip
import os
import struct

import numpy as np
import pytest

import knetc
from knetc import data

MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """No test may reach the network, or read the user's own data directory."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to download")
    monkeypatch.setattr(data.urllib.request, "urlopen", refuse)
    monkeypatch.setenv("KNETC_DATA", str(tmp_path / "default-data-dir"))
    monkeypatch.delenv("KNETC_OFFLINE", raising=False)


def write_idx(path, magic, array):
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_mnist(directory, ntrn=5, ntst=3):
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for part, n in (("train", ntrn), ("t10k", ntst)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = rng.integers(0, 10, size=n)
        write_idx(os.path.join(directory, f"{part}-images-idx3-ubyte.gz"), 2051, images)
        write_idx(os.path.join(directory, f"{part}-labels-idx1-ubyte.gz"), 2049, labels)
        arrays[part] = images, labels
    return arrays


# minibatch

def test_minibatch_shapes_and_partial():
    x, y = np.arange(20.0).reshape(2, 10), np.arange(10)
    batches = list(knetc.minibatch(x, y, 3))
    assert len(knetc.minibatch(x, y, 3)) == 3 == len(batches)
    assert [b[0].shape for b in batches] == [(2, 3)] * 3
    np.testing.assert_array_equal(batches[1][0], x[:, 3:6])
    np.testing.assert_array_equal(batches[1][1], [3, 4, 5])
    assert np.shares_memory(batches[0][0], x)          # unshuffled batches are views
    part = list(knetc.minibatch(x, y, 3, partial=True))
    assert len(part) == 4 == len(knetc.minibatch(x, y, 3, partial=True))
    assert part[-1][0].shape == (2, 1) and part[-1][1].tolist() == [9]
    assert len(knetc.minibatch(x, y, 5, partial=True)) == 2


def test_minibatch_targets_with_instances_last():
    x, y = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(2, 4)
    (xb, yb), = knetc.minibatch(x, y, 4)
    assert xb.shape == (3, 4) and yb.shape == (2, 4)


def test_minibatch_shuffle_is_deterministic_and_complete():
    x, y = np.arange(10.0)[None, :], np.arange(10)

    def epoch(d):
        return [yb.tolist() for _, yb in d]

    d1 = knetc.minibatch(x, y, 4, shuffle=True, rng=np.random.default_rng(3))
    d2 = knetc.minibatch(x, y, 4, shuffle=True, rng=np.random.default_rng(3))
    e1, e2 = epoch(d1), epoch(d1)
    assert e1 == epoch(d2) and e2 == epoch(d2)
    assert e1 != e2                                    # a new order every pass
    full = epoch(knetc.minibatch(x, y, 5, shuffle=True, rng=np.random.default_rng(0)))
    assert sorted(sum(full, [])) == list(range(10))
    for xb, yb in knetc.minibatch(x, y, 4, shuffle=True):
        np.testing.assert_array_equal(xb[0], yb)       # x and y stay paired
    knetc.seed(5)
    a = epoch(knetc.minibatch(x, y, 4, shuffle=True))
    knetc.seed(5)
    assert epoch(knetc.minibatch(x, y, 4, shuffle=True)) == a


def test_minibatch_axis_zero_y_none_and_errors():
    x = np.arange(24.0).reshape(6, 2, 2)
    batches = list(knetc.minibatch(x, None, 4, axis=0, partial=True))
    assert [b.shape for b in batches] == [(4, 2, 2), (2, 2, 2)]
    with pytest.raises(ValueError, match="instances"):
        knetc.minibatch(np.ones((2, 5)), np.ones(4), 2)
    with pytest.raises(ValueError, match="batchsize"):
        knetc.minibatch(np.ones((2, 5)), np.ones(5), 0)


# mnist

def test_mnist_reads_idx_files(tmp_path):
    arrays = make_mnist(tmp_path / "mnist")
    xtrn, ytrn, xtst, ytst = data.mnist(tmp_path, download=False)
    assert xtrn.shape == (784, 5) and xtst.shape == (784, 3)
    assert xtrn.dtype == np.float32 and ytrn.dtype == np.int64
    assert 0 <= xtrn.min() and xtrn.max() <= 1
    images, labels = arrays["train"]
    np.testing.assert_allclose(xtrn[:, 2], images[2].reshape(-1) / 255, rtol=1e-6)
    np.testing.assert_array_equal(ytrn, labels)
    np.testing.assert_array_equal(ytst, arrays["t10k"][1])


def test_mnist_finds_files_via_knetc_data_and_flat_layout(tmp_path, monkeypatch):
    make_mnist(tmp_path / "flat")                      # files directly in the data dir
    monkeypatch.setenv("KNETC_DATA", str(tmp_path / "flat"))
    assert data.mnist(download=False)[0].shape == (784, 5)


def test_mnist_bad_magic_and_truncation(tmp_path):
    make_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, 2049, np.zeros((5, 28, 28)))       # the labels' magic number
    with pytest.raises(ValueError, match="magic number 2049.*expected 2051"):
        data.mnist(tmp_path, download=False)
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4I", 2051, 5, 28, 28) + bytes(100))
    with pytest.raises(ValueError, match="header says"):
        data.mnist(tmp_path, download=False)
    write_idx(path, 2051, np.zeros((4, 28, 28)))       # 4 images, 5 labels
    with pytest.raises(ValueError, match="4 images but"):
        data.mnist(tmp_path, download=False)


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_missing_files_say_where_to_put_them(tmp_path, monkeypatch, how):
    monkeypatch.setattr(data, "fetch", lambda url, dest: pytest.fail("download attempted"))
    kwargs = {"download": False}
    if how == "environment":
        monkeypatch.setenv("KNETC_OFFLINE", "1")
        kwargs = {}
    with pytest.raises(FileNotFoundError) as err:
        data.mnist(tmp_path / "empty", **kwargs)
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and "KNETC_DATA" in msg
    assert str(tmp_path / "empty" / "mnist") in msg and "off" in msg
    with pytest.raises(FileNotFoundError, match="housing.data.*KNETC_DATA"):
        data.housing(tmp_path / "empty", **kwargs)


def test_download_is_injectable_and_failure_is_reported(tmp_path, monkeypatch):
    fetched = []

    def fake_fetch(url, dest):                         # stands in for the network
        fetched.append(url)
        make_mnist(os.path.dirname(dest))
    monkeypatch.setattr(data, "fetch", fake_fetch)
    assert data.mnist(tmp_path)[1].shape == (5,)
    assert fetched == [data.MNIST_URL + MNIST_FILES[0]]
    assert (tmp_path / "mnist" / MNIST_FILES[0]).is_file()

    def broken(url, dest):
        raise OSError("no route to host")
    monkeypatch.setattr(data, "fetch", broken)
    with pytest.raises(FileNotFoundError, match="failed: no route to host.*KNETC_DATA"):
        data.housing(tmp_path)


# housing and text

def test_housing_from_a_small_file(tmp_path):
    rows = np.random.default_rng(1).uniform(1, 50, size=(6, 14))
    np.savetxt(tmp_path / "housing.data", rows, fmt="%.4f")
    x, y = data.housing(tmp_path, download=False)
    assert x.shape == (13, 6) and y.shape == (1, 6)
    np.testing.assert_allclose(x.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=1, ddof=1), 1)
    np.testing.assert_allclose(y[0], np.round(rows[:, 13], 4))
    np.savetxt(tmp_path / "housing.data", rows[:, :10])
    with pytest.raises(ValueError, match="14"):
        data.housing(tmp_path, download=False)


def test_text_plain_and_gzipped(tmp_path, monkeypatch):
    s = "to be, or not to be\n"
    (tmp_path / "a.txt").write_text(s)
    with gzip.open(tmp_path / "b.txt.gz", "wt") as f:
        f.write(s)
    for path in (tmp_path / "a.txt", tmp_path / "b.txt.gz"):
        got, vocab = data.text(path)
        assert got == s
        assert list(vocab) == sorted(set(s)) and list(vocab.values()) == list(range(len(vocab)))
    monkeypatch.setenv("KNETC_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path / "..")
    assert data.text("b.txt")[0] == s                  # found in the data dir, as .gz
    with pytest.raises(FileNotFoundError, match="c.txt.*KNETC_DATA"):
        data.text("c.txt")
