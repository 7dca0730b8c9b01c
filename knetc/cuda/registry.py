"""One registry of CUDA kernels: kernels/<family>.cu source, its templates, and their dtypes.

Each family is one `.cu` file whose `__global__` functions are templates on the element
type `T`. The registry reads the file (inlining `#include "common.cuh"`), lists its kernels
with their parameters, and names the instantiation `<kernel><float>` / `<kernel><double>`
that CuPy's `RawModule(name_expressions=...)` compiles. Backends (CuPy on a GPU, the CPU
emulator in tests/) compile a family once and look kernels up by (family, kernel, dtype).
"""
import functools
import re
from pathlib import Path

import numpy as np

CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
DTYPES = tuple(CTYPES)
OPTIONS = ("-std=c++17",)

_KERNEL = re.compile(r"template\s*<\s*typename\s+T\s*>\s*__global__\s+"
                     r"(?:__launch_bounds__\([^)]*\)\s+)?void\s+(\w+)\s*\(([^)]*)\)")
_INCLUDE = re.compile(r'^#include\s+"([\w.]+)"\s*$', re.M)
_DIMS = re.compile(r"\bKNETC_DIMS\((\w+)\)")  # common.cuh: six idx_t parameters p0 ... p5
MAXDIM = 6  # KNETC_MAXDIM


def kernel_dir():
    """The folder holding the .cu files: the installed `knetc.kernels` package, else the repo's."""
    installed = Path(__file__).resolve().parent.parent / "kernels"
    if (installed / "common.cuh").is_file():
        return installed
    return Path(__file__).resolve().parents[2] / "kernels"


def families():
    """Names of the kernel families, one per kernels/<family>.cu."""
    return sorted(p.stem for p in kernel_dir().glob("*.cu"))


@functools.lru_cache(maxsize=None)
def source(family):
    """The family's CUDA source with local #includes inlined (NVRTC and g++ see the same text)."""
    path = kernel_dir() / f"{family}.cu"
    if not path.is_file():
        raise KeyError(f"knetc has no kernel family {family!r} (no {path})")
    seen = set()

    def inline(match):
        name = match.group(1)
        if name in seen:
            return ""
        seen.add(name)
        return _INCLUDE.sub(inline, (kernel_dir() / name).read_text())

    return _INCLUDE.sub(inline, path.read_text())


class Param:
    """One kernel parameter: its C type with `T` still in it, and its name."""

    def __init__(self, text):
        text = " ".join(text.replace("__restrict__", " ").split())
        match = re.match(r"(.*?)\s*(\w+)$", text)
        self.ctype, self.name = match.group(1), match.group(2)
        self.pointer = self.ctype.endswith("*")

    def c_type(self, ctype):
        """The parameter's C type with T replaced by `ctype` ('float' or 'double')."""
        return re.sub(r"\bT\b", ctype, self.ctype)

    def __repr__(self):
        return f"Param({self.ctype!r}, {self.name!r})"


@functools.lru_cache(maxsize=None)
def kernels(family):
    """{kernel name: [Param, ...]} for every `template <typename T> __global__` in the family."""
    found = {}
    text = _DIMS.sub(lambda m: ", ".join(f"idx_t {m[1]}{i}" for i in range(MAXDIM)),
                     source(family))
    for name, params in _KERNEL.findall(text):
        found[name] = [Param(p) for p in params.split(",") if p.strip()]
    return found


def name_expression(kernel, dtype):
    """The C++ name of `kernel` instantiated for `dtype`: 'relu_forward<float>'."""
    try:
        return f"{kernel}<{CTYPES[np.dtype(dtype)]}>"
    except KeyError:
        raise TypeError("knetc's GPU kernels take float32 or float64 arrays, "
                        f"not {np.dtype(dtype)}; "
                        "convert with x.astype(np.float32)") from None


def name_expressions(family):
    """Every instantiation of the family's kernels, for RawModule(name_expressions=...)."""
    return [name_expression(k, d) for k in kernels(family) for d in DTYPES]
