"""The CPU test programs, unchanged, on KnetArrays: the same gradients as on NumPy.

Every program of the corpus (tests/test_corpus_*.py), the examples' loss functions (linear
regression, softmax, MLP, LeNet with conv4/pool) and the tutorial's char LSTM
(tests/test_charlm_loss.py) is differentiated twice with knetc.value_and_grad: once on its
NumPy arguments, once on the same arguments moved with knetc.gpu. The device's value and
gradients, brought back with knetc.cpu, must match NumPy's (float64, rtol 1e-7; the examples
again in float32, rtol 2e-4), and every gradient must mirror its argument: a KnetArray for an
array, a float for a float.

Devices:
* the CPU emulator (tests/cudaemu) runs every program in normal runs (small arrays and the
  emulator's capped grids keep the whole file to about 20 s on two cores);
* a real GPU runs them all again under the `gpu` marker: `python -m pytest -m gpu tests`.

Programs that call a NumPy function with no GPU op are listed in NO_GPU_OP as strict xfails.
"""
import copy
import importlib
import os
import sys
import zlib

import numpy as np
import pytest

import knetc
from corpus_util import randn
from knetc.cuda.array import KnetArray

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = ["arith", "numpy", "index", "knet", "control", "containers"]
TOLERANCE = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=2e-4, atol=1e-5)}


def _load_example(name):
    path = os.path.join(HERE, os.pardir, "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"knetc_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---- the examples' losses, on small float64 problems ----

def _onehot(r, nclass, n):
    return np.eye(nclass)[r.integers(0, nclass, n)].T.copy()


def _linreg(r):
    return ([randn(r, 1, 13), randn(r, 1, 1)], randn(r, 13, 20), randn(r, 1, 20))


def _dense(r, sizes, n=8):
    w = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        w += [0.3 * randn(r, nout, nin), 0.1 * randn(r, nout, 1)]
    return (w, randn(r, sizes[0], n), _onehot(r, sizes[-1], n))


def _lenet(r):
    w = [0.3 * randn(r, 4, 1, 5, 5), 0.1 * randn(r, 1, 4, 1, 1),
         0.3 * randn(r, 6, 4, 3, 3), 0.1 * randn(r, 1, 6, 1, 1),
         0.3 * randn(r, 12, 6), 0.1 * randn(r, 12, 1),  # 12x12 -> 8 -> 4 -> 2 -> 1 pixel
         0.3 * randn(r, 10, 12), 0.1 * randn(r, 10, 1)]
    return (w, randn(r, 3, 1, 12, 12), _onehot(r, 10, 3))


def _charlm(layers, length=4):
    def build(r):
        charlm = importlib.import_module("test_charlm_loss")
        return (charlm.init_params(r, 5, 3, 3, layers), charlm.init_state(r, 2, 3, layers, False),
                charlm.one_hot_sequence(r, length, 2, 5))
    return build


def _example_rows():
    housing, mnist, lenet = (_load_example(n) for n in ("housing", "mnist", "lenet"))
    charlm = importlib.import_module("test_charlm_loss")
    return [
        ("example-linreg", housing.loss, _linreg, 0),
        ("example-softmax", mnist.loss, lambda r: _dense(r, [20, 10]), 0),
        ("example-mlp", mnist.loss, lambda r: _dense(r, [20, 16, 10]), 0),
        ("example-lenet", lenet.loss, _lenet, 0),
        ("example-charlm-1layer", charlm.loss, _charlm(1), (0, 1)),
        ("example-charlm-2layers", charlm.loss, _charlm(2, 3), (0, 1)),
        ("example-charlm-fresh-state", charlm.loss_fresh_state, _charlm(1), 0),
    ]


# ---- numbers meeting device arrays (issue 11): float branches, floats through host arrays ----

def where_float_branches(x):
    return np.sum(np.where(x > 0, 1.0, 0.1) * x)


def mask_times_number(x):
    return np.sum(((x > 0) * 0.3 + 0.1) * x ** 2)


def host_zeros_plus_float(x, c):
    return np.sum((np.zeros(3) + c) * x)


def stacked_floats(x, c):
    return np.sum(np.stack([c, 2 * c]) * x[:2])


def array_of_floats(x, c):
    return np.sum(np.array([c, c * c, 1.5]) * x)


def concatenated_host_and_float(x, c):
    return np.sum(np.concatenate([np.ones(2), [c]]) * np.tanh(x))


def ravel_in_memory_order(x):
    return np.sum(np.ravel(x.T, order="A") * np.arange(12.0) + x.T.flatten("K") ** 2)


def _mixed_rows():
    vector = lambda r: (randn(r, 3),)  # noqa: E731
    with_float = lambda r: (randn(r, 3), 0.7)  # noqa: E731
    return [
        ("mixed-where-float-branches", where_float_branches, vector, 0),
        ("mixed-mask-times-number", mask_times_number, vector, 0),
        ("mixed-host-zeros-plus-float", host_zeros_plus_float, with_float, (0, 1)),
        ("mixed-stacked-floats", stacked_floats, with_float, (0, 1)),
        ("mixed-array-of-floats", array_of_floats, with_float, (0, 1)),
        ("mixed-concatenated-host-and-float", concatenated_host_and_float, with_float, (0, 1)),
        ("mixed-ravel-in-memory-order", ravel_in_memory_order, lambda r: (randn(r, 3, 4),), 0),
    ]


def _corpus_rows():
    rows = []
    for family in CORPUS:
        module = importlib.import_module(f"test_corpus_{family}")
        for param in module.ROWS:
            f, build, argnums = param.values
            rows.append((f"{family}-{param.id}", f, build, argnums))
    return rows


ROWS = _corpus_rows() + _example_rows() + _mixed_rows()
IDS = [row[0] for row in ROWS]
assert len(set(IDS)) == len(IDS), "program ids must be unique"

# Programs that call a NumPy function with no GPU op: {id: reason}. Each runs as a strict xfail
# (knetc's "no GPU kernel" error), so the suite fails as soon as the op lands.
NO_GPU_OP = {}


def _param(row, marks=()):
    name = row[0]
    marks = list(marks)
    if name in NO_GPU_OP:
        marks.append(pytest.mark.xfail(strict=True, reason=NO_GPU_OP[name],
                                       raises=knetc.NoGPUKernelError))
    return pytest.param(*row[1:], id=name, marks=marks)


EMULATED_ROWS = [_param(row) for row in ROWS]
GPU_ROWS = [_param(row, [pytest.mark.gpu]) for row in ROWS]


def _args(name, build):
    return tuple(build(np.random.default_rng(zlib.crc32(name.encode()))))


def assert_device_grad_matches(got, want, path, tol=TOLERANCE[np.float64]):
    """got (from the device, KnetArrays inside) mirrors want (from NumPy) and is close to it."""
    if isinstance(want, dict):
        assert type(got) is type(want) and set(got) == set(want), f"{path}: keys differ"
        for k in want:
            assert_device_grad_matches(got[k], want[k], f"{path}[{k!r}]", tol)
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want), f"{path}: {type(got).__name__}, not {type(want).__name__}"
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (a, b) in enumerate(zip(got, want)):
            assert_device_grad_matches(a, b, f"{path}[{i}]", tol)
    elif isinstance(want, np.ndarray):
        assert isinstance(got, KnetArray), f"{path}: {type(got).__name__}, not a KnetArray"
        assert got.shape == want.shape, f"{path}: shape {got.shape} != {want.shape}"
        assert got.dtype == want.dtype, f"{path}: dtype {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(got.get(), want, err_msg=path, **tol)
    elif isinstance(want, float):
        assert type(got) is float, f"{path}: {type(got).__name__}, not float"
        np.testing.assert_allclose(got, want, err_msg=path, **tol)
    elif hasattr(want, "__dict__"):  # an object holding parameters
        assert type(got) is type(want), path
        assert_device_grad_matches(vars(got), vars(want), path, tol)
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def _float32(tree):
    """tree with its float64 arrays as float32 (Python floats stay floats)."""
    from knetc.cuda.transfer import tree_map
    return tree_map(tree, lambda x: x.astype(np.float32)
                    if isinstance(x, np.ndarray) and x.dtype == np.float64 else x)


def check_on_device(device, name, f, build, argnums, dtype=np.float64):
    args = _args(name, build)
    if dtype == np.float32:
        args = _float32(args)
    want_value, want = knetc.value_and_grad(f, argnums=argnums)(*copy.deepcopy(args))
    on_device = knetc.gpu(copy.deepcopy(args), device=device)
    value, got = knetc.value_and_grad(f, argnums=argnums)(*on_device)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(float(value), float(want_value), err_msg="value", **tol)
    assert_device_grad_matches(got, want, f"{f.__name__} gradient", tol)


@pytest.mark.parametrize("f, build, argnums", EMULATED_ROWS)
def test_program_on_emulated_device(emulated_device, request, f, build, argnums):
    check_on_device(emulated_device, request.node.callspec.id, f, build, argnums)


@pytest.mark.parametrize("f, build, argnums", GPU_ROWS)
def test_program_on_gpu(cuda_device, request, f, build, argnums):
    check_on_device(cuda_device, request.node.callspec.id, f, build, argnums)


EXAMPLES32 = [pytest.param(*row[1:], id=row[0]) for row in ROWS if row[0].startswith("example-")]


@pytest.mark.parametrize("f, build, argnums", EXAMPLES32)
def test_example_in_float32_on_emulated_device(emulated_device, request, f, build, argnums):
    check_on_device(emulated_device, request.node.callspec.id, f, build, argnums, np.float32)


@pytest.mark.gpu
@pytest.mark.parametrize("f, build, argnums", EXAMPLES32)
def test_example_in_float32_on_gpu(cuda_device, request, f, build, argnums):
    check_on_device(cuda_device, request.node.callspec.id, f, build, argnums, np.float32)


def test_no_gpu_op_table_names_real_programs():
    assert set(NO_GPU_OP) <= set(IDS), sorted(set(NO_GPU_OP) - set(IDS))


def test_source_is_the_same_on_both():
    """One compiled gradient serves NumPy and KnetArray arguments: the source has no device
    branches."""
    housing = _load_example("housing")
    text = knetc.source(knetc.grad(housing.loss))
    assert "KnetArray" not in text and "cupy" not in text
