"""Backends the GPU array ops run on: a CUDA device through CuPy, or (in tests) the CPU emulator.

A device allocates raw buffers, launches a registry kernel by (family, kernel, dtype) with
arguments converted to the kernel's parameter types, and multiplies matrices (cuBLAS on a
GPU). The ops in knetc/gpu/<family>.py only talk to this interface, so the same op code is
tested on the emulator in CI and runs on CuPy on a real GPU.
"""
import functools

import numpy as np

from . import registry

BLOCK = 256  # threads per block for one-dimensional launches

_SCALARS = {"float": np.float32, "double": np.float64, "int": np.int32, "unsigned": np.uint32,
            "long long": np.int64, "idx_t": np.int64, "unsigned long long": np.uint64,
            "bool": np.bool_}


@functools.lru_cache(maxsize=None)
def signature(family, kernel, dtype):
    """((name, NumPy scalar type, or None for a pointer), ...) of one kernel instantiation.

    Cached: a launch converts its arguments without parsing C types again.
    """
    ctype = registry.CTYPES[dtype]
    out = []
    for param in registry.kernels(family)[kernel]:
        if param.pointer:
            out.append((param.name, None))
            continue
        scalar = param.c_type(ctype).replace("const ", "").strip()
        if scalar not in _SCALARS:
            raise TypeError(f"knetc kernel parameter {param.name!r} has type {scalar!r}, "
                            "which the launcher cannot pass")
        out.append((param.name, _SCALARS[scalar]))
    return tuple(out)


class Device:
    """What ops need from a backend; subclasses fill in buffers, launches and matmul."""

    name = "device"
    xp = np             # module that allocates and views raw buffers
    max_blocks = 65535  # cap on one-dimensional grids (grid-stride loops cover the rest)
    block = BLOCK       # threads per block for one-dimensional launches (a multiple of 32)
    recording = None    # a list while knetc.cuda.kernels_used watches: (family, kernel, dtype)

    def launch(self, family, kernel, dtype, grid, block, args, shared_mem=0):
        raise NotImplementedError

    def matmul(self, a, b):
        """Product of two raw 2-d buffers (cuBLAS on a GPU)."""
        raise NotImplementedError

    def to_host(self, buf):
        raise NotImplementedError

    def from_host(self, array):
        raise NotImplementedError

    def grid(self, n, block=None):
        """Blocks for `n` one-per-thread items, capped (kernels use grid-stride loops)."""
        block = block or self.block
        return (max(1, min(self.max_blocks, -(-int(n) // block))),)

    def convert_args(self, family, kernel, dtype, args):
        """Raw buffers for arrays, NumPy scalars of the parameter's C type for numbers."""
        params = signature(family, kernel, np.dtype(dtype))
        if len(params) != len(args):
            raise TypeError(f"knetc kernel {family}.{kernel} takes {len(params)} arguments "
                            f"({', '.join(name for name, _ in params)}), got {len(args)}")
        out = []
        for (name, scalar), arg in zip(params, args):
            if scalar is not None:
                out.append(scalar(arg))
                continue
            arg = getattr(arg, "raw", arg)  # a KnetArray passes its buffer
            if not isinstance(arg, self.xp.ndarray):
                raise TypeError(f"knetc kernel {family}.{kernel}: argument {name!r} "
                                f"must be an array on {self.name}, got {type(arg).__name__}")
            out.append(arg)
        return out


class CudaDevice(Device):
    """A CUDA GPU through CuPy: RawModule per family, compiled once per device, cuBLAS matmul."""

    name = "cuda"

    def __init__(self, cupy, device_id=0):
        self.cupy, self.xp, self.id = cupy, cupy, device_id
        self.modules = {}

    def module(self, family):
        if family not in self.modules:
            with self.cupy.cuda.Device(self.id):
                self.modules[family] = self.cupy.RawModule(
                    code=registry.source(family), options=registry.OPTIONS,
                    name_expressions=registry.name_expressions(family))
        return self.modules[family]

    def function(self, family, kernel, dtype):
        return self.module(family).get_function(registry.name_expression(kernel, dtype))

    def launch(self, family, kernel, dtype, grid, block, args, shared_mem=0):
        fn = self.function(family, kernel, dtype)
        if self.recording is not None:
            self.recording.append((family, kernel, np.dtype(dtype).name))
        fn(tuple(grid), tuple(block), tuple(self.convert_args(family, kernel, dtype, args)),
           shared_mem=shared_mem)

    def matmul(self, a, b):
        return self.cupy.matmul(a, b)

    def to_host(self, buf):
        return self.cupy.asnumpy(buf)

    def from_host(self, array):
        return self.cupy.asarray(array)
