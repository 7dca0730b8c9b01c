"""jvp and hvp on KnetArrays: the programs of tests/test_cuda_programs.py (the corpus and the
examples' losses), differentiated again on the device, must give NumPy's numbers.

For each program, a random direction v in the differentiated arguments: `knetc.jvp` and
`knetc.hvp` on the NumPy arguments, then on the same arguments and direction moved with
knetc.gpu. Value and tangent (jvp) and the Hessian-vector product (hvp) brought back with
knetc.cpu must match NumPy's (float64, rtol 1e-7). On the CPU emulator in normal runs, on a
real GPU under the `gpu` marker.
"""
import copy

import numpy as np
import pytest

import knetc
from knetc.cuda.array import KnetArray
from knetc.pytree import children
from test_cuda_programs import GPU_ROWS, NO_GPU_OP, ROWS, TOLERANCE, _args, _param
from test_forward_rules import leaves, random_tangent

# Programs whose second derivative runs through something with no GPU op: {id: reason}.
NO_SECOND_ORDER_OP = {}

EMULATED = [_param(row) for row in ROWS]


def _array_leaves(x):
    if isinstance(x, (KnetArray, np.ndarray)):
        return [x] if x.ndim > 0 else []
    kids = children(x)
    if kids:
        return [leaf for _, k in kids for leaf in _array_leaves(k)]
    return [x] if hasattr(x, "shape") and getattr(x, "ndim", 0) > 0 else []


def _host(x):
    return np.asarray(knetc.cpu(x), dtype=np.float64)


def check_derivatives_on_device(device, name, f, build, argnums):
    args = _args(name, build)
    wrt = argnums if isinstance(argnums, tuple) else (argnums,)
    rng = np.random.default_rng(0)
    v = tuple(random_tangent(args[a], rng) for a in wrt)
    tangents = tuple(v[wrt.index(i)] if i in wrt else None for i in range(len(args)))
    tol = TOLERANCE[np.float64]

    value, tangent = knetc.jvp(f, copy.deepcopy(args), copy.deepcopy(tangents))
    dvalue, dtangent = knetc.jvp(f, knetc.gpu(copy.deepcopy(args), device=device),
                                 knetc.gpu(copy.deepcopy(tangents), device=device))
    np.testing.assert_allclose(_host(dvalue), value, err_msg="jvp value", **tol)
    np.testing.assert_allclose(_host(dtangent), tangent, err_msg="jvp tangent", **tol)
    assert isinstance(dtangent, KnetArray) or not isinstance(tangent, np.ndarray), \
        "the tangent left the device"

    if name in NO_SECOND_ORDER_OP:
        return
    direction = v if isinstance(argnums, tuple) else v[0]
    want = knetc.hvp(f, argnums)(*copy.deepcopy(args), copy.deepcopy(direction))
    got = knetc.hvp(f, argnums)(*knetc.gpu(copy.deepcopy(args), device=device),
                                knetc.gpu(copy.deepcopy(direction), device=device))
    assert all(isinstance(g, KnetArray) for g in _array_leaves(got)), "hvp left the device"
    for g, w in zip(leaves(knetc.cpu(got)), leaves(want)):
        np.testing.assert_allclose(g, w, err_msg="hvp", **tol)


@pytest.mark.parametrize("f, build, argnums", EMULATED)
def test_derivatives_on_emulated_device(emulated_device, request, f, build, argnums):
    check_derivatives_on_device(emulated_device, request.node.callspec.id, f, build, argnums)


@pytest.mark.parametrize("f, build, argnums", GPU_ROWS)
def test_derivatives_on_gpu(cuda_device, request, f, build, argnums):
    check_derivatives_on_device(cuda_device, request.node.callspec.id, f, build, argnums)


def test_tables_name_real_programs():
    ids = {row[0] for row in ROWS}
    assert set(NO_SECOND_ORDER_OP) <= ids and set(NO_GPU_OP) <= ids
