"""Install knetc: a source-transformation autodiff compiler for plain NumPy code."""
from setuptools import find_packages, setup

setup(
    name="knetc",
    version="0.1.0",
    description="Reverse-mode autodiff by source transformation: grad(loss) for plain NumPy code",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["knetc", "knetc.*"]),
    install_requires=["numpy>=1.22", "gast>=0.5,<0.8", "astor>=0.8", "tqdm>=4.58"],
    extras_require={
        "gpu": ["cupy-cuda13x"],
        "test": ["pytest", "hypothesis", "ruff"],
    },
)
