// The softmax family: log-softmax, softmax and logsumexp along one axis with their backward
// forms, and Knet's nll (mean negative log likelihood of integer labels) and accuracy.
//
// Layout. Every kernel views its contiguous operand as (outer, n, inner) and works on the
// lines x[o, 0..n, i], numbered o * inner + i. Two layouts, two kinds of kernel:
//  * <op>_rows_<pass> (inner == 1, the axis is the last one): `group` threads share a row.
//    group is a power of two <= 32 (a warp or part of one per row: shuffles only) or equals
//    blockDim.x (a block per row: shuffles, then one partial per warp in shared memory). A row
//    of at most group * SoftmaxRowCache<T>::V elements (group >= 32) is read once into
//    registers: its max, then its sum of exp(x - max), both from registers, then the write.
//    Longer rows use one online pass (the running sum rescaled as the max grows) and one
//    write pass.
//  * <op>_<pass> (any inner; used for inner > 1, e.g. axis 0 of Knet's classes x batch
//    scores): a block is `group` columns wide and blockDim.x / group threads tall.
//    Neighbouring threads read neighbouring columns (coalesced); the threads of a column
//    split its n elements, combine their partials in shared memory, and the write pass reads
//    the column again.
// The reductions (logsumexp, nll, accuracy) read each line once and take both layouts in one
// kernel, chosen by inner. Blocks loop over rows or column tiles, so any grid is correct;
// those loops are the same for every thread of a block, so __syncthreads and full-warp
// shuffles are safe. Blocks are multiples of 32 threads.
//
// Numerics. Maxima are subtracted before exp. As in knetc.nn (NumPy), an all -inf line gives
// nan (logp, softmax) or -inf (logsumexp), a line holding +inf gives nan at the inf and -inf
// or 0 elsewhere, and a nan spreads over its line.
#include "common.cuh"

#define SOFTMAX_MAX_BLOCK 1024      // column kernels and reductions (<= 64 registers)
#define SOFTMAX_ROWS_MAX_BLOCK 512  // row kernels, which keep rows in (<= 128) registers
#define SOFTMAX_SCRATCH_BYTES (SOFTMAX_MAX_BLOCK * 16)  // one 16-byte partial per thread
#define SOFTMAX_ROWS_SCRATCH_BYTES (32 * 16)          // one 16-byte partial per warp
#define SM_AHEAD 4  // loads a thread issues together when it streams through a line

// Elements per thread that the row kernels keep in registers (64 registers' worth): with 512
// threads a block holds a row of 32768 float32 / 16384 float64 values.
template <typename T> struct SoftmaxRowCache {
    static constexpr int V = sizeof(T) == 4 ? 64 : 32;
};

enum SoftmaxMode { SM_LOGP, SM_SOFTMAX, SM_NLL };

template <typename T> __device__ inline T sm_ninf() { return -Traits<T>::inf(); }
template <typename T> __device__ inline T sm_nan() { return T(0) * Traits<T>::inf(); }
template <typename T> __device__ inline bool sm_finite(T v) { return v - v == T(0); }

// exp(x - m), but 1 where x == m even for an infinite m (inf - inf would give nan).
template <typename T> __device__ inline T sm_exp_shift(T x, T m) {
    return x == m ? T(1) : exp(x - m);
}

// ---- partials that threads combine; merge is commutative, so every thread gets the same ----

template <typename T> struct SmSum {
    T s;
    __device__ void merge(const SmSum& o) { s += o.s; }
    __device__ SmSum lane_xor(int d) const { return {__shfl_xor_sync(0xffffffffu, s, d)}; }
};

template <typename T> struct SmMax {
    T m;
    __device__ void merge(const SmMax& o) { m = o.m > m || o.m != o.m ? o.m : m; }  // nan wins
    __device__ SmMax lane_xor(int d) const { return {__shfl_xor_sync(0xffffffffu, m, d)}; }
};

// Running max m and sum s of exp(x - m).
template <typename T> struct SmStats {
    T m, s;
    __device__ void push(T x, idx_t) {
        if (x > m) {
            s = s * sm_exp_shift(m, x) + T(1);
            m = x;
        } else {
            s += sm_exp_shift(x, m);  // a nan x makes s nan
        }
    }
    __device__ void merge(const SmStats& o) {
        const T mm = knetc_max(m, o.m);
        s = s * sm_exp_shift(m, mm) + o.s * sm_exp_shift(o.m, mm);
        m = mm;
    }
    __device__ SmStats lane_xor(int d) const {
        return {__shfl_xor_sync(0xffffffffu, m, d), __shfl_xor_sync(0xffffffffu, s, d)};
    }
};

// First index of the largest value, nan counting as largest (NumPy's argmax).
template <typename T> struct SmArgmax {
    T v;
    idx_t k;
    __device__ static bool better(T v1, idx_t k1, T v2, idx_t k2) {
        const bool n1 = v1 != v1, n2 = v2 != v2;
        if (n1 != n2) return n1;
        if (n1) return k1 < k2;
        return v1 > v2 || (v1 == v2 && k1 < k2);
    }
    __device__ void push(T x, idx_t i) {
        if (better(x, i, v, k)) { v = x; k = i; }
    }
    __device__ void merge(const SmArgmax& o) {
        if (better(o.v, o.k, v, k)) { v = o.v; k = o.k; }
    }
    __device__ SmArgmax lane_xor(int d) const {
        return {__shfl_xor_sync(0xffffffffu, v, d), __shfl_xor_sync(0xffffffffu, k, d)};
    }
};

// Combine r over the `group` threads of a row; all of them get the result. A group over 32
// is the whole block and goes through `scratch` (one entry per warp).
template <typename R> __device__ inline R sm_group_reduce(R r, int group, R* scratch) {
    const int width = group < 32 ? group : 32;
    for (int d = width >> 1; d > 0; d >>= 1) r.merge(r.lane_xor(d));
    if (group > 32) {
        __syncthreads();  // the previous call's readers are done with scratch
        if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = r;
        __syncthreads();
        r = scratch[0];
        for (int w = 1; w < (group >> 5); ++w) r.merge(scratch[w]);
    }
    return r;
}

// Combine r over the threads of each column (thread = column + width * height index); every
// thread of the column gets the result. `scratch` has one entry per thread of the block.
template <typename R> __device__ inline R sm_column_reduce(R r, int width, R* scratch) {
    const int height = blockDim.x / width, ty = threadIdx.x / width;
    scratch[threadIdx.x] = r;
    __syncthreads();
    int h = 1;
    while (2 * h < height) h *= 2;  // fold the top part first when height is no power of 2
    for (; h > 0; h >>= 1) {
        if (ty < h && ty + h < height) {
            r.merge(scratch[threadIdx.x + h * width]);
            scratch[threadIdx.x] = r;
        }
        __syncthreads();
    }
    r = scratch[threadIdx.x % width];
    __syncthreads();  // scratch is free again
    return r;
}

// Calls f(k, a[k * stride]) for k = first, first + step, ... below n, in chunks of SM_AHEAD:
// a chunk's loads are predicated, not branched around, so they are all in flight together.
template <typename T, typename F>
__device__ inline void sm_stream(const T* __restrict__ a, idx_t stride, idx_t first, idx_t step,
                                 idx_t n, F f) {
    for (idx_t k0 = first; k0 < n; k0 += SM_AHEAD * step) {
        T va[SM_AHEAD];
#pragma unroll
        for (int u = 0; u < SM_AHEAD; ++u) {
            const idx_t k = k0 + u * step;
            va[u] = k < n ? a[k * stride] : T(0);
        }
#pragma unroll
        for (int u = 0; u < SM_AHEAD; ++u) {
            const idx_t k = k0 + u * step;
            if (k < n) f(k, va[u]);
        }
    }
}

// sm_stream over two arrays: f(k, a[k * stride], b[k * stride]).
template <typename T, typename F>
__device__ inline void sm_stream2(const T* __restrict__ a, const T* __restrict__ b, idx_t stride,
                                  idx_t first, idx_t step, idx_t n, F f) {
    for (idx_t k0 = first; k0 < n; k0 += SM_AHEAD * step) {
        T va[SM_AHEAD], vb[SM_AHEAD];
#pragma unroll
        for (int u = 0; u < SM_AHEAD; ++u) {
            const idx_t k = k0 + u * step;
            va[u] = k < n ? a[k * stride] : T(0);
            vb[u] = k < n ? b[k * stride] : T(0);
        }
#pragma unroll
        for (int u = 0; u < SM_AHEAD; ++u) {
            const idx_t k = k0 + u * step;
            if (k < n) f(k, va[u], vb[u]);
        }
    }
}

// Reduce every line of x with R (push each element, merge partials) and call
// finish(line, result) once per line.
template <typename R, typename T, typename F>
__device__ inline void sm_lines(const T* __restrict__ x, idx_t outer, idx_t n, idx_t inner,
                                int group, R init, R* scratch, F finish) {
    if (inner == 1) {
        const int per_block = blockDim.x / group, lane = threadIdx.x % group;
        for (idx_t base = (idx_t)blockIdx.x * per_block; base < outer;
             base += (idx_t)gridDim.x * per_block) {
            const idx_t row = base + threadIdx.x / group;
            R r = init;
            if (row < outer)
                sm_stream(x + row * n, 1, lane, group, n, [&](idx_t k, T v) { r.push(v, k); });
            r = sm_group_reduce(r, group, scratch);
            if (row < outer && lane == 0) finish(row, r);
        }
    } else {
        const int tx = threadIdx.x % group, ty = threadIdx.x / group;
        const int height = blockDim.x / group;
        const idx_t across = (inner + group - 1) / group;
        for (idx_t t = blockIdx.x; t < outer * across; t += gridDim.x) {
            const idx_t o = t / across, i = (t - o * across) * group + tx;
            R r = init;
            if (i < inner) {
                sm_stream(x + o * n * inner + i, inner, ty, height, n,
                          [&](idx_t k, T v) { r.push(v, k); });
            }
            r = sm_column_reduce(r, group, scratch);
            if (i < inner && ty == 0) finish(o * inner + i, r);
        }
    }
}

// Element k of a line's output, given its max m and sum s of exp(x - m).
template <typename T, int MODE> struct SmOutput {
    T m, logs, inv, g;
    idx_t label;
    bool finite;
    __device__ SmOutput(T m_, T s, idx_t label_, T g_)
        : m(m_), logs(log(s)), inv(T(1) / s), g(g_), label(label_), finite(sm_finite(m_)) {}
    __device__ T operator()(T x, idx_t k) const {
        if (MODE == SM_LOGP) return (x - m) - logs;
        // An infinite max: exp of the log-softmax gives NumPy's 0 and nan.
        const T p = finite ? exp(x - m) * inv : exp((x - m) - logs);
        if (MODE == SM_SOFTMAX) return p;
        return (k == label ? p - T(1) : p) * g;  // SM_NLL: (softmax - onehot) * g
    }
};

// ---- forward (logp, softmax, nll gradient): y from x ----

// Columns (any inner): one online pass per column, then the write pass.
template <typename T, int MODE>
__device__ inline void sm_columns_forward(const T* __restrict__ x,
                                          const idx_t* __restrict__ labels, T g,
                                          T* __restrict__ y, idx_t outer, idx_t n, idx_t inner,
                                          int width, SmStats<T>* scratch) {
    const int tx = threadIdx.x % width, ty = threadIdx.x / width;
    const int height = blockDim.x / width;
    const idx_t across = (inner + width - 1) / width;
    for (idx_t t = blockIdx.x; t < outer * across; t += gridDim.x) {
        const idx_t o = t / across, i = (t - o * across) * width + tx;
        const bool valid = i < inner;
        const idx_t start = o * n * inner + i;
        SmStats<T> st = {sm_ninf<T>(), T(0)};
        if (valid)
            sm_stream(x + start, inner, ty, height, n, [&](idx_t k, T v) { st.push(v, k); });
        st = sm_column_reduce(st, width, scratch);
        const idx_t label = MODE == SM_NLL && valid ? labels[o * inner + i] : -1;
        const SmOutput<T, MODE> out(st.m, st.s, label, g);
        if (valid) {
            sm_stream(x + start, inner, ty, height, n,
                      [&](idx_t k, T v) { y[start + k * inner] = out(v, k); });
        }
    }
}

// Rows, read once, for groups of whole warps and rows of n <= group * V elements. Each thread
// holds c = ceil(n / group) elements in registers: warp w of the group takes the 32 * c
// elements from w * 32 * c on, and its lane l holds v[j] = row[w * 32 * c + l + 32 * j]
// (coalesced, and the offsets 32 * j are constants).
template <typename T, int MODE>
__device__ inline void sm_rows_cached_forward(const T* __restrict__ x,
                                              const idx_t* __restrict__ labels, T g,
                                              T* __restrict__ y, idx_t rows, idx_t n, int group,
                                              void* scratch) {
    constexpr int V = SoftmaxRowCache<T>::V;
    const int per_block = blockDim.x / group, lane = threadIdx.x % group;
    const int chunk = 32 * (int)((n + group - 1) / group), start = (lane >> 5) * chunk;
    const int first = start + (lane & 31);  // row offset of v[0]
    // This thread's elements are v[j] with 32 * j < count (count <= 0: none).
    const int count = knetc_min(chunk, (int)n - start) - (lane & 31);
    for (idx_t base = (idx_t)blockIdx.x * per_block; base < rows;
         base += (idx_t)gridDim.x * per_block) {
        const idx_t row = base + threadIdx.x / group;
        const bool valid = row < rows;
        const int mine = valid ? count : 0;
        const T* xr = x + row * n + first;
        T* yr = y + row * n + first;
        // The label as an offset from v[0] (-1: not one of this thread's elements).
        idx_t label = MODE == SM_NLL && valid ? labels[row] - first : -1;
        if (label < 0 || label >= 32 * V) label = -1;
        T v[V];
#pragma unroll
        for (int j = 0; j < V; ++j) v[j] = 32 * j < mine ? xr[32 * j] : sm_ninf<T>();
        T m = sm_ninf<T>();
#pragma unroll
        for (int j = 0; j < V; ++j) m = knetc_max(m, v[j]);
        m = sm_group_reduce(SmMax<T>{m}, group, static_cast<SmMax<T>*>(scratch)).m;
        T s = 0;
#pragma unroll
        for (int j = 0; j < V; ++j)
            if (32 * j < mine) s += sm_exp_shift(v[j], m);
        s = sm_group_reduce(SmSum<T>{s}, group, static_cast<SmSum<T>*>(scratch)).s;
        const SmOutput<T, MODE> out(m, s, label, g);
#pragma unroll
        for (int j = 0; j < V; ++j)
            if (32 * j < mine) yr[32 * j] = out(v[j], 32 * j);
    }
}

// Rows, read twice (longer rows, or groups under 32 threads): online pass, then write pass.
template <typename T, int MODE>
__device__ inline void sm_rows_streamed_forward(const T* __restrict__ x,
                                                const idx_t* __restrict__ labels, T g,
                                                T* __restrict__ y, idx_t rows, idx_t n,
                                                int group, void* scratch) {
    const int per_block = blockDim.x / group, lane = threadIdx.x % group;
    for (idx_t base = (idx_t)blockIdx.x * per_block; base < rows;
         base += (idx_t)gridDim.x * per_block) {
        const idx_t row = base + threadIdx.x / group;
        const bool valid = row < rows;
        const T* xr = x + row * n;
        T* yr = y + row * n;
        SmStats<T> st = {sm_ninf<T>(), T(0)};
        if (valid) sm_stream(xr, 1, lane, group, n, [&](idx_t k, T v) { st.push(v, k); });
        st = sm_group_reduce(st, group, static_cast<SmStats<T>*>(scratch));
        const idx_t label = MODE == SM_NLL && valid ? labels[row] : -1;
        const SmOutput<T, MODE> out(st.m, st.s, label, g);
        if (valid) sm_stream(xr, 1, lane, group, n, [&](idx_t k, T v) { yr[k] = out(v, k); });
    }
}

template <typename T, int MODE>
__device__ inline void sm_rows_forward(const T* __restrict__ x,
                                       const idx_t* __restrict__ labels, T g,
                                       T* __restrict__ y, idx_t rows, idx_t n, int group,
                                       void* scratch) {
    if (group % 32 == 0 && n <= (idx_t)group * SoftmaxRowCache<T>::V)
        sm_rows_cached_forward<T, MODE>(x, labels, g, y, rows, n, group, scratch);
    else
        sm_rows_streamed_forward<T, MODE>(x, labels, g, y, rows, n, group, scratch);
}

// ---- backward of logp (dy - exp(y) * sum(dy)) and softmax (y * (dy - sum(dy * y))) ----

template <typename T, int MODE> __device__ inline T sm_backward_term(T y, T dy) {
    return MODE == SM_LOGP ? dy : dy * y;
}
template <typename T, int MODE> __device__ inline T sm_backward_out(T y, T dy, T s) {
    return MODE == SM_LOGP ? dy - exp(y) * s : y * (dy - s);
}

template <typename T, int MODE>
__device__ inline void sm_columns_backward(const T* __restrict__ y, const T* __restrict__ dy,
                                           T* __restrict__ dx, idx_t outer, idx_t n,
                                           idx_t inner, int width, SmSum<T>* scratch) {
    const int tx = threadIdx.x % width, ty = threadIdx.x / width;
    const int height = blockDim.x / width;
    const idx_t across = (inner + width - 1) / width;
    for (idx_t t = blockIdx.x; t < outer * across; t += gridDim.x) {
        const idx_t o = t / across, i = (t - o * across) * width + tx;
        const bool valid = i < inner;
        const idx_t start = o * n * inner + i;
        T s = 0;
        if (valid) {
            sm_stream2(y + start, dy + start, inner, ty, height, n,
                       [&](idx_t, T yk, T dyk) { s += sm_backward_term<T, MODE>(yk, dyk); });
        }
        s = sm_column_reduce(SmSum<T>{s}, width, scratch).s;
        if (valid) {
            sm_stream2(y + start, dy + start, inner, ty, height, n, [&](idx_t k, T yk, T dyk) {
                dx[start + k * inner] = sm_backward_out<T, MODE>(yk, dyk, s);
            });
        }
    }
}

// Rows, read once, laid out as in sm_rows_cached_forward: registers hold dy (logp, whose y is
// read once, in the write pass) or dy and y (softmax, half as many elements each).
template <typename T, int MODE>
__device__ inline void sm_rows_cached_backward(const T* __restrict__ y, const T* __restrict__ dy,
                                               T* __restrict__ dx, idx_t rows, idx_t n,
                                               int group, SmSum<T>* scratch) {
    constexpr int V = MODE == SM_LOGP ? SoftmaxRowCache<T>::V : SoftmaxRowCache<T>::V / 2;
    const int per_block = blockDim.x / group, lane = threadIdx.x % group;
    const int chunk = 32 * (int)((n + group - 1) / group), start = (lane >> 5) * chunk;
    const int first = start + (lane & 31);
    const int count = knetc_min(chunk, (int)n - start) - (lane & 31);
    for (idx_t base = (idx_t)blockIdx.x * per_block; base < rows;
         base += (idx_t)gridDim.x * per_block) {
        const idx_t row = base + threadIdx.x / group;
        const int mine = row < rows ? count : 0;
        const idx_t off = row * n + first;
        T a[V], b[MODE == SM_LOGP ? 1 : V];
#pragma unroll
        for (int j = 0; j < V; ++j) {
            a[j] = 32 * j < mine ? dy[off + 32 * j] : T(0);
            if constexpr (MODE == SM_SOFTMAX) b[j] = 32 * j < mine ? y[off + 32 * j] : T(0);
        }
        T s = 0;
#pragma unroll
        for (int j = 0; j < V; ++j) {
            if constexpr (MODE == SM_LOGP)
                s += a[j];
            else
                s += a[j] * b[j];
        }
        s = sm_group_reduce(SmSum<T>{s}, group, scratch).s;
        if constexpr (MODE == SM_LOGP) {
#pragma unroll
            for (int j = 0; j < V; ++j)
                if (32 * j < mine) dx[off + 32 * j] = a[j] - exp(y[off + 32 * j]) * s;
        } else {
#pragma unroll
            for (int j = 0; j < V; ++j)
                if (32 * j < mine) dx[off + 32 * j] = b[j] * (a[j] - s);
        }
    }
}

template <typename T, int MODE>
__device__ inline void sm_rows_streamed_backward(const T* __restrict__ y,
                                                 const T* __restrict__ dy, T* __restrict__ dx,
                                                 idx_t rows, idx_t n, int group,
                                                 SmSum<T>* scratch) {
    const int per_block = blockDim.x / group, lane = threadIdx.x % group;
    for (idx_t base = (idx_t)blockIdx.x * per_block; base < rows;
         base += (idx_t)gridDim.x * per_block) {
        const idx_t row = base + threadIdx.x / group;
        const bool valid = row < rows;
        const idx_t off = row * n;
        T s = 0;
        if (valid) {
            sm_stream2(y + off, dy + off, 1, lane, group, n,
                       [&](idx_t, T yk, T dyk) { s += sm_backward_term<T, MODE>(yk, dyk); });
        }
        s = sm_group_reduce(SmSum<T>{s}, group, scratch).s;
        if (valid) {
            sm_stream2(y + off, dy + off, 1, lane, group, n, [&](idx_t k, T yk, T dyk) {
                dx[off + k] = sm_backward_out<T, MODE>(yk, dyk, s);
            });
        }
    }
}

template <typename T, int MODE>
__device__ inline void sm_rows_backward(const T* __restrict__ y, const T* __restrict__ dy,
                                        T* __restrict__ dx, idx_t rows, idx_t n, int group,
                                        SmSum<T>* scratch) {
    constexpr int V = MODE == SM_LOGP ? SoftmaxRowCache<T>::V : SoftmaxRowCache<T>::V / 2;
    if (group % 32 == 0 && n <= (idx_t)group * V)
        sm_rows_cached_backward<T, MODE>(y, dy, dx, rows, n, group, scratch);
    else
        sm_rows_streamed_backward<T, MODE>(y, dy, dx, rows, n, group, scratch);
}

// Sum of one value per thread over the block, in every thread (blockDim.x a multiple of 32).
template <typename T> __device__ inline T sm_block_sum(T v, SmSum<T>* scratch) {
    return sm_group_reduce(SmSum<T>{v}, (int)blockDim.x, scratch).s;
}

// Shared memory for the partials, 8-byte aligned (the partials hold 4- and 8-byte fields).
#define SM_COLUMN_SCRATCH(R) \
    __shared__ long long scratch_bytes[SOFTMAX_SCRATCH_BYTES / 8]; \
    R* scratch = reinterpret_cast<R*>(scratch_bytes)
#define SM_ROW_SCRATCH __shared__ long long scratch_bytes[SOFTMAX_ROWS_SCRATCH_BYTES / 8]

// ---- kernels ----

// y = log-softmax of each line of x: (x - max) - log(sum(exp(x - max))).
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void logp_forward(
    const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t n, idx_t inner, int width) {
    SM_COLUMN_SCRATCH(SmStats<T>);
    sm_columns_forward<T, SM_LOGP>(x, nullptr, T(1), y, outer, n, inner, width, scratch);
}

template <typename T>
__global__ __launch_bounds__(SOFTMAX_ROWS_MAX_BLOCK, 1) void logp_rows_forward(
    const T* __restrict__ x, T* __restrict__ y, idx_t rows, idx_t n, int group) {
    SM_ROW_SCRATCH;
    sm_rows_forward<T, SM_LOGP>(x, nullptr, T(1), y, rows, n, group, scratch_bytes);
}

// dx = dy - exp(y) * sum(dy) along each line, y the saved log-softmax.
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void logp_backward(
    const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx, idx_t outer, idx_t n,
    idx_t inner, int width) {
    SM_COLUMN_SCRATCH(SmSum<T>);
    sm_columns_backward<T, SM_LOGP>(y, dy, dx, outer, n, inner, width, scratch);
}

template <typename T>
__global__ __launch_bounds__(SOFTMAX_ROWS_MAX_BLOCK, 1) void logp_rows_backward(
    const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx, idx_t rows, idx_t n,
    int group) {
    SM_ROW_SCRATCH;
    sm_rows_backward<T, SM_LOGP>(y, dy, dx, rows, n, group,
                                 reinterpret_cast<SmSum<T>*>(scratch_bytes));
}

// y = softmax of each line of x: exp(x - max) / sum(exp(x - max)).
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void softmax_forward(
    const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t n, idx_t inner, int width) {
    SM_COLUMN_SCRATCH(SmStats<T>);
    sm_columns_forward<T, SM_SOFTMAX>(x, nullptr, T(1), y, outer, n, inner, width, scratch);
}

template <typename T>
__global__ __launch_bounds__(SOFTMAX_ROWS_MAX_BLOCK, 1) void softmax_rows_forward(
    const T* __restrict__ x, T* __restrict__ y, idx_t rows, idx_t n, int group) {
    SM_ROW_SCRATCH;
    sm_rows_forward<T, SM_SOFTMAX>(x, nullptr, T(1), y, rows, n, group, scratch_bytes);
}

// dx = y * (dy - sum(dy * y)) along each line, y the saved softmax.
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void softmax_backward(
    const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx, idx_t outer, idx_t n,
    idx_t inner, int width) {
    SM_COLUMN_SCRATCH(SmSum<T>);
    sm_columns_backward<T, SM_SOFTMAX>(y, dy, dx, outer, n, inner, width, scratch);
}

template <typename T>
__global__ __launch_bounds__(SOFTMAX_ROWS_MAX_BLOCK, 1) void softmax_rows_backward(
    const T* __restrict__ y, const T* __restrict__ dy, T* __restrict__ dx, idx_t rows, idx_t n,
    int group) {
    SM_ROW_SCRATCH;
    sm_rows_backward<T, SM_SOFTMAX>(y, dy, dx, rows, n, group,
                                    reinterpret_cast<SmSum<T>*>(scratch_bytes));
}

// dx = (softmax(x) - onehot(labels)) * g along each line, g = scale * (dy_given ? dy[0] : 1):
// the gradient of nll(x, labels) for an upstream gradient dy (a device scalar or, folded into
// scale, a host number).
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void nll_backward(
    const T* __restrict__ x, const idx_t* __restrict__ labels, const T* __restrict__ dy,
    T* __restrict__ dx, idx_t outer, idx_t n, idx_t inner, int width, T scale, int dy_given) {
    SM_COLUMN_SCRATCH(SmStats<T>);
    const T g = dy_given ? scale * dy[0] : scale;
    sm_columns_forward<T, SM_NLL>(x, labels, g, dx, outer, n, inner, width, scratch);
}

template <typename T>
__global__ __launch_bounds__(SOFTMAX_ROWS_MAX_BLOCK, 1) void nll_rows_backward(
    const T* __restrict__ x, const idx_t* __restrict__ labels, const T* __restrict__ dy,
    T* __restrict__ dx, idx_t rows, idx_t n, int group, T scale, int dy_given) {
    SM_ROW_SCRATCH;
    const T g = dy_given ? scale * dy[0] : scale;
    sm_rows_forward<T, SM_NLL>(x, labels, g, dx, rows, n, group, scratch_bytes);
}

// y[line] = max + log(sum(exp(x - max))), one read of x.
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void logsumexp_forward(
    const T* __restrict__ x, T* __restrict__ y, idx_t outer, idx_t n, idx_t inner, int group) {
    SM_COLUMN_SCRATCH(SmStats<T>);
    sm_lines(x, outer, n, inner, group, SmStats<T>{sm_ninf<T>(), T(0)}, scratch,
             [&](idx_t line, const SmStats<T>& r) { y[line] = r.m + log(r.s); });
}

// dx = dy[line] * exp(x - y[line]) for y = logsumexp(x) (elementwise; size = outer * n * inner).
template <typename T>
__global__ void logsumexp_backward(const T* __restrict__ x, const T* __restrict__ y,
                                   const T* __restrict__ dy, T* __restrict__ dx, idx_t size,
                                   idx_t n, idx_t inner) {
    GRID_STRIDE_LOOP(e, size) {
        const idx_t q = e / inner, i = e - q * inner;
        const idx_t line = (q / n) * inner + i;
        dx[e] = dy[line] * exp(x[e] - y[line]);
    }
}

// partial[blockIdx.x] = sum over this block's lines of logsumexp - x[label]; a label outside
// [0, n) gives nan. scaledsum_forward then takes the mean.
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void nll_forward(
    const T* __restrict__ x, const idx_t* __restrict__ labels, T* __restrict__ partial,
    idx_t outer, idx_t n, idx_t inner, int group) {
    SM_COLUMN_SCRATCH(SmStats<T>);
    T total = 0;
    sm_lines(x, outer, n, inner, group, SmStats<T>{sm_ninf<T>(), T(0)}, scratch,
             [&](idx_t line, const SmStats<T>& r) {
                 const idx_t label = labels[line], o = line / inner, i = line - o * inner;
                 const T picked = label >= 0 && label < n ? x[(o * n + label) * inner + i]
                                                          : sm_nan<T>();
                 total += (r.m + log(r.s)) - picked;
             });
    total = sm_block_sum(total, reinterpret_cast<SmSum<T>*>(scratch_bytes));
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// partial[blockIdx.x] = how many of this block's lines have their first argmax at the label.
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void accuracy_forward(
    const T* __restrict__ x, const idx_t* __restrict__ labels, T* __restrict__ partial,
    idx_t outer, idx_t n, idx_t inner, int group) {
    SM_COLUMN_SCRATCH(SmArgmax<T>);
    T hits = 0;
    sm_lines(x, outer, n, inner, group, SmArgmax<T>{sm_ninf<T>(), n}, scratch,
             [&](idx_t line, const SmArgmax<T>& r) { hits += r.k == labels[line] ? T(1) : T(0); });
    hits = sm_block_sum(hits, reinterpret_cast<SmSum<T>*>(scratch_bytes));
    if (threadIdx.x == 0) partial[blockIdx.x] = hits;
}

// out[0] = scale * sum(x[0..size)), summed in double by block 0 (the mean of the partials).
template <typename T>
__global__ __launch_bounds__(SOFTMAX_MAX_BLOCK, 1) void scaledsum_forward(
    const T* __restrict__ x, T* __restrict__ out, idx_t size, T scale) {
    SM_COLUMN_SCRATCH(SmSum<double>);
    if (blockIdx.x != 0) return;
    double total = 0;
    for (idx_t i = threadIdx.x; i < size; i += blockDim.x) total += (double)x[i];
    total = sm_block_sum(total, scratch);
    if (threadIdx.x == 0) out[0] = (T)(total * (double)scale);
}
