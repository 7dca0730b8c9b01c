"""The CUDA source behind a computation: which kernels a call launches, and their text.

    dloss = knetc.grad(loss)
    for family, kernel, dtype in knetc.cuda.kernels_used(dloss, w, x, y):
        print(knetc.cuda.kernel_source(family, kernel))

`knetc.source(dloss)` is the same Python on NumPy and on KnetArrays; these two functions show
the other half on the GPU: the kernels each NumPy call in that code runs.
"""
import re

from . import registry
from .array import KnetArray
from .transfer import tree_map


def kernels_used(fn, *args, **kwargs):
    """[(family, kernel, dtype), ...] launched by fn(*args, **kwargs), in first-launch order.

    The call runs for real on the KnetArrays among the arguments (on their device).
    """
    leaves = []
    tree_map((list(args), dict(kwargs)), lambda v: leaves.append(v) or v)
    devices = {id(v.device): v.device for v in leaves if isinstance(v, KnetArray)}
    if not devices:
        raise TypeError("knetc.cuda.kernels_used needs KnetArray arguments; move them with "
                        "knetc.gpu(...) first")
    seen = []
    for device in devices.values():
        device.recording = []
    try:
        fn(*args, **kwargs)
    finally:
        for device in devices.values():
            for launch in device.recording:
                if launch not in seen:
                    seen.append(launch)
            device.recording = None
    return seen


def kernel_source(family, kernel=None):
    """The CUDA text of one kernel template from kernels/<family>.cu, with its comment; with
    no kernel, the family's whole source (the device functions kernels call live there)."""
    text = registry.source(family)
    if kernel is None:
        return text
    match = re.search(r"template\s*<\s*typename\s+T\s*>\s*__global__\s+"
                      r"(?:__launch_bounds__\([^)]*\)\s+)?void\s+" + re.escape(kernel) + r"\s*\(",
                      text)
    if match is None:
        raise KeyError(f"kernels/{family}.cu has no kernel {kernel!r}")
    start = match.start()
    lines = text[:start].split("\n")[:-1]
    comment = []
    while lines and lines[-1].lstrip().startswith("//"):
        comment.insert(0, lines.pop())
    depth, end = 0, text.index("{", match.end())
    for end in range(end, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    header = f"// kernels/{family}.cu: {kernel}\n"
    return header + "\n".join(comment + [text[start:end + 1]]) + "\n"
