"""Smoke tests for the example programs in examples/: each one trains on tiny data built here
(MNIST-format IDX files, a short text), prints its figures in the tutorial's tuple style, and
answers --help, --gpu and --source. Nothing here reads /work/shared or the network.

The --gpu runs go twice: on the CPU emulator of tests/cudaemu (every kernel launch runs on the
CPU, ~5-50 ms each, so these runs are a handful of batches), and on a real GPU under the `gpu`
marker (python -m pytest -m gpu tests/test_examples.py; skipped where there is none). Both
compare the printed figures with the same command's on NumPy."""
import gzip
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest
from conftest import gpu_missing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SCRIPTS = ["housing.py", "mnist.py", "lenet.py", "charlm.py"]
NUMBER = r"([-+0-9.eE]+|nan|inf)"

# `python -c EMULATED script args...`: the example's own __main__, with knetc.gpu aimed at the
# CPU emulator instead of CuPy.
EMULATED = f"""\
import runpy, sys
sys.path.insert(0, {os.path.join(ROOT, "tests")!r})
import atexit, knetc.cuda
from cudaemu import EmulatedDevice
device = EmulatedDevice()
knetc.cuda.use(device)
atexit.register(lambda: print(f"# {{len(device.launches)}} kernel launches", file=sys.stderr))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_example(script, *args, tmp_path=None, expect=0, emulated=False):
    env = dict(os.environ)
    # The scripts import knetc; put the checkout first so this works without `pip install -e .`.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    env.pop("KNETC_DATA", None)         # only the data these tests build, passed with --data
    env["KNETC_OFFLINE"] = "1"          # never download
    env["KNETC_PROGRESS"] = "0"
    env["OPENBLAS_NUM_THREADS"] = "1"   # tiny matrices; threads only cost time on a busy host
    if tmp_path is not None:
        env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    python = [sys.executable, "-c", EMULATED] if emulated else [sys.executable]
    result = subprocess.run(
        [*python, os.path.join(EXAMPLES, script), *map(str, args)],
        cwd=str(tmp_path or ROOT), env=env, capture_output=True, text=True, timeout=300)
    if expect is None:
        return result
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
def test_gpu_without_a_gpu_says_so_and_exits_2(script, tmp_path):
    if not gpu_missing():
        pytest.skip("this machine has a GPU")
    out, err = run_example(script, "--gpu", tmp_path=tmp_path, expect=2)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err                 # knetc.cuda.NoGPUError's message, no traceback
    assert lines[0].startswith(f"{script[:-3]}: knetc.gpu "), err
    assert "GPU" in lines[0] or "CuPy" in lines[0], err
    assert out == ""


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


# ------------------------------------------------------------------ --gpu: emulated and real


@pytest.fixture(params=["emulated", pytest.param("gpu", marks=pytest.mark.gpu)])
def device(request):
    """Where the --gpu runs go: the CPU emulator, or the real GPU (the `gpu` marker)."""
    if request.param == "emulated":
        request.getfixturevalue("emulated_device")   # skips without a C++ compiler
    return request.param


def run_gpu(device, script, *args, tmp_path):
    """stdout of `script --gpu args` on `device`; skips if the real GPU is not there after all."""
    result = run_example(script, "--gpu", *args, tmp_path=tmp_path, expect=None,
                         emulated=device == "emulated")
    if device == "gpu" and result.returncode == 2 and ": knetc.gpu" in result.stderr:
        pytest.skip(result.stderr.strip())      # knetc.cuda.NoGPUError
    assert result.returncode == 0, result.stdout + result.stderr
    if device == "emulated":    # the run did go through knetc's kernels
        launches = re.search(r"# (\d+) kernel launches", result.stderr)
        assert launches and int(launches[1]) > 0, result.stderr
    return result.stdout


def losses_of(out):
    return [float(v) for v in re.findall(rf"loss\s+{NUMBER}", out)]


def sample_of(out):
    """The text charlm --generate printed after its last figures line (which has :time)."""
    return out[out.rindex(":time"):].split("\n", 1)[1]


def same_figures(gpu, cpu, rel=1e-4, abs=2e-4):
    """{epoch: figures} of a GPU run against the CPU run's: the same keys, and values equal to
    float32 rounding (the printed figures have 4 significant digits)."""
    assert sorted(gpu) == sorted(cpu), (gpu, cpu)
    for key in cpu:
        assert gpu[key] == pytest.approx(cpu[key], rel=rel, abs=abs), (key, gpu, cpu)


@pytest.mark.parametrize("batchsize", [None, 100])
def test_housing_on_the_gpu(device, batchsize, tmp_path):
    # float64 data and weights; the minibatches are shuffled by knetc.seed's host generator,
    # so the GPU run visits them in the CPU run's order and every loss should match.
    args = ["--epochs", 3, "--data", os.path.join(EXAMPLES, "data")]
    if batchsize:
        args += ["--batchsize", batchsize, "--lr", 0.02]
    gpu = losses_of(run_gpu(device, "housing.py", *args, tmp_path=tmp_path))
    cpu = losses_of(run_example("housing.py", *args, tmp_path=tmp_path)[0])
    assert len(gpu) == 4 and gpu[-1] < gpu[0], gpu
    assert gpu == pytest.approx(cpu, rel=1e-6, abs=1e-4)


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_mnist_on_the_gpu(device, model, mnist_dir, tmp_path):
    # One epoch of 4 shuffled batches (knetc.seed's host generator: the CPU run's order), and
    # accuracy on all 200 + 60 images before and after; only :time may differ.
    args = ["--model", model, "--hidden", 16, "--epochs", 1, "--batchsize", 50,
            "--data", mnist_dir]
    gpu = run_gpu(device, "mnist.py", *args, tmp_path=tmp_path)
    cpu, _ = run_example("mnist.py", *args, tmp_path=tmp_path)
    figures = epoch_lines(gpu, "trn", "tst")
    assert sorted(figures) == [0, 1] and len(epoch_lines(gpu, "trn", "tst", "time")) == 1, gpu
    assert all(0 <= a <= 1 for pair in figures.values() for a in pair), gpu
    same_figures(figures, epoch_lines(cpu, "trn", "tst"), abs=2e-3)


def test_lenet_on_the_gpu(device, mnist_dir, tmp_path):
    # Adam on 2 shuffled batches of 20 (the CPU run's order), accuracy on those 40 and the 60
    # test images; only :time may differ.
    args = ["--subset", 40, "--epochs", 1, "--batchsize", 20, "--trnacc", 0,
            "--data", mnist_dir]
    gpu = run_gpu(device, "lenet.py", *args, tmp_path=tmp_path)
    cpu, _ = run_example("lenet.py", *args, tmp_path=tmp_path)
    figures = epoch_lines(gpu, "trn", "tst")
    assert sorted(figures) == [0, 1] and len(epoch_lines(gpu, "trn", "tst", "time")) == 1, gpu
    assert all(0 <= a <= 1 for pair in figures.values() for a in pair), gpu
    same_figures(figures, epoch_lines(cpu, "trn", "tst"), abs=2e-3)


def test_charlm_on_the_gpu_trains_saves_loads_and_generates(device, text_file, tmp_path):
    # 3 BPTT windows of 8 characters in 8 streams, Adam with gradient clipping, the dev loss
    # before and after, then sampling. No randomness but the seed's: the weights, the losses
    # and (on the emulator, whose products are NumPy's) the sampled text match the CPU run's.
    args = ["--data", text_file, "--maxchars", 200, "--hidden", 8, "--embed", 4,
            "--seqlength", 8, "--batchsize", 8, "--every", 2]
    gpu_model, cpu_model = tmp_path / "gpu.npz", tmp_path / "cpu.npz"
    gpu = run_gpu(device, "charlm.py", *args, "--epochs", 1, "--save", gpu_model,
                  "--generate", 10, tmp_path=tmp_path)
    cpu, _ = run_example("charlm.py", *args, "--epochs", 1, "--save", cpu_model,
                         "--generate", 10, tmp_path=tmp_path)
    dev = epoch_lines(gpu, "dev")
    assert sorted(dev) == [0, 1], gpu
    same_figures(dev, epoch_lines(cpu, "dev"))
    same_figures(epoch_lines(gpu, "update", "chars", "trn"),
                 epoch_lines(cpu, "update", "chars", "trn"))
    sample = sample_of(gpu)
    assert len(sample) >= 10 and set(sample) <= set(text_file.read_text()) | {"\n"}, gpu
    if device == "emulated":
        assert sample == sample_of(cpu), (gpu, cpu)

    # --save wrote NumPy arrays (the model and Adam's state) that a CPU run loads.
    with np.load(gpu_model) as g, np.load(cpu_model) as c:
        assert sorted(g.files) == sorted(c.files)
        for name in c.files:
            if c[name].dtype.kind == "f":
                assert g[name] == pytest.approx(c[name], rel=1e-4, abs=1e-6), name
    out, _ = run_example("charlm.py", "--load", gpu_model, "--generate", 20, tmp_path=tmp_path)
    assert len(out) >= 20 and set(out) <= set(text_file.read_text()) | {"\n"}

    # --load onto the GPU, with the optimizer state, and train on: as on the CPU.
    args = ["--data", text_file, "--maxchars", 200, "--seqlength", 8, "--batchsize", 8,
            "--every", 2, "--epochs", 1]
    gpu = run_gpu(device, "charlm.py", "--load", gpu_model, *args, tmp_path=tmp_path)
    cpu, _ = run_example("charlm.py", "--load", cpu_model, *args, tmp_path=tmp_path)
    same_figures(epoch_lines(gpu, "dev"), epoch_lines(cpu, "dev"))
