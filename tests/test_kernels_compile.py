"""Every kernel of every family compiles with NVRTC for sm_80 and sm_90, in float32 and float64.

Warnings are errors, and ptxas's report must show no register spills and at most 48 KB of
shared memory per kernel. NVRTC runs without a GPU or driver (the `nvidia-cuda-nvrtc`
wheel through `cupy_backends`); CI installs both, so there the test must not skip.
"""
import os
import re

import pytest

from knetc.cuda import registry

ARCHS = ("sm_80", "sm_90")
SHARED_LIMIT = 48 * 1024


def _nvrtc():
    try:
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()
        return nvrtc
    except Exception as e:  # not installed, or libnvrtc missing
        if os.environ.get("CI"):
            pytest.fail(f"NVRTC is needed in CI for the kernel compile check: {e}")
        pytest.skip(f"NVRTC not available: {e}")


def compile_family(family, arch):
    """(ptxas log, {lowered name: name expression}) of the family compiled for `arch`."""
    nvrtc = _nvrtc()
    prog = nvrtc.createProgram(registry.source(family), f"{family}.cu", [], [])
    expressions = registry.name_expressions(family)
    for expr in expressions:
        nvrtc.addNameExpression(prog, expr)
    options = [*registry.OPTIONS, f"-arch={arch}", "-Werror=all-warnings", "--ptxas-options=-v"]
    try:
        nvrtc.compileProgram(prog, options)
    except Exception as e:
        pytest.fail(f"kernels/{family}.cu does not compile for {arch}: {e}\n"
                    f"{nvrtc.getProgramLog(prog)}")
    lowered = {nvrtc.getLoweredName(prog, e): e for e in expressions}
    return nvrtc.getProgramLog(prog), lowered


def ptxas_report(log):
    """{mangled kernel name: {'spill': bytes spilled, 'smem': shared bytes}} from ptxas -v."""
    report, current = {}, None
    for line in log.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            current = report.setdefault(m.group(1), {"spill": 0, "smem": 0})
        elif current is not None:
            for n in re.findall(r"(\d+) bytes spill (?:stores|loads)", line):
                current["spill"] += int(n)
            m = re.search(r"(\d+) bytes smem", line)
            if m:
                current["smem"] = int(m.group(1))
    return report


def test_families_are_found():
    assert "elementwise" in registry.families()
    for family in registry.families():
        assert registry.kernels(family), f"kernels/{family}.cu has no template kernels"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("family", registry.families())
def test_family_compiles(family, arch):
    log, lowered = compile_family(family, arch)
    report = ptxas_report(log)
    assert set(lowered) <= set(report), "ptxas reported fewer kernels than were instantiated"
    for mangled, expr in lowered.items():
        assert report[mangled]["spill"] == 0, f"{family}: {expr} spills registers on {arch}"
        assert report[mangled]["smem"] <= SHARED_LIMIT, f"{family}: {expr} uses over 48 KB shared"


def test_report_parser_sees_spills_and_shared_memory():
    log = ("ptxas info    : Compiling entry function '_Z1fIfEvPKT_' for 'sm_90'\n"
           "ptxas         .     8 bytes stack frame, 16 bytes spill stores, 16 bytes spill loads\n"
           "ptxas info    : Used 255 registers, used 1 barriers, 50000 bytes smem\n")
    assert ptxas_report(log) == {"_Z1fIfEvPKT_": {"spill": 32, "smem": 50000}}
