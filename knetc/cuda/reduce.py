"""reduce ops on KnetArrays (see kernels/README.md)."""
