// Shared by every kernel family: index types, grid-stride loops, dtype traits, warp and
// block reductions, and the dynamic shared-memory declaration.
//
// Conventions (see kernels/README.md): each kernel is a template on the element type T,
// named <op>_forward / <op>_backward, with arguments in the order inputs, upstream
// gradient, outputs, sizes. Sizes and strides are `long long`, counted in elements.
#pragma once

typedef long long idx_t;

#define KNETC_MAXDIM 6

// Shapes and strides travel as KNETC_MAXDIM scalars per operand (p0 ... p5): KNETC_DIMS(p)
// declares them as parameters (knetc/cuda/registry.py expands it the same way when it reads
// a kernel's signature), KNETC_DIM_ARRAY(p) gathers them into the local array p.
#define KNETC_DIMS(p) idx_t p##0, idx_t p##1, idx_t p##2, idx_t p##3, idx_t p##4, idx_t p##5
#define KNETC_DIM_LIST(p) {p##0, p##1, p##2, p##3, p##4, p##5}
#define KNETC_DIM_ARRAY(p) const idx_t p[KNETC_MAXDIM] = KNETC_DIM_LIST(p)

// Each thread handles elements i, i + stride, ... of [0, n).
#define GRID_STRIDE_LOOP(i, n)                                                      \
    for (idx_t i = (idx_t)blockIdx.x * blockDim.x + threadIdx.x; i < (idx_t)(n);    \
         i += (idx_t)blockDim.x * gridDim.x)

#ifdef KNETC_EMULATOR
#define KNETC_SHARED_MEMORY(T, name) T* name = reinterpret_cast<T*>(emu::dynamic_shared())
#else
#define KNETC_SHARED_MEMORY(T, name)                                                \
    extern __shared__ __align__(16) unsigned char knetc_shared_[];                  \
    T* name = reinterpret_cast<T*>(knetc_shared_)
#endif

template <typename T> struct Traits;
template <> struct Traits<float> {
    __device__ static float inf() { return __int_as_float(0x7f800000); }
};
template <> struct Traits<double> {
    __device__ static double inf() { return __longlong_as_double(0x7ff0000000000000LL); }
};

template <typename T> __device__ inline T knetc_max(T a, T b) { return a > b ? a : b; }
template <typename T> __device__ inline T knetc_min(T a, T b) { return a < b ? a : b; }

// Sum of v over the 32 lanes of a warp, in every lane's result at lane 0.
template <typename T> __device__ inline T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

template <typename T> __device__ inline T warp_max(T v) {
    for (int offset = 16; offset > 0; offset >>= 1)
        v = knetc_max(v, __shfl_down_sync(0xffffffffu, v, offset));
    return v;
}

// Element offset of the i-th element (row-major) of an array with `ndim` dims of size `n`
// and element strides `s`; broadcast dims have stride 0.
__device__ inline idx_t strided_offset(idx_t i, int ndim, const idx_t* n, const idx_t* s) {
    idx_t offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        idx_t q = i / n[d];
        offset += (i - q * n[d]) * s[d];
        i = q;
    }
    return offset;
}
