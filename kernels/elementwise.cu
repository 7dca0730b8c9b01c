// Elementwise kernels: copies, unary functions and their backward forms, binary ops with
// NumPy broadcasting.
#include "common.cuh"

// y = x for an x of any strides (shape n[0..ndim), element strides s); y is contiguous.
template <typename T>
__global__ void copy_forward(const T* __restrict__ x, T* __restrict__ y, idx_t size, int ndim,
                             idx_t n0, idx_t n1, idx_t n2, idx_t n3, idx_t n4, idx_t n5,
                             idx_t s0, idx_t s1, idx_t s2, idx_t s3, idx_t s4, idx_t s5) {
    const idx_t n[KNETC_MAXDIM] = {n0, n1, n2, n3, n4, n5};
    const idx_t s[KNETC_MAXDIM] = {s0, s1, s2, s3, s4, s5};
    GRID_STRIDE_LOOP(i, size) y[i] = x[strided_offset(i, ndim, n, s)];
}

// Block sum of x into out[blockIdx.x] (a test of the shared helpers).
template <typename T>
__global__ void blocksum_forward(const T* __restrict__ x, T* __restrict__ out, idx_t size) {
    __shared__ T partial[32];
    T v = 0;
    GRID_STRIDE_LOOP(i, size) v += x[i];
    v = warp_sum(v);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? partial[threadIdx.x] : T(0);
        v = warp_sum(v);
        if (threadIdx.x == 0) out[blockIdx.x] = v;
    }
}
