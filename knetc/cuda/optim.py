"""optim ops on KnetArrays (see kernels/README.md)."""
