// Elementwise kernels: copies and fills, unary functions, binary ops with NumPy broadcasting,
// comparisons and logic on bool arrays, where, dtype casts, and the activations' backward
// forms from their saved output (Knet's reluback/sigmback/tanhback).
//
// One kernel per family of ops takes an op code (the numbers below, mirrored in
// knetc/cuda/elementwise.py). The contiguous kernels, and the strided ones when every operand
// is one merged dim, switch on it once, outside the element loop: each case runs its own copy
// of the loop with the op inlined. Broadcasting with index division switches per element
// instead (a uniform branch), so the index math is compiled once rather than once per op.
//
// Layouts. Contiguous kernels (unary_forward, binary_forward, binary_scalar_forward,
// fill_forward) read and write 16-byte vectors (4 floats / 2 doubles) when every pointer is
// 16-byte aligned, and finish the unaligned or leftover elements one at a time. Strided
// kernels take `ndim, n0..n5` and one block of element strides per operand (0 on broadcast
// dims; see knetc/cuda/layout.py::kernel_layout, which merges contiguous dims, so same-shape
// contiguous operands arrive as ndim == 1 and need no index division). Outputs are always
// contiguous. A scalar operand comes either by value (`va`/`vb`, with its bit set in
// `scalars`) or as a stride-0 array (a size-1 array on the device, read without a host copy).
#include "common.cuh"

// ---- op codes (keep in sync with knetc/cuda/elementwise.py) ----
// unary: y = f(x), p and q are the op's parameters (clip bounds)
#define OP_NEG 0
#define OP_ABS 1
#define OP_EXP 2
#define OP_LOG 3
#define OP_LOG1P 4
#define OP_EXPM1 5
#define OP_SQRT 6
#define OP_SQUARE 7
#define OP_TANH 8
#define OP_SIN 9
#define OP_COS 10
#define OP_SIGN 11
#define OP_RECIPROCAL 12
#define OP_SIGM 13
#define OP_RELU 14
#define OP_CLIP 15
#define OP_SINH 16
#define OP_COSH 17
#define OP_TAN 18
#define OP_ARCTAN 19
#define OP_FLOOR 20
#define OP_CEIL 21
#define OP_IDENTITY 22
// binary: z = f(a, b); the *_BACK ops take (a, b) = (saved output y, upstream gradient dy)
#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3
#define OP_POW 4
#define OP_MAX 5
#define OP_MIN 6
#define OP_RELU_BACK 7
#define OP_SIGM_BACK 8
#define OP_TANH_BACK 9
// comparisons: bool z = a ? b
#define OP_GT 0
#define OP_GE 1
#define OP_LT 2
#define OP_LE 3
#define OP_EQ 4
#define OP_NE 5
// logic on bool arrays
#define OP_AND 0
#define OP_OR 1
#define OP_XOR 2
#define OP_NOT 3
#define OP_BOOL 4

// ---- the ops ----

// Marks an op whose arithmetic, not memory, bounds it (trigonometric, pow): the contiguous
// loops run it one element at a time, since vector loads would not speed it up and its
// unrolled copies would raise the register count (so lower the occupancy) of the whole kernel.
template <typename F> struct ScalarOnly {
    F f;
    template <typename... A> __device__ auto operator()(A... a) const { return f(a...); }
};
template <typename F> __device__ inline ScalarOnly<F> scalar_only(F f) { return {f}; }

// g, marked ScalarOnly when f is (for a function g built around f).
template <typename F, typename G> __device__ inline G like(F, G g) { return g; }
template <typename F, typename G> __device__ inline ScalarOnly<G> like(ScalarOnly<F>, G g) {
    return {g};
}

// Calls run(f) with f the unary function `op` (one inlined instantiation per op).
template <typename T, typename Run>
__device__ inline void with_unary(int op, T p, T q, Run run) {
    switch (op) {
    case OP_NEG: run([](T x) { return -x; }); break;
    case OP_ABS: run([](T x) { return fabs(x); }); break;
    case OP_EXP: run([](T x) { return exp(x); }); break;
    case OP_LOG: run([](T x) { return log(x); }); break;
    case OP_LOG1P: run([](T x) { return log1p(x); }); break;
    case OP_EXPM1: run([](T x) { return expm1(x); }); break;
    case OP_SQRT: run([](T x) { return sqrt(x); }); break;
    case OP_SQUARE: run([](T x) { return x * x; }); break;
    case OP_TANH: run([](T x) { return tanh(x); }); break;
    case OP_SIN: run(scalar_only([](T x) { return sin(x); })); break;
    case OP_COS: run(scalar_only([](T x) { return cos(x); })); break;
    case OP_SIGN: run([](T x) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x); }); break;
    case OP_RECIPROCAL: run([](T x) { return T(1) / x; }); break;
    case OP_SIGM:  // exp(-|x|) is in (0, 1]: neither branch overflows
        run([](T x) {
            T e = exp(-fabs(x));
            T r = T(1) / (T(1) + e);
            return x >= T(0) ? r : e * r;
        });
        break;
    case OP_RELU: run([](T x) { return x > T(0) ? x : (x == x ? T(0) : x); }); break;
    case OP_CLIP:  // min(max(x, p), q) as NumPy: NaN stays NaN, q wins when p > q
        run([p, q](T x) {
            const T t = x < p ? p : x;
            return t > q ? q : t;
        });
        break;
    case OP_SINH: run(scalar_only([](T x) { return sinh(x); })); break;
    case OP_COSH: run(scalar_only([](T x) { return cosh(x); })); break;
    case OP_TAN: run(scalar_only([](T x) { return tan(x); })); break;
    case OP_ARCTAN: run(scalar_only([](T x) { return atan(x); })); break;
    case OP_FLOOR: run([](T x) { return floor(x); }); break;
    case OP_CEIL: run([](T x) { return ceil(x); }); break;
    default: run([](T x) { return x; }); break;  // OP_IDENTITY
    }
}

// Calls run(f) with f the binary function `op`. maximum/minimum propagate NaN like NumPy.
template <typename T, typename Run>
__device__ inline void with_binary(int op, Run run) {
    switch (op) {
    case OP_ADD: run([](T a, T b) { return a + b; }); break;
    case OP_SUB: run([](T a, T b) { return a - b; }); break;
    case OP_MUL: run([](T a, T b) { return a * b; }); break;
    case OP_DIV: run([](T a, T b) { return a / b; }); break;
    case OP_POW: run(scalar_only([](T a, T b) { return pow(a, b); })); break;
    case OP_MAX: run([](T a, T b) { return (a > b || a != a) ? a : b; }); break;
    case OP_MIN: run([](T a, T b) { return (a < b || a != a) ? a : b; }); break;
    case OP_RELU_BACK: run([](T y, T dy) { return y > T(0) ? dy : T(0); }); break;
    case OP_SIGM_BACK: run([](T y, T dy) { return dy * y * (T(1) - y); }); break;
    default: run([](T y, T dy) { return dy * (T(1) - y * y); }); break;  // OP_TANH_BACK
    }
}

template <typename T, typename Run>
__device__ inline void with_compare(int op, Run run) {
    switch (op) {
    case OP_GT: run([](T a, T b) { return a > b; }); break;
    case OP_GE: run([](T a, T b) { return a >= b; }); break;
    case OP_LT: run([](T a, T b) { return a < b; }); break;
    case OP_LE: run([](T a, T b) { return a <= b; }); break;
    case OP_EQ: run([](T a, T b) { return a == b; }); break;
    default: run([](T a, T b) { return a != b; }); break;  // OP_NE
    }
}

template <typename Run>
__device__ inline void with_logical(int op, Run run) {
    switch (op) {
    case OP_AND: run([](bool a, bool b) { return a && b; }); break;
    case OP_OR: run([](bool a, bool b) { return a || b; }); break;
    case OP_XOR: run([](bool a, bool b) { return a != b; }); break;
    case OP_NOT: run([](bool a, bool) { return !a; }); break;
    default: run([](bool a, bool) { return a; }); break;  // OP_BOOL: a copy
    }
}

// ---- contiguous loops, 16-byte vectors where aligned ----

template <typename T> struct alignas(16) Vec16 {
    T v[16 / sizeof(T)];
};

__device__ inline bool aligned16(const void* p) {
    return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

__device__ inline idx_t thread_index() { return (idx_t)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ inline idx_t thread_count() { return (idx_t)blockDim.x * gridDim.x; }

// y[i] = f(x[i]) for i < size.
template <typename T, typename F>
__device__ inline void map1(const T* __restrict__ x, T* __restrict__ y, idx_t size, F f) {
    constexpr int K = 16 / sizeof(T);
    const idx_t nvec = aligned16(x) && aligned16(y) ? size / K : 0;
    const Vec16<T>* xv = reinterpret_cast<const Vec16<T>*>(x);
    Vec16<T>* yv = reinterpret_cast<Vec16<T>*>(y);
    GRID_STRIDE_LOOP(i, nvec) {
        Vec16<T> v = xv[i];
#pragma unroll
        for (int k = 0; k < K; ++k) v.v[k] = f(v.v[k]);
        yv[i] = v;
    }
    for (idx_t i = nvec * K + thread_index(); i < size; i += thread_count()) y[i] = f(x[i]);
}

template <typename T, typename F>
__device__ inline void map1(const T* __restrict__ x, T* __restrict__ y, idx_t size,
                            ScalarOnly<F> f) {
    GRID_STRIDE_LOOP(i, size) y[i] = f(x[i]);
}

// z[i] = f(a[i], b[i]) for i < size.
template <typename T, typename F>
__device__ inline void map2(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ z,
                            idx_t size, F f) {
    constexpr int K = 16 / sizeof(T);
    const idx_t nvec = aligned16(a) && aligned16(b) && aligned16(z) ? size / K : 0;
    const Vec16<T>* av = reinterpret_cast<const Vec16<T>*>(a);
    const Vec16<T>* bv = reinterpret_cast<const Vec16<T>*>(b);
    Vec16<T>* zv = reinterpret_cast<Vec16<T>*>(z);
    GRID_STRIDE_LOOP(i, nvec) {
        Vec16<T> u = av[i];
        const Vec16<T> w = bv[i];
#pragma unroll
        for (int k = 0; k < K; ++k) u.v[k] = f(u.v[k], w.v[k]);
        zv[i] = u;
    }
    for (idx_t i = nvec * K + thread_index(); i < size; i += thread_count())
        z[i] = f(a[i], b[i]);
}

template <typename T, typename F>
__device__ inline void map2(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ z,
                            idx_t size, ScalarOnly<F> f) {
    GRID_STRIDE_LOOP(i, size) z[i] = f(a[i], b[i]);
}

// ---- strided loops: element offsets of K operands from a row-major output index ----

// off[k] = offset of element i in operand k. Dim 0 needs no division (the quotient left is
// already below n[0]); indices below 2^31 use 32-bit division, several times cheaper.
template <int K>
__device__ inline void strided_offsets(idx_t i, bool narrow, int ndim, const idx_t* n,
                                       const idx_t (&s)[K][KNETC_MAXDIM], idx_t (&off)[K]) {
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] = 0;
    if (narrow) {
        unsigned r = (unsigned)i;
#pragma unroll
        for (int d = KNETC_MAXDIM - 1; d > 0; --d) {
            if (d < ndim) {
                const unsigned nd = (unsigned)n[d];
                const unsigned q = r / nd;
                const idx_t j = (idx_t)(r - q * nd);
#pragma unroll
                for (int k = 0; k < K; ++k) off[k] += j * s[k][d];
                r = q;
            }
        }
        i = (idx_t)r;
    } else {
#pragma unroll
        for (int d = KNETC_MAXDIM - 1; d > 0; --d) {
            if (d < ndim) {
                const idx_t q = i / n[d];
                const idx_t j = i - q * n[d];
#pragma unroll
                for (int k = 0; k < K; ++k) off[k] += j * s[k][d];
                i = q;
            }
        }
    }
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += i * s[k][0];
}

// body(i, off) for every output index i < size, with off[k] the element offset in operand k.
template <int K, typename Body>
__device__ inline void strided_loop(idx_t size, int ndim, const idx_t* n,
                                    const idx_t (&s)[K][KNETC_MAXDIM], Body body) {
    if (ndim == 1) {  // one merged dim: offsets are i * stride, no division
        GRID_STRIDE_LOOP(i, size) {
            idx_t off[K];
#pragma unroll
            for (int k = 0; k < K; ++k) off[k] = i * s[k][0];
            body(i, off);
        }
    } else {
        const bool narrow = size <= 0x7fffffffLL;
        GRID_STRIDE_LOOP(i, size) {
            idx_t off[K];
            strided_offsets<K>(i, narrow, ndim, n, s, off);
            body(i, off);
        }
    }
}

// body(i, off, f) for every output index i < size, with f the op that `with` (a with_* dispatch)
// picks. With one merged dim (ndim == 1: contiguous operands and scalars, the common case) the
// dispatch is outside the loop, one loop per op; otherwise it is inside, so the index math is
// compiled once, not once per op (a per-element branch on a uniform op code costs little
// beside the division).
template <int K, typename With, typename Body>
__device__ inline void strided_map(idx_t size, int ndim, const idx_t* n,
                                   const idx_t (&s)[K][KNETC_MAXDIM], With with, Body body) {
    if (ndim == 1) {
        with([&](auto f) {
            GRID_STRIDE_LOOP(i, size) {
                idx_t off[K];
#pragma unroll
                for (int k = 0; k < K; ++k) off[k] = i * s[k][0];
                body(i, off, f);
            }
        });
    } else {
        const bool narrow = size <= 0x7fffffffLL;
        GRID_STRIDE_LOOP(i, size) {
            idx_t off[K];
            strided_offsets<K>(i, narrow, ndim, n, s, off);
            with([&](auto f) { body(i, off, f); });
        }
    }
}


// ---- kernels ----

// y = x for an x of any strides (shape n[0..ndim), element strides s); y is contiguous.
template <typename T>
__global__ void copy_forward(const T* __restrict__ x, T* __restrict__ y, idx_t size, int ndim,
                             KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = x[off[0]]; });
}

// y[:] = value (contiguous y).
template <typename T>
__global__ void fill_forward(T* __restrict__ y, idx_t size, T value) {
    constexpr int K = 16 / sizeof(T);
    const idx_t nvec = aligned16(y) ? size / K : 0;
    Vec16<T> v;
#pragma unroll
    for (int k = 0; k < K; ++k) v.v[k] = value;
    Vec16<T>* yv = reinterpret_cast<Vec16<T>*>(y);
    GRID_STRIDE_LOOP(i, nvec) yv[i] = v;
    for (idx_t i = nvec * K + thread_index(); i < size; i += thread_count()) y[i] = value;
}

// y[:] = value != 0 (contiguous bool y; T is unused).
template <typename T>
__global__ void fill_bool_forward(bool* __restrict__ y, idx_t size, int value) {
    GRID_STRIDE_LOOP(i, size) y[i] = value != 0;
}

// y = f(x), x and y contiguous; p, q are the op's parameters (clip bounds).
template <typename T>
__global__ void unary_forward(const T* __restrict__ x, T* __restrict__ y, idx_t size, T p, T q,
                              int op) {
    with_unary<T>(op, p, q, [&](auto f) { map1(x, y, size, f); });
}

// y = f(x), x of any strides, y contiguous.
template <typename T>
__global__ void unary_strided_forward(const T* __restrict__ x, T* __restrict__ y, idx_t size, T p,
                                      T q, int op, int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    // One loop, the op dispatched per element: a copy of the loop per op would multiply the
    // code of the transcendental functions (ndim == 1 needs no division here either).
    const bool narrow = size <= 0x7fffffffLL;
    GRID_STRIDE_LOOP(i, size) {
        idx_t off[1];
        strided_offsets<1>(i, narrow, ndim, n, s, off);
        const T v = x[off[0]];
        with_unary<T>(op, p, q, [&](auto f) { y[i] = f(v); });
    }
}

// z = f(a, b), all three contiguous and of one shape.
template <typename T>
__global__ void binary_forward(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ z,
                               idx_t size, int op) {
    with_binary<T>(op, [&](auto f) { map2(a, b, z, size, f); });
}

// z = f(x, s), or f(s, x) when mode & 1; s is `value`, or *sp (a size-1 device array) when
// mode & 2. x and z contiguous.
template <typename T>
__global__ void binary_scalar_forward(const T* __restrict__ x, const T* __restrict__ sp,
                                      T* __restrict__ z, idx_t size, T value, int op, int mode) {
    const T s = (mode & 2) ? sp[0] : value;
    with_binary<T>(op, [&](auto f) {
        if (mode & 1)
            map1(x, z, size, like(f, [&](T v) { return f(s, v); }));
        else
            map1(x, z, size, like(f, [&](T v) { return f(v, s); }));
    });
}

// z = f(a, b) broadcast; a (b) is the value va (vb) when scalars & 1 (& 2).
template <typename T>
__global__ void binary_strided_forward(const T* __restrict__ a, const T* __restrict__ b,
                                       T* __restrict__ z, idx_t size, T va, T vb, int scalars,
                                       int op, int ndim, KNETC_DIMS(n), KNETC_DIMS(sa),
                                       KNETC_DIMS(sb)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[2][KNETC_MAXDIM] = {KNETC_DIM_LIST(sa), KNETC_DIM_LIST(sb)};
    const bool ua = scalars & 1, ub = scalars & 2;
    strided_map<2>(
        size, ndim, n, s, [&](auto run) { with_binary<T>(op, run); },
        [&](idx_t i, const idx_t* off, auto f) {
            z[i] = f(ua ? va : a[off[0]], ub ? vb : b[off[1]]);
        });
}

// z = f(a, T(m)), or f(T(m), a) when swap: arithmetic with a bool array m (as 0/1), broadcast;
// a is the value va when scalars & 1.
template <typename T>
__global__ void binary_bool_forward(const T* __restrict__ a, const bool* __restrict__ m,
                                    T* __restrict__ z, idx_t size, T va, int scalars, int op,
                                    int swap, int ndim, KNETC_DIMS(n), KNETC_DIMS(sa),
                                    KNETC_DIMS(sm)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[2][KNETC_MAXDIM] = {KNETC_DIM_LIST(sa), KNETC_DIM_LIST(sm)};
    const bool ua = scalars & 1;
    strided_map<2>(
        size, ndim, n, s, [&](auto run) { with_binary<T>(op, run); },
        [&](idx_t i, const idx_t* off, auto f) {
            const T u = ua ? va : a[off[0]];
            const T v = m[off[1]] ? T(1) : T(0);
            z[i] = swap ? f(v, u) : f(u, v);
        });
}

// bool z = a ? b, broadcast; a (b) is the value va (vb) when scalars & 1 (& 2).
template <typename T>
__global__ void compare_forward(const T* __restrict__ a, const T* __restrict__ b,
                                bool* __restrict__ z, idx_t size, T va, T vb, int scalars, int op,
                                int ndim, KNETC_DIMS(n), KNETC_DIMS(sa), KNETC_DIMS(sb)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[2][KNETC_MAXDIM] = {KNETC_DIM_LIST(sa), KNETC_DIM_LIST(sb)};
    const bool ua = scalars & 1, ub = scalars & 2;
    strided_map<2>(
        size, ndim, n, s, [&](auto run) { with_compare<T>(op, run); },
        [&](idx_t i, const idx_t* off, auto f) {
            z[i] = f(ua ? va : a[off[0]], ub ? vb : b[off[1]]);
        });
}

// bool z = a (op) b on bool arrays, broadcast (OP_NOT and OP_BOOL read only a; T is unused).
template <typename T>
__global__ void logical_forward(const bool* __restrict__ a, const bool* __restrict__ b,
                                bool* __restrict__ z, idx_t size, int op, int ndim,
                                KNETC_DIMS(n), KNETC_DIMS(sa), KNETC_DIMS(sb)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[2][KNETC_MAXDIM] = {KNETC_DIM_LIST(sa), KNETC_DIM_LIST(sb)};
    strided_map<2>(
        size, ndim, n, s, [&](auto run) { with_logical(op, run); },
        [&](idx_t i, const idx_t* off, auto f) { z[i] = f(a[off[0]], b[off[1]]); });
}

// z = c ? a : b, broadcast; a (b) is the value va (vb) when scalars & 1 (& 2).
template <typename T>
__global__ void where_forward(const bool* __restrict__ c, const T* __restrict__ a,
                              const T* __restrict__ b, T* __restrict__ z, idx_t size, T va, T vb,
                              int scalars, int ndim, KNETC_DIMS(n), KNETC_DIMS(sc),
                              KNETC_DIMS(sa), KNETC_DIMS(sb)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[3][KNETC_MAXDIM] = {KNETC_DIM_LIST(sc), KNETC_DIM_LIST(sa),
                                      KNETC_DIM_LIST(sb)};
    const bool ua = scalars & 1, ub = scalars & 2;
    strided_loop<3>(size, ndim, n, s, [&](idx_t i, const idx_t* off) {
        z[i] = c[off[0]] ? (ua ? va : a[off[1]]) : (ub ? vb : b[off[2]]);
    });
}

// ---- casts: y (contiguous, T or bool) from x (float, double, int32, int64 or bool) of any
// strides ----

template <typename T>
__global__ void from_float_forward(const float* __restrict__ x, T* __restrict__ y, idx_t size,
                                   int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = T(x[off[0]]); });
}

template <typename T>
__global__ void from_double_forward(const double* __restrict__ x, T* __restrict__ y, idx_t size,
                                    int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = T(x[off[0]]); });
}

template <typename T>
__global__ void from_int_forward(const int* __restrict__ x, T* __restrict__ y, idx_t size, int ndim,
                                 KNETC_DIMS(n),
                                 KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = T(x[off[0]]); });
}

template <typename T>
__global__ void from_long_forward(const long long* __restrict__ x, T* __restrict__ y, idx_t size,
                                  int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = T(x[off[0]]); });
}

template <typename T>
__global__ void from_bool_forward(const bool* __restrict__ x, T* __restrict__ y, idx_t size,
                                  int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s,
                    [&](idx_t i, const idx_t* off) { y[i] = x[off[0]] ? T(1) : T(0); });
}

// bool y = x != 0 (NaN is true, as in NumPy).
template <typename T>
__global__ void to_bool_forward(const T* __restrict__ x, bool* __restrict__ y, idx_t size, int ndim,
                                KNETC_DIMS(n),
                                KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s,
                    [&](idx_t i, const idx_t* off) { y[i] = x[off[0]] != T(0); });
}

// Integer y = x truncated toward zero (as NumPy's astype; NaN and out-of-range values are
// the hardware's saturated conversion, where NumPy's are undefined too).
template <typename T>
__global__ void to_int_forward(const T* __restrict__ x, int* __restrict__ y, idx_t size, int ndim,
                               KNETC_DIMS(n),
                               KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s, [&](idx_t i, const idx_t* off) { y[i] = (int)x[off[0]]; });
}

template <typename T>
__global__ void to_long_forward(const T* __restrict__ x, long long* __restrict__ y, idx_t size,
                                int ndim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    const idx_t s[1][KNETC_MAXDIM] = {KNETC_DIM_LIST(s)};
    strided_loop<1>(size, ndim, n, s,
                    [&](idx_t i, const idx_t* off) { y[i] = (long long)x[off[0]]; });
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
