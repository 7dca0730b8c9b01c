"""softmax ops on KnetArrays (see kernels/README.md)."""
