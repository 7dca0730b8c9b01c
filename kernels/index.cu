// Indexing kernels: gather and scatter(-add) through precomputed element offsets, strided
// assignment into views (setitem, concatenate), index and boolean-mask offset computation,
// and the dropout mask drawn from a counter-based hash.
//
// An advanced index x[..., idx, ...] is split (in knetc/cuda/index.py) into the basic part,
// a strided view of x whose non-indexed "rest" dims have shape n and strides s, and one
// element offset per position b of the broadcast index shape (`offsets[b]`, nb of them).
// Result element i (row-major over rest[:split] + index shape + rest[split:]) then reads
//     x[offset_of(rest index of i) + offsets[b of i]],   post = size of rest[split:].
#include "common.cuh"

// Offset of row-major index i over sizes n[0..ndim) with strides s. I is the index type:
// 32-bit divisions where the whole launch fits (far cheaper than 64-bit ones on a GPU).
// The loop is unrolled over the fixed maximum so n and s stay in registers.
template <typename I>
__device__ inline idx_t offset_of(I i, int ndim, const idx_t* n, const idx_t* s) {
    idx_t offset = 0;
#pragma unroll
    for (int d = KNETC_MAXDIM - 1; d > 0; --d) {
        if (d < ndim) {
            I size = (I)n[d];
            I q = i / size;
            offset += (idx_t)(i - q * size) * s[d];
            i = q;
        }
    }
    return offset + (idx_t)i * s[0];
}

// Offsets of row-major index i in two operands of one shape n (strides a and b), sharing the
// divisions.
template <typename I>
__device__ inline void offsets_of(I i, int ndim, const idx_t* n, const idx_t* a, const idx_t* b,
                                  idx_t& oa, idx_t& ob) {
    oa = 0;
    ob = 0;
#pragma unroll
    for (int d = KNETC_MAXDIM - 1; d > 0; --d) {
        if (d < ndim) {
            I size = (I)n[d];
            I q = i / size;
            idx_t k = (idx_t)(i - q * size);
            oa += k * a[d];
            ob += k * b[d];
            i = q;
        }
    }
    oa += (idx_t)i * a[0];
    ob += (idx_t)i * b[0];
}

// Whether unsigned 32-bit loop indices are safe for `size` items: i + grid stride must not wrap
// (the grid stride is below 2^31 since grids are capped at 65535 blocks of <= 1024 threads).
__device__ inline bool fits32(idx_t size) { return size <= 0x7fffffffLL; }

#define KNETC_LOOP(I, i, n)                                                          \
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (I)(n);                 \
         i += (I)blockDim.x * gridDim.x)

// Position b in the index shape and the rest-dims index r of result element i.
template <typename I>
__device__ inline void split_index(I i, I nb, I post, I& b, I& r) {
    I q = i / post;
    I inner = i - q * post;
    I outer = q / nb;
    b = q - outer * nb;
    r = outer * post + inner;
}

template <typename I, typename T>
__device__ inline void gather_loop(const T* __restrict__ x, const idx_t* __restrict__ offsets,
                                   T* __restrict__ y, idx_t size, idx_t nb, idx_t post,
                                   int ndim, const idx_t* n, const idx_t* s) {
    KNETC_LOOP(I, i, size) {
        I b, r;
        split_index<I>(i, (I)nb, (I)post, b, r);
        y[i] = x[offset_of<I>(r, ndim, n, s) + offsets[b]];
    }
}

// y = x[index]: y contiguous (result shape), x the basic view, offsets per index position.
template <typename T>
__global__ void gather_forward(const T* __restrict__ x, const idx_t* __restrict__ offsets,
                               T* __restrict__ y, idx_t size, idx_t nb, idx_t post,
                               int dim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(s);
    if (fits32(size))
        gather_loop<unsigned>(x, offsets, y, size, nb, post, dim, n, s);
    else
        gather_loop<idx_t>(x, offsets, y, size, nb, post, dim, n, s);
}

template <typename I, typename T>
__device__ inline void scatter_loop(const T* __restrict__ g, const idx_t* __restrict__ offsets,
                                    T* __restrict__ dx, idx_t size, idx_t nb, idx_t post,
                                    int ndim, const idx_t* n, const idx_t* s, int gdim,
                                    const idx_t* gn, const idx_t* gs, T scalar, int mode) {
    KNETC_LOOP(I, i, size) {
        I b, r;
        split_index<I>(i, (I)nb, (I)post, b, r);
        T v = mode & 2 ? scalar : g[offset_of<I>(i, gdim, gn, gs)];
        T* target = dx + offset_of<I>(r, ndim, n, s) + offsets[b];
        if (mode & 1)
            atomicAdd(target, v);
        else
            *target = v;
    }
}

// The adjoint of gather: dx[index] += g (mode 1), with repeated positions accumulating through
// atomicAdd, so float sums of repeats may differ in the last bits from run to run. Also serves
// setitem: mode 0 assigns g (the last of repeated writes wins, in no defined order), modes 2
// and 3 assign or add `scalar` (g is then not read). g is read with its own (broadcast) layout
// over the result shape; dx is the basic view of the target.
template <typename T>
__global__ void gather_backward(const T* __restrict__ g, const idx_t* __restrict__ offsets,
                                T* __restrict__ dx, idx_t size, idx_t nb, idx_t post,
                                int dim, KNETC_DIMS(n), KNETC_DIMS(s), int gdim, KNETC_DIMS(gn),
                                KNETC_DIMS(gs),
                                T scalar, int mode) {
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(s);
    KNETC_DIM_ARRAY(gn);
    KNETC_DIM_ARRAY(gs);
    if (fits32(size))
        scatter_loop<unsigned>(g, offsets, dx, size, nb, post, dim, n, s, gdim, gn, gs, scalar,
                               mode);
    else
        scatter_loop<idx_t>(g, offsets, dx, size, nb, post, dim, n, s, gdim, gn, gs, scalar,
                            mode);
}

template <typename I, typename T>
__device__ inline void assign_loop(const T* __restrict__ v, T* __restrict__ out, idx_t size,
                                   int ndim, const idx_t* n, const idx_t* vs, const idx_t* os,
                                   T scalar, int mode) {
    KNETC_LOOP(I, i, size) {
        idx_t vo, oo;
        offsets_of<I>(i, ndim, n, vs, os, vo, oo);
        T value = mode & 2 ? scalar : v[vo];
        out[oo] = mode & 1 ? out[oo] + value : value;
    }
}

// out = v (mode 0), out += v (1), out = scalar (2), out += scalar (3) over a strided view `out`
// of shape n; v is read with strides vs (0 on broadcast dims) and not at all in modes 2 and 3.
// Used by basic setitem, the adjoint of basic indexing, concatenate/stack and zero fills.
template <typename T>
__global__ void assign_forward(const T* __restrict__ v, T* __restrict__ out, idx_t size,
                               int dim, KNETC_DIMS(n), KNETC_DIMS(vs), KNETC_DIMS(os),
                               T scalar,
                               int mode) {
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(vs);
    KNETC_DIM_ARRAY(os);
    if (fits32(size))
        assign_loop<unsigned>(v, out, size, dim, n, vs, os, scalar, mode);
    else
        assign_loop<idx_t>(v, out, size, dim, n, vs, os, scalar, mode);
}

// offsets[b] (+)= wrap(idx[b]) * stride for an int64 index array on the device, read with its
// layout broadcast to the index shape (nb positions). Negative indices count from the end;
// out-of-range ones are clamped (the device cannot raise, and clamping keeps every access
// inside the array). T is unused: the kernel moves indices, not values.
template <typename T>
__global__ void index_offsets_forward(const idx_t* __restrict__ idx, idx_t* __restrict__ offsets,
                                      idx_t nb, idx_t length, idx_t stride, int accumulate,
                                      int dim, KNETC_DIMS(n), KNETC_DIMS(s)) {
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(s);
    GRID_STRIDE_LOOP(b, nb) {
        idx_t j = idx[offset_of<idx_t>(b, dim, n, s)];
        j = j < 0 ? j + length : j;
        j = knetc_min(knetc_max(j, (idx_t)0), length - 1);
        offsets[b] = (accumulate ? offsets[b] : 0) + j * stride;
    }
}

// Boolean masks on the device, in two passes: mask_count_forward counts the true elements of
// each block's chunk [b * chunk, (b + 1) * chunk) (row-major over the mask's shape n, strides
// ms), the host turns the counts into start positions, and mask_offsets_forward writes, in
// row-major order, the view offset (strides xs) of every true element.
template <typename T>
__global__ void mask_count_forward(const unsigned char* __restrict__ mask,
                                   idx_t* __restrict__ counts, idx_t size, idx_t chunk,
                                   int dim, KNETC_DIMS(n), KNETC_DIMS(ms)) {
    __shared__ idx_t partial[32];
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(ms);
    const idx_t begin = (idx_t)blockIdx.x * chunk, end = knetc_min(begin + chunk, size);
    idx_t count = 0;
    for (idx_t f = begin + threadIdx.x; f < end; f += blockDim.x)
        count += mask[offset_of<idx_t>(f, dim, n, ms)] != 0;
    count = warp_sum(count);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = count;
    __syncthreads();
    if (threadIdx.x < 32) {
        count = threadIdx.x < blockDim.x / 32 ? partial[threadIdx.x] : 0;
        count = warp_sum(count);
        if (threadIdx.x == 0) counts[blockIdx.x] = count;
    }
}

// Inclusive prefix sum of v over the lanes of a warp.
__device__ inline int warp_scan(int v) {
    const int lane = threadIdx.x % 32;
    for (int d = 1; d < 32; d <<= 1) {
        int u = __shfl_up_sync(0xffffffffu, v, d);
        if (lane >= d) v += u;
    }
    return v;
}

template <typename T>
__global__ void mask_offsets_forward(const unsigned char* __restrict__ mask,
                                     const idx_t* __restrict__ starts,
                                     idx_t* __restrict__ offsets, idx_t size, idx_t chunk,
                                     int accumulate, int dim, KNETC_DIMS(n), KNETC_DIMS(ms),
                                     KNETC_DIMS(xs)) {
    __shared__ int warp_total[32];
    KNETC_DIM_ARRAY(n);
    KNETC_DIM_ARRAY(ms);
    KNETC_DIM_ARRAY(xs);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    const idx_t begin = (idx_t)blockIdx.x * chunk, end = knetc_min(begin + chunk, size);
    idx_t base = starts[blockIdx.x];
    // Tiles of blockDim elements, each compacted by a block-wide exclusive scan of its flags;
    // the loop bounds are the same for every thread of the block (it synchronises inside).
    for (idx_t tile = begin; tile < end; tile += blockDim.x) {
        const idx_t f = tile + threadIdx.x;
        const int flag = f < end && mask[offset_of<idx_t>(f, dim, n, ms)] != 0;
        const int within = warp_scan(flag);
        if (lane == 31) warp_total[warp] = within;
        __syncthreads();
        if (warp == 0) {
            int t = warp_scan(lane < warps ? warp_total[lane] : 0);
            __syncwarp();
            warp_total[lane] = t;  // now inclusive totals of warps 0..lane
        }
        __syncthreads();
        if (flag) {
            const idx_t at = base + (warp ? warp_total[warp - 1] : 0) + within - 1;
            const idx_t o = offset_of<idx_t>(f, dim, n, xs);
            offsets[at] = accumulate ? offsets[at] + o : o;
        }
        base += warp_total[warps - 1];
        __syncthreads();  // warp_total is rewritten by the next tile
    }
}

// 32-bit integer hash with full avalanche (every input bit flips each output bit with
// probability ~1/2); keyed twice, it is the counter-based generator behind dropout masks.
__device__ inline unsigned mix32(unsigned h) {
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

// mask[i] = scale where u_i >= p, else 0, with u_i uniform in [0, 1) (24 bits) computed from
// (seed, i) alone: any grid gives the same mask, and no generator state lives on the device.
template <typename T>
__global__ void dropout_mask_forward(T* __restrict__ mask, idx_t size, unsigned long long seed,
                                     T p, T scale) {
    const unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    GRID_STRIDE_LOOP(i, size) {
        unsigned h = mix32((unsigned)i ^ k0);
        h = mix32(h + k1 + 0x9e3779b9u * (unsigned)((unsigned long long)i >> 32));
        const T u = T(h >> 8) * T(5.9604644775390625e-08);  // 2^-24
        mask[i] = u >= p ? scale : T(0);
    }
}
