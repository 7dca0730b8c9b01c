"""index ops on KnetArrays (see kernels/README.md)."""
