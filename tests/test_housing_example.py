"""Smoke tests for examples/housing.py: it trains, the loss falls, and --source prints code."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "housing.py")


def run_example(*args):
    # The script imports knetc; put the checkout first so this works without `pip install -e .`.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, SCRIPT, *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_housing_loss_falls_from_hundreds_to_about_30():
    out = run_example("--steps", "10")
    losses = [float(v) for v in re.findall(r"loss\s+([-+0-9.eE]+|nan|inf)", out)]
    assert len(losses) == 11, out
    assert losses[0] > 100, out
    assert losses[-1] < 60, out


def test_housing_source_prints_the_gradient_code():
    out = run_example("--source")
    assert "def " in out
    assert "dw" in out
