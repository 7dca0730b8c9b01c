"""knetc on the GPU: KnetArray, the devices it lives on, and moving parameters there and back.

    w = knetc.gpu(w)          # NumPy arrays (in lists, dicts, objects...) -> KnetArrays
    dw = dloss(w, x, y)       # the same generated code; every op runs a knetc CUDA kernel
    w = knetc.cpu(w)          # and back to NumPy

Without CuPy, or without a GPU, knetc still imports and runs on NumPy; asking for the GPU
then raises one clear error.
"""
from . import conv, elementwise, index, linalg, optim, pool, reduce, shape, softmax  # noqa: F401  (register ops)
from .array import KnetArray
from .device import CudaDevice, Device

_default = None


class NoGPUError(RuntimeError):
    """Raised when the GPU is asked for and there is none (or no CuPy)."""


def use(device):
    """Make `device` (a Device) the one knetc.gpu() moves arrays to; returns the previous one."""
    global _default
    previous, _default = _default, device
    return previous


def default_device():
    """The device knetc.gpu() uses: set by use(), else GPU 0 through CuPy."""
    global _default
    if _default is None:
        try:
            import cupy
        except ImportError as e:
            raise NoGPUError("knetc.gpu needs CuPy: pip install 'knetc[gpu]' (cupy-cuda13x) "
                             f"on a machine with an NVIDIA GPU ({e})") from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:
            raise NoGPUError(f"knetc.gpu found CuPy but no usable GPU ({e}); "
                             "run on NumPy arrays, or on a machine with an NVIDIA GPU") from None
        if count < 1:
            raise NoGPUError("knetc.gpu found CuPy but no GPU on this machine; run on NumPy arrays")
        _default = CudaDevice(cupy, 0)
    return _default


__all__ = ["KnetArray", "Device", "CudaDevice", "NoGPUError", "use", "default_device"]
