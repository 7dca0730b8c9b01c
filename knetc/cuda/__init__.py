"""knetc on the GPU: KnetArray, the devices it lives on, and moving parameters there and back.

    w = knetc.gpu(w)          # NumPy arrays (in lists, dicts, objects...) -> KnetArrays
    dw = dloss(w, x, y)       # the same generated code; every op runs a knetc CUDA kernel
    w = knetc.cpu(w)          # and back to NumPy

Without CuPy, or without a GPU, knetc still imports and runs on NumPy; asking for the GPU
then raises one clear error.
"""
import sys

from . import conv, elementwise, index, linalg, optim, pool, reduce, shape, softmax  # noqa: F401  (register ops)
from . import composite  # noqa: F401  (np.var, np.std, np.all, np.any from the ops above)
from .array import KnetArray
from .device import CudaDevice, Device
from .sources import kernel_source, kernels_used
from .transfer import cpu, gpu

_default = None
_cuda_devices = {}  # GPU id -> CudaDevice (each compiles its kernel modules once)


class NoGPUError(RuntimeError):
    """Raised when the GPU is asked for and there is none (or no CuPy)."""


def use(device):
    """Make `device` (a Device) the one knetc.gpu() moves arrays to; returns the previous one."""
    global _default
    previous, _default = _default, device
    return previous


def _first_line(exc):
    """An exception's message as one line: NoGPUError messages are printed as one."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def default_device():
    """The device knetc.gpu() uses: set by use(), else the current GPU through CuPy."""
    global _default
    if _default is None:
        try:
            import cupy
        except Exception as e:  # not installed, or its CUDA libraries missing
            raise NoGPUError("knetc.gpu needs CuPy: pip install 'knetc[gpu]' (cupy-cuda13x) "
                             f"on a machine with an NVIDIA GPU ({_first_line(e)})") from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
            current = cupy.cuda.runtime.getDevice()
        except Exception as e:
            raise NoGPUError(f"knetc.gpu found CuPy but no usable GPU ({_first_line(e)}); "
                             "run on NumPy arrays, or on a machine with an NVIDIA GPU") from None
        if count < 1:
            raise NoGPUError("knetc.gpu found CuPy but no GPU on this machine; run on NumPy arrays")
        _default = cuda_device(current)
    return _default


def cuda_device(device_id):
    """The CudaDevice for GPU `device_id` (one per GPU, so kernels compile once per GPU)."""
    device = _cuda_devices.get(device_id)
    if device is None:
        import cupy
        if isinstance(_default, CudaDevice) and _default.id == device_id:
            device = _default
        else:
            device = CudaDevice(cupy, device_id)
        _cuda_devices[device_id] = device
    return device


def device_of(x):
    """The CudaDevice holding CuPy array x, or None when x is not a CuPy array."""
    cupy = sys.modules.get("cupy")
    if cupy is None or not isinstance(x, cupy.ndarray):
        return None
    return cuda_device(x.device.id)


__all__ = ["KnetArray", "Device", "CudaDevice", "NoGPUError", "use", "default_device",
           "cuda_device", "device_of", "gpu", "cpu", "kernels_used", "kernel_source"]
