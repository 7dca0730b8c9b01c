// Reductions: sum (and mean, as a scaled sum), prod, max, min, argmax and argmin of a
// contiguous array viewed as (outer, r, inner), reducing the middle dim of length r.
//
// Two kernel shapes (knetc/cuda/reduce.py picks one and its launch configuration):
// - *_rows_forward (inner == 1, the reduced elements are contiguous): a group of blockDim.x
//   threads (a power of two) owns one row; blockDim.y groups share a block. Threads stride
//   through the row, then the group combines with warp shuffles (and shared memory when the
//   group is wider than a warp). A full reduction is one row.
// - *_cols_forward (inner > 1): threadIdx.x owns consecutive outputs (o, j) of the flattened
//   (outer, inner) result, so a warp reads consecutive addresses of one r-slice; threadIdx.y
//   splits r, and the block combines its blockDim.y partials in shared memory.
// Both split r into `splits` equal chunks when there are too few rows or columns to fill the
// GPU: chunk k of output p goes to y[(o * splits + k) * inner + j], and a second launch
// reduces those partials (the *_indexed_forward arg kernels then carry the partial's index).
// Results do not depend on timing: no atomics, fixed combination order for a given launch.
//
// Accumulation is in T: float sums are accumulated in float, each thread summing its strided
// share sequentially (a few hundred elements for a 64M-element input) and the partials by a
// tree, so the rounding error grows like NumPy's pairwise sum rather than a serial one
// (tests/test_cuda_reduce.py checks float32 against NumPy at rtol 1e-5). Products are
// accumulated the same way, in T (relative error at most about n * eps, as NumPy's); a
// product whose partial products over- or underflow in one order but not another (1e30 *
// 1e30 * 1e-30 in float32) can differ from NumPy's, whose order differs from ours.
// max/min propagate NaN like NumPy; argmax/argmin return the first NaN, else the first index
// of the extremum.
//
// Every thread keeps 4 independent loads in flight (the unrolled loops), which a
// bandwidth-bound reduction needs to cover DRAM latency.
#include "common.cuh"

#define KNETC_REDUCE_UNROLL 4

template <typename T> struct SumOp {
    typedef T Acc;
    __device__ static Acc identity() { return T(0); }
    __device__ static Acc make(T v, idx_t) { return v; }
    __device__ static Acc combine(Acc a, Acc b) { return a + b; }
    __device__ static Acc shfl_down(Acc a, int offset) {
        return __shfl_down_sync(0xffffffffu, a, offset);
    }
    __device__ static void store(Acc a, T* y, idx_t*, idx_t p, T scale) { y[p] = a * scale; }
};

template <typename T> struct ProdOp {
    typedef T Acc;
    __device__ static Acc identity() { return T(1); }
    __device__ static Acc make(T v, idx_t) { return v; }
    __device__ static Acc combine(Acc a, Acc b) { return a * b; }
    __device__ static Acc shfl_down(Acc a, int offset) {
        return __shfl_down_sync(0xffffffffu, a, offset);
    }
    __device__ static void store(Acc a, T* y, idx_t*, idx_t p, T) { y[p] = a; }
};

// Max (Max = true) or min, NaN-propagating.
template <typename T, bool Max> struct ExtremumOp {
    typedef T Acc;
    __device__ static Acc identity() { return Max ? -Traits<T>::inf() : Traits<T>::inf(); }
    __device__ static Acc make(T v, idx_t) { return v; }
    __device__ static Acc combine(Acc a, Acc b) {
        return ((Max ? a > b : a < b) || a != a) ? a : b;
    }
    __device__ static Acc shfl_down(Acc a, int offset) {
        return __shfl_down_sync(0xffffffffu, a, offset);
    }
    __device__ static void store(Acc a, T* y, idx_t*, idx_t p, T) { y[p] = a; }
};

template <typename T> struct ValueIndex {
    T v;
    idx_t i;
};

// Argmax (Max = true) or argmin: the extremum's smallest index; a NaN beats everything (the
// first NaN wins). The identity's index is larger than any real index, so ties with it (an
// all -inf row) resolve to the real element.
template <typename T, bool Max> struct ArgOp {
    typedef ValueIndex<T> Acc;
    __device__ static Acc identity() {
        Acc a;
        a.v = Max ? -Traits<T>::inf() : Traits<T>::inf();
        a.i = 0x7fffffffffffffffLL;
        return a;
    }
    __device__ static Acc make(T v, idx_t i) {
        Acc a;
        a.v = v;
        a.i = i;
        return a;
    }
    __device__ static Acc combine(Acc a, Acc b) {
        const bool a_nan = a.v != a.v, b_nan = b.v != b.v;
        const bool take_a = a_nan ? (!b_nan || a.i < b.i)
                                  : (!b_nan && ((Max ? a.v > b.v : a.v < b.v) ||
                                                (a.v == b.v && a.i < b.i)));
        return take_a ? a : b;
    }
    __device__ static Acc shfl_down(Acc a, int offset) {
        a.v = __shfl_down_sync(0xffffffffu, a.v, offset);
        a.i = __shfl_down_sync(0xffffffffu, a.i, offset);
        return a;
    }
    __device__ static void store(Acc a, T* y, idx_t* yi, idx_t p, T) {
        y[p] = a.v;
        yi[p] = a.i;
    }
};

// The element at offset p, whose index along the reduced dim is rr; with Indexed, x holds
// partial results and xi their indices.
template <typename Op, typename T, bool Indexed>
__device__ inline typename Op::Acc load(const T* __restrict__ x, const idx_t* __restrict__ xi,
                                        idx_t p, idx_t rr) {
    return Op::make(x[p], Indexed ? xi[p] : rr);
}

// Rows of the (outer, r) matrix x; logical row q = o * splits + k covers chunk k of row o.
// blockDim.x (a power of two) threads per row, blockDim.y rows per block, and a block size
// that is a multiple of 32 (the shuffles use full warps).
template <typename Op, typename T, bool Indexed>
__device__ void reduce_rows(const T* __restrict__ x, const idx_t* __restrict__ xi,
                            T* __restrict__ y, idx_t* __restrict__ yi, idx_t outer, idx_t r,
                            idx_t splits, T scale) {
    typedef typename Op::Acc Acc;
    __shared__ Acc partial[32];
    const int bx = blockDim.x, tx = threadIdx.x, ty = threadIdx.y;
    const int warps_per_row = bx / 32;  // 0 when rows are narrower than a warp
    const int width = bx < 32 ? bx : 32;
    const idx_t chunk = (r + splits - 1) / splits;
    const idx_t nrows = outer * splits;
    for (idx_t first = (idx_t)blockIdx.x * blockDim.y; first < nrows;
         first += (idx_t)gridDim.x * blockDim.y) {
        const idx_t q = first + ty;
        Acc acc = Op::identity();
        if (q < nrows) {
            const idx_t o = q / splits, k = q - o * splits;
            const idx_t end = knetc_min(k * chunk + chunk, r);
            const idx_t base = o * r;
            idx_t j = k * chunk + tx;
            for (; j + (KNETC_REDUCE_UNROLL - 1) * bx < end; j += KNETC_REDUCE_UNROLL * bx) {
                Acc v[KNETC_REDUCE_UNROLL];
#pragma unroll
                for (int u = 0; u < KNETC_REDUCE_UNROLL; ++u)
                    v[u] = load<Op, T, Indexed>(x, xi, base + j + u * bx, j + u * bx);
#pragma unroll
                for (int u = 0; u < KNETC_REDUCE_UNROLL; ++u) acc = Op::combine(acc, v[u]);
            }
            for (; j < end; j += bx) acc = Op::combine(acc, load<Op, T, Indexed>(x, xi, base + j, j));
        }
        // Combine the row's threads: within each warp (or sub-warp group), then across warps.
        for (int offset = width / 2; offset > 0; offset >>= 1)
            acc = Op::combine(acc, Op::shfl_down(acc, offset));
        if (warps_per_row > 1) {
            if (tx % 32 == 0) partial[ty * warps_per_row + tx / 32] = acc;
            __syncthreads();
            if (tx < 32) {
                acc = tx < warps_per_row ? partial[ty * warps_per_row + tx] : Op::identity();
                for (int offset = 16; offset > 0; offset >>= 1)
                    acc = Op::combine(acc, Op::shfl_down(acc, offset));
            }
            __syncthreads();
        }
        if (tx == 0 && q < nrows) Op::store(acc, y, yi, q, scale);
    }
}

// Middle dim of the (outer, r, inner) array x. Thread x-index m of a tile owns output
// p = tile * blockDim.x + m = (o, j); blockDim.y threads (a power of two) split its r-chunk.
template <typename Op, typename T, bool Indexed>
__device__ void reduce_cols(const T* __restrict__ x, const idx_t* __restrict__ xi,
                            T* __restrict__ y, idx_t* __restrict__ yi, idx_t outer, idx_t r,
                            idx_t inner, idx_t splits, T scale) {
    typedef typename Op::Acc Acc;
    __shared__ Acc buf[1024];
    const int bx = blockDim.x, by = blockDim.y, tx = threadIdx.x, ty = threadIdx.y;
    const idx_t chunk = (r + splits - 1) / splits;
    const idx_t outputs = outer * inner;
    const idx_t col_tiles = (outputs + bx - 1) / bx;
    const idx_t tiles = col_tiles * splits;
    for (idx_t t = blockIdx.x; t < tiles; t += gridDim.x) {
        const idx_t k = t / col_tiles;
        const idx_t p = (t - k * col_tiles) * bx + tx;
        const idx_t o = p / inner, j = p - o * inner;
        Acc acc = Op::identity();
        if (p < outputs) {
            const idx_t end = knetc_min(k * chunk + chunk, r);
            const idx_t base = o * r * inner + j;
            const idx_t step = (idx_t)by * inner;
            idx_t rr = k * chunk + ty;
            for (; rr + (KNETC_REDUCE_UNROLL - 1) * by < end; rr += KNETC_REDUCE_UNROLL * by) {
                Acc v[KNETC_REDUCE_UNROLL];
#pragma unroll
                for (int u = 0; u < KNETC_REDUCE_UNROLL; ++u)
                    v[u] = load<Op, T, Indexed>(x, xi, base + rr * inner + u * step, rr + u * by);
#pragma unroll
                for (int u = 0; u < KNETC_REDUCE_UNROLL; ++u) acc = Op::combine(acc, v[u]);
            }
            for (; rr < end; rr += by)
                acc = Op::combine(acc, load<Op, T, Indexed>(x, xi, base + rr * inner, rr));
        }
        if (by > 1) {
            buf[ty * bx + tx] = acc;
            __syncthreads();
            for (int s = by / 2; s > 0; s >>= 1) {
                if (ty < s) buf[ty * bx + tx] = Op::combine(buf[ty * bx + tx], buf[(ty + s) * bx + tx]);
                __syncthreads();
            }
            if (ty == 0) acc = buf[tx];  // its own slot: no race with the next tile's writes
        }
        if (ty == 0 && p < outputs) Op::store(acc, y, yi, (o * splits + k) * inner + j, scale);
    }
}

// ---- value reductions: y = scale * sum, or prod/max/min (scale unused) ----
template <typename T>
__global__ void sum_rows_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t splits, T scale) {
    reduce_rows<SumOp<T>, T, false>(x, nullptr, y, nullptr, outer, r, splits, scale);
}

template <typename T>
__global__ void prod_rows_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                  idx_t splits, T scale) {
    reduce_rows<ProdOp<T>, T, false>(x, nullptr, y, nullptr, outer, r, splits, scale);
}

template <typename T>
__global__ void max_rows_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t splits, T scale) {
    reduce_rows<ExtremumOp<T, true>, T, false>(x, nullptr, y, nullptr, outer, r, splits, scale);
}

template <typename T>
__global__ void min_rows_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t splits, T scale) {
    reduce_rows<ExtremumOp<T, false>, T, false>(x, nullptr, y, nullptr, outer, r, splits, scale);
}

template <typename T>
__global__ void sum_cols_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t inner, idx_t splits, T scale) {
    reduce_cols<SumOp<T>, T, false>(x, nullptr, y, nullptr, outer, r, inner, splits, scale);
}

template <typename T>
__global__ void prod_cols_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                  idx_t inner, idx_t splits, T scale) {
    reduce_cols<ProdOp<T>, T, false>(x, nullptr, y, nullptr, outer, r, inner, splits, scale);
}

template <typename T>
__global__ void max_cols_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t inner, idx_t splits, T scale) {
    reduce_cols<ExtremumOp<T, true>, T, false>(x, nullptr, y, nullptr, outer, r, inner, splits,
                                               scale);
}

template <typename T>
__global__ void min_cols_forward(const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t r,
                                 idx_t inner, idx_t splits, T scale) {
    reduce_cols<ExtremumOp<T, false>, T, false>(x, nullptr, y, nullptr, outer, r, inner, splits,
                                                scale);
}

// ---- argmax/argmin: y = the extremum, yi = its index along the reduced dim ----
template <typename T>
__global__ void argmax_rows_forward(const T* __restrict__ x, T* __restrict__ y,
                                    idx_t* __restrict__ yi, idx_t outer, idx_t r, idx_t splits) {
    reduce_rows<ArgOp<T, true>, T, false>(x, nullptr, y, yi, outer, r, splits, T(1));
}

template <typename T>
__global__ void argmin_rows_forward(const T* __restrict__ x, T* __restrict__ y,
                                    idx_t* __restrict__ yi, idx_t outer, idx_t r, idx_t splits) {
    reduce_rows<ArgOp<T, false>, T, false>(x, nullptr, y, yi, outer, r, splits, T(1));
}

template <typename T>
__global__ void argmax_cols_forward(const T* __restrict__ x, T* __restrict__ y,
                                    idx_t* __restrict__ yi, idx_t outer, idx_t r, idx_t inner,
                                    idx_t splits) {
    reduce_cols<ArgOp<T, true>, T, false>(x, nullptr, y, yi, outer, r, inner, splits, T(1));
}

template <typename T>
__global__ void argmin_cols_forward(const T* __restrict__ x, T* __restrict__ y,
                                    idx_t* __restrict__ yi, idx_t outer, idx_t r, idx_t inner,
                                    idx_t splits) {
    reduce_cols<ArgOp<T, false>, T, false>(x, nullptr, y, yi, outer, r, inner, splits, T(1));
}

// Second passes over (value, index) partials of a split first pass.
template <typename T>
__global__ void argmax_rows_indexed_forward(const T* __restrict__ x, const idx_t* __restrict__ xi,
                                            T* __restrict__ y, idx_t* __restrict__ yi,
                                            idx_t outer, idx_t r, idx_t splits) {
    reduce_rows<ArgOp<T, true>, T, true>(x, xi, y, yi, outer, r, splits, T(1));
}

template <typename T>
__global__ void argmin_rows_indexed_forward(const T* __restrict__ x, const idx_t* __restrict__ xi,
                                            T* __restrict__ y, idx_t* __restrict__ yi,
                                            idx_t outer, idx_t r, idx_t splits) {
    reduce_rows<ArgOp<T, false>, T, true>(x, xi, y, yi, outer, r, splits, T(1));
}

template <typename T>
__global__ void argmax_cols_indexed_forward(const T* __restrict__ x, const idx_t* __restrict__ xi,
                                            T* __restrict__ y, idx_t* __restrict__ yi,
                                            idx_t outer, idx_t r, idx_t inner, idx_t splits) {
    reduce_cols<ArgOp<T, true>, T, true>(x, xi, y, yi, outer, r, inner, splits, T(1));
}

template <typename T>
__global__ void argmin_cols_indexed_forward(const T* __restrict__ x, const idx_t* __restrict__ xi,
                                            T* __restrict__ y, idx_t* __restrict__ yi,
                                            idx_t outer, idx_t r, idx_t inner, idx_t splits) {
    reduce_cols<ArgOp<T, false>, T, true>(x, xi, y, yi, outer, r, inner, splits, T(1));
}
