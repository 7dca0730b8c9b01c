"""An installed wheel carries kernels/*.cu as knetc.kernels, and the registry finds them there."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if result.returncode:
        pytest.fail(f"pip wheel failed:\n{result.stderr[-3000:]}")
    return next(out.glob("knetc-*.whl"))


def test_wheel_contains_every_kernel_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"knetc/kernels/{p.name}" for p in (ROOT / "kernels").iterdir()
                if p.suffix in (".cu", ".cuh")}
    assert expected and "knetc/kernels/common.cuh" in expected
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"


def test_installed_wheel_finds_its_kernels(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("from knetc.cuda import registry; d = registry.kernel_dir(); "
            "print(d); print(' '.join(registry.families())); "
            "print(len(registry.source('elementwise')))")
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    where, families, size = result.stdout.split("\n")[:3]
    assert Path(where).resolve().is_relative_to(target.resolve()), where
    assert set(families.split()) == {p.stem for p in (ROOT / "kernels").glob("*.cu")}
    assert int(size) > 0
