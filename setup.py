"""Install knetc: a source-transformation autodiff compiler for plain NumPy code."""
from setuptools import find_packages, setup

setup(
    name="knetc",
    version="0.1.0",
    description="Reverse-mode autodiff by source transformation: grad(loss) for plain NumPy code",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    # kernels/ sits beside the package (one family per .cu file); ship it as knetc.kernels.
    packages=find_packages(include=["knetc", "knetc.*"]) + ["knetc.kernels"],
    package_dir={"knetc.kernels": "kernels"},
    package_data={"knetc.kernels": ["*.cu", "*.cuh", "README.md"]},
    install_requires=["numpy>=1.22", "gast>=0.5,<0.8", "astor>=0.8", "tqdm>=4.58"],
    extras_require={
        "gpu": ["cupy-cuda13x"],
        # NVRTC without a GPU: compiles every kernel in the tests (cupy_backends + libnvrtc)
        "kernels": ["cupy-cuda13x", "nvidia-cuda-nvrtc"],
        "test": ["pytest", "hypothesis", "ruff", "wheel"],
        # the peers bench/run.py times knetc against (see bench/README.md for a CPU-only torch)
        "bench": ["autograd", "torch", "jax"],
    },
)
