"""Shared pytest setup: tests/ on sys.path (for cudaemu and the corpus helpers), the `gpu`
marker, and fixtures for the devices KnetArrays live on.

On a machine with an NVIDIA GPU and CuPy, run the GPU suite with

    python -m pytest -m gpu tests

Elsewhere the tests marked `gpu` skip, and the same programs run on the CPU emulator of
tests/cudaemu (the `emulated_device` fixture).
"""
import functools
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    import cudaemu
    if os.environ.get("CI") and cudaemu.compiler() is None:  # the kernel tests must run in CI
        raise pytest.UsageError("CI needs g++ (or $CXX) for the CUDA emulator in tests/cudaemu")
    config.addinivalue_line(
        "markers", "gpu: runs on a real NVIDIA GPU through CuPy (python -m pytest -m gpu "
        "tests); skipped where there is no GPU")


@functools.lru_cache(maxsize=None)
def gpu_missing():
    """None when a real GPU is usable through CuPy, else why not (a skip reason)."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no GPU on this machine"
    except Exception as e:  # no CuPy, no driver, no device
        return f"no usable GPU: {type(e).__name__}: {e}"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") is not None and gpu_missing():
        pytest.skip(gpu_missing())


@pytest.fixture(scope="session")
def emulated_device():
    """One CPU-emulated device for the session (kernel libraries build once)."""
    cudaemu = pytest.importorskip("cudaemu")
    if cudaemu.compiler() is None:
        if os.environ.get("CI"):  # CI must run the emulated kernel tests, not skip them
            pytest.fail("CI needs g++ (or $CXX) for the CUDA emulator in tests/cudaemu")
        pytest.skip("no C++ compiler for the CUDA emulator")
    return cudaemu.EmulatedDevice()


@pytest.fixture(scope="session")
def cuda_device():
    """The real GPU as a knetc CudaDevice; skips where there is none."""
    if gpu_missing():
        pytest.skip(gpu_missing())
    import knetc.cuda
    return knetc.cuda.cuda_device(0)
