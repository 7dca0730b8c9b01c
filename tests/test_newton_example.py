"""examples/newton.py: Newton-CG with knetc.hvp on the housing data shipped in examples/data,
against SGD from the same start. The Newton losses fall and end below SGD's."""
import re

from test_examples import run_example


def test_newton_cg_beats_sgd(tmp_path):
    out, _ = run_example("newton.py", "--steps", 6, "--hidden", 8, "--cg-iters", 8,
                         tmp_path=tmp_path)
    rows = [tuple(map(float, m.groups()[1:])) for m in
            re.finditer(r"^\s*(\d+)\s+([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*$", out, re.M)]
    assert len(rows) == 7, out
    newton = [r[0] for r in rows]
    sgd = [r[1] for r in rows]
    assert newton[0] == sgd[0]  # the same start
    assert all(b <= a for a, b in zip(newton, newton[1:])), out  # rejected steps keep it
    assert newton[-1] < 0.5 * newton[0] and newton[-1] < sgd[-1], out


def test_newton_help_and_source(tmp_path):
    out, _ = run_example("newton.py", "--help", tmp_path=tmp_path)
    assert "--cg-iters" in out and "--damping" in out
    out, _ = run_example("newton.py", "--source", tmp_path=tmp_path)
    assert "def loss_tangent_forward" in out or "def dloss_tangent" in out, out


def test_newton_missing_data_says_what_to_do(tmp_path):
    result = run_example("newton.py", "--data", tmp_path / "none.data", tmp_path=tmp_path,
                         expect=None)
    assert result.returncode == 2
    assert "--data" in result.stderr and "KNETC_HOUSING" in result.stderr
