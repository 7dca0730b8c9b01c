"""knetc.cuda.kernels_used and kernel_source: the CUDA kernels behind a gradient, as text."""
import re

import numpy as np
import pytest

import knetc
import knetc.cuda as kc
from knetc.cuda import registry


def loss(w, x, y):
    return -np.sum(y * knetc.logp(w[0] @ x + w[1], axis=0)) / y.shape[1]


def test_kernels_used_by_a_gradient(emulated_device):
    rng = np.random.default_rng(0)
    w = knetc.gpu([rng.random((3, 4), dtype=np.float32), np.zeros((3, 1), np.float32)],
                  device=emulated_device)
    x, y = knetc.gpu([rng.random((4, 5), dtype=np.float32), np.eye(3, 5, dtype=np.float32)],
                     device=emulated_device)
    used = kc.kernels_used(knetc.grad(loss), w, x, y)
    assert ("softmax", "logp_forward", "float32") in used
    assert len(used) == len(set(used))
    assert emulated_device.recording is None  # recording stops after the call
    for family, kernel, _ in used:
        text = kc.kernel_source(family, kernel)
        assert text.startswith(f"// kernels/{family}.cu: {kernel}\n")
        assert f"void {kernel}(" in text and text.rstrip().endswith("}")


@pytest.mark.parametrize("family", registry.families())
def test_every_kernel_has_a_source(family):
    for kernel in registry.kernels(family):
        text = kc.kernel_source(family, kernel)
        assert re.search(r"__global__\s[^;{]*\bvoid\s+" + kernel + r"\(", text), text[:300]
    assert kc.kernel_source(family) == registry.source(family)


def test_errors():
    with pytest.raises(TypeError, match="knetc.gpu"):
        kc.kernels_used(knetc.grad(loss), [np.ones((3, 4)), np.ones((3, 1))], np.ones((4, 5)),
                        np.ones((3, 5)))
    with pytest.raises(KeyError, match="no kernel 'nope'"):
        kc.kernel_source("elementwise", "nope")
