"""Smoke tests for the example programs in examples/: each one trains on tiny data built here
(MNIST-format IDX files, a short text), prints its figures in the tutorial's tuple style, and
answers --help, --gpu and --source. Nothing here reads /work/shared or the network."""
import gzip
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SCRIPTS = ["housing.py", "mnist.py", "lenet.py", "charlm.py"]
NUMBER = r"([-+0-9.eE]+|nan|inf)"


def run_example(script, *args, tmp_path=None, expect=0):
    env = dict(os.environ)
    # The scripts import knetc; put the checkout first so this works without `pip install -e .`.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    env.pop("KNETC_DATA", None)         # only the data these tests build, passed with --data
    env["KNETC_OFFLINE"] = "1"          # never download
    env["KNETC_PROGRESS"] = "0"
    env["OPENBLAS_NUM_THREADS"] = "1"   # tiny matrices; threads only cost time on a busy host
    if tmp_path is not None:
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, script), *map(str, args)],
        cwd=str(tmp_path or ROOT), env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == expect, result.stdout + result.stderr
    return result.stdout, result.stderr


# ------------------------------------------------------------------ tiny data


def write_idx(path, array, magic):
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def tiny_images(rng, labels):
    """28x28 uint8 images in which digit k is a bright 6x6 square at a place of its own."""
    x = rng.integers(0, 40, (len(labels), 28, 28))
    for n, k in enumerate(labels):
        r, c = 2 + 8 * (k // 4), 2 + 6 * (k % 4)
        x[n, r:r + 6, c:c + 6] = 255
    return x


@pytest.fixture
def mnist_dir(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for part, n in (("train", 200), ("t10k", 60)):
        labels = rng.integers(0, 10, n)
        write_idx(folder / f"{part}-images-idx3-ubyte.gz", tiny_images(rng, labels), 2051)
        write_idx(folder / f"{part}-labels-idx1-ubyte.gz", labels, 2049)
    return tmp_path / "data"


@pytest.fixture
def text_file(tmp_path):
    verse = ("  HAMLET. To be, or not to be, that is the question.\n"
             "  OPHELIA. Good my lord, how does your honour for this many a day?\n")
    path = tmp_path / "tiny.txt"
    path.write_text(verse * 40)
    return path


def epoch_lines(out, *names):
    """{epoch: (figure, ...)} from lines like (:epoch, 3, :trn, 0.91, :tst, 0.9, ...)."""
    pattern = r"\(:epoch, (\d+)" + "".join(rf", :{n}, {NUMBER}" for n in names)
    return {int(m[0]): tuple(float(v) for v in m[1:]) for m in re.findall(pattern, out)}


# ------------------------------------------------------------------ every example


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_documents_the_common_flags(script):
    out, _ = run_example(script, "--help")
    assert out.startswith("usage:")
    for flag in ("--seed", "--epochs", "--lr", "--batchsize", "--gpu", "--data", "--source"):
        assert flag in out, (flag, out)


@pytest.mark.parametrize("script", SCRIPTS)
def test_gpu_is_reserved(script, tmp_path):
    out, err = run_example(script, "--gpu", tmp_path=tmp_path, expect=2)
    assert "GPU support comes with the GPU backend" in err


@pytest.mark.parametrize("script", SCRIPTS)
def test_source_prints_the_gradient_code(script):
    out, _ = run_example(script, "--source")
    assert "def " in out
    assert "loss" in out


# ------------------------------------------------------------------ training runs


def test_housing_minibatches(tmp_path):
    out, _ = run_example("housing.py", "--epochs", 5, "--batchsize", 50, "--lr", 0.02,
                         "--data", os.path.join(EXAMPLES, "data"), tmp_path=tmp_path)
    losses = [float(v) for v in re.findall(rf"loss\s+{NUMBER}", out)]
    assert len(losses) == 6, out
    assert losses[-1] < losses[0] / 2, out


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_mnist_trains_on_tiny_data(model, mnist_dir, tmp_path):
    out, _ = run_example("mnist.py", "--model", model, "--hidden", 16, "--epochs", 3,
                         "--batchsize", 20, "--data", mnist_dir, tmp_path=tmp_path)
    figures = epoch_lines(out, "trn", "tst")
    assert sorted(figures) == [0, 1, 2, 3], out
    assert all(0 <= a <= 1 for pair in figures.values() for a in pair), out
    assert figures[3][0] > 0.5, out             # the squares are easy to tell apart
    assert len(epoch_lines(out, "trn", "tst", "time")) == 3, out


def test_lenet_trains_on_a_subset(mnist_dir, tmp_path):
    out, _ = run_example("lenet.py", "--subset", 100, "--epochs", 2, "--batchsize", 20,
                         "--trnacc", 0, "--data", mnist_dir, tmp_path=tmp_path)
    figures = epoch_lines(out, "trn", "tst")
    assert sorted(figures) == [0, 1, 2], out
    assert all(0 <= a <= 1 for pair in figures.values() for a in pair), out
    assert figures[2][0] > figures[0][0], out


def test_charlm_trains_saves_loads_and_generates(text_file, tmp_path):
    model = tmp_path / "lm.npz"
    out, _ = run_example("charlm.py", "--data", text_file, "--epochs", 2, "--hidden", 32,
                         "--embed", 8, "--seqlength", 10, "--batchsize", 4, "--every", 10,
                         "--lr", 0.01, "--save", model, "--generate", 40, tmp_path=tmp_path)
    dev = epoch_lines(out, "dev")
    assert sorted(dev) == [0, 1, 2], out
    assert dev[0][0] == pytest.approx(np.log(len(set(text_file.read_text()))), rel=0.1), out
    assert dev[2][0] < dev[0][0], out
    trn = epoch_lines(out, "update", "chars", "trn")
    assert len(trn) >= 1 and all(v[2] > 0 for v in trn.values()), out
    assert model.exists()

    out, _ = run_example("charlm.py", "--load", model, "--generate", 200, tmp_path=tmp_path)
    assert "(:epoch" not in out                     # no training without --epochs
    assert len(out) >= 200
    assert set(out) <= set(text_file.read_text()) | {"\n"}


def test_charlm_maxchars_and_layers(text_file, tmp_path):
    out, _ = run_example("charlm.py", "--data", text_file, "--maxchars", 1500, "--layers", 2,
                         "--hidden", 8, "--embed", 4, "--seqlength", 5, "--batchsize", 8,
                         "--every", 5, "--generate", 10, tmp_path=tmp_path)
    assert re.search(r"# 1500 characters", out), out
    assert sorted(epoch_lines(out, "dev")) == [0, 1], out
