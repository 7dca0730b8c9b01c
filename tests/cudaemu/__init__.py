"""Run kernels/*.cu on the CPU: compile a family with g++ and cuda_emu.h, launch via ctypes.

    from cudaemu import EmulatedDevice
    dev = EmulatedDevice()
    dev.launch("elementwise", "relu_forward", np.float32, grid, block, [x, y, n])

Each family is compiled once per source text into a shared library (cached under the system
temp folder by a hash of the text). For every kernel and dtype the library exports a C
launcher `knetc_emu_<kernel>_<ctype>(dims, shared_bytes, args)` that unpacks `args` (one
pointer per parameter, as cuLaunchKernel takes them) and runs the grid through
`emu::launch`. Buffers are NumPy arrays; scalars are converted to the parameter's C type.
"""
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from knetc.cuda import registry
from knetc.cuda.device import Device

HERE = Path(__file__).resolve().parent
CACHE = Path(tempfile.gettempdir()) / "knetc-cudaemu"
CXXFLAGS = ["-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-w"]


def compiler():
    """The C++ compiler, or None when the machine has none (the tests then skip)."""
    return shutil.which(os.environ.get("CXX", "g++"))


def _launchers(family):
    lines = []
    for kernel, params in registry.kernels(family).items():
        for ctype in registry.CTYPES.values():
            unpack = ", ".join(f"*static_cast<P{i}*>(args[{i}])" for i in range(len(params)))
            types = "".join(f"    using P{i} = {p.c_type(ctype)};\n" for i, p in enumerate(params))
            lines.append(
                f'extern "C" void knetc_emu_{kernel}_{ctype}'
                f'(const unsigned* d, size_t shared, void** args) {{\n'
                f"{types}"
                f"    emu::launch({{d[0], d[1], d[2]}}, {{d[3], d[4], d[5]}}, shared,\n"
                f"                [&] {{ {kernel}<{ctype}>({unpack}); }});\n"
                f"}}\n")
    return "\n".join(lines)


def build(family):
    """Path of the family's shared library, compiled if its text changed."""
    text = f'#include "cuda_emu.h"\n{registry.source(family)}\n{_launchers(family)}'
    header = (HERE / "cuda_emu.h").read_text()
    digest = hashlib.sha256((header + text + " ".join(CXXFLAGS)).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    lib = CACHE / f"{family}-{digest}.so"
    if not lib.exists():
        src = CACHE / f"{family}-{digest}.cpp"
        src.write_text(text)
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        result = subprocess.run([compiler(), *CXXFLAGS, f"-I{HERE}", str(src), "-o", str(tmp)],
                                capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"g++ could not compile kernels/{family}.cu for the emulator:\n"
                               f"{result.stderr[-4000:]}")
        os.replace(tmp, lib)
    return lib


class EmulatedDevice(Device):
    """A Device whose buffers are NumPy arrays and whose kernels run in the CPU emulator."""

    name = "emulated GPU"
    xp = np
    block = 64  # fewer OS threads per block keeps emulated launches fast

    def __init__(self, max_blocks=4):
        self.max_blocks = max_blocks  # small grids make the grid-stride loops do their work
        self.libraries = {}
        self.launches = []  # (family, kernel, dtype) of every launch, for tests to inspect

    def function(self, family, kernel, dtype):
        if family not in self.libraries:
            self.libraries[family] = ctypes.CDLL(str(build(family)))
        ctype = registry.CTYPES[np.dtype(dtype)]
        return getattr(self.libraries[family], f"knetc_emu_{kernel}_{ctype}")

    def launch(self, family, kernel, dtype, grid, block, args, shared_mem=0):
        fn = self.function(family, kernel, dtype)
        holders = []
        for arg in self.convert_args(family, kernel, dtype, args):
            if isinstance(arg, np.ndarray):
                holders.append(ctypes.c_void_p(arg.ctypes.data))
            else:  # a NumPy scalar of the parameter's C type
                holders.append(np.ctypeslib.as_ctypes_type(type(arg))(arg.item()))
        argv = (ctypes.c_void_p * max(1, len(holders)))(*[ctypes.addressof(h) for h in holders])
        grid, block = (tuple(grid) + (1, 1))[:3], (tuple(block) + (1, 1))[:3]
        dims = (ctypes.c_uint * 6)(*grid, *block)
        self.launches.append((family, kernel, np.dtype(dtype).name))
        if self.recording is not None:
            self.recording.append((family, kernel, np.dtype(dtype).name))
        fn(dims, ctypes.c_size_t(shared_mem), argv)

    def matmul(self, a, b):
        return np.matmul(a, b)

    def to_host(self, buf):
        return np.array(buf)

    def from_host(self, array):
        return np.array(array)
