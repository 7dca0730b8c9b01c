"""CUDA sources of knetc's GPU kernels, shipped with the package as data (see README.md)."""
