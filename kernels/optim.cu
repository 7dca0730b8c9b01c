// Optimizer updates: one fused kernel per optimizer that reads the gradient and updates the
// parameter and its state buffers in place, in one pass over memory; plus the global gradient
// norm for gclip (per-gradient block partials, then one tiny kernel). State buffers start as
// zeros from elementwise's fill kernel.
//
// The math mirrors knetc/optim.py's NumPy code step by step: hyperparameter products are
// formed in double (as Python floats are) and rounded to T once, elementwise work is in T.
//
// Gradient clipping stays on the device: every update kernel takes `norm` (a pointer to the
// global gradient norm, written by norm_forward) with `gclip` and a host `scale`, and uses
// c = scale * (gclip > 0 && norm > gclip ? gclip / norm : 1). `norm` is read only when
// gclip > 0, so no host sync is needed per step.
#include "common.cuh"

// 16 bytes of T, loaded and stored as one vector access when the pointer is 16-byte aligned.
template <typename T> struct __align__(16) Pack {
    T v[16 / sizeof(T)];
};

__device__ inline bool aligned16(const void* p) {
    return ((unsigned long long)p & 15ull) == 0;
}

// The gradient scale c of the header comment.
__device__ inline double clip_scale(const double* __restrict__ norm, double gclip, double scale) {
    if (gclip > 0) {
        const double total = norm[0];
        if (total > gclip) return scale * (gclip / total);
    }
    return scale;
}

// op(g[i], w[i], s0[i], s1[i]) for every i in [0, n), over any grid; S (0, 1 or 2) state
// buffers are read and written (unused ones may be null). When every pointer is 16-byte
// aligned, the body runs on 16-byte packs (float4/double2 loads and stores) and a scalar
// loop finishes the tail; otherwise everything takes the scalar loop.
template <typename T, int S, typename Op>
__device__ inline void update_each(const T* __restrict__ g, T* __restrict__ w,
                                   T* __restrict__ s0, T* __restrict__ s1, idx_t n, Op op) {
    constexpr int V = 16 / sizeof(T);
    const bool vector = aligned16(g) && aligned16(w) && (S < 1 || aligned16(s0)) &&
                        (S < 2 || aligned16(s1));
    const idx_t packs = vector ? n / V : 0;
    GRID_STRIDE_LOOP(j, packs) {
        const Pack<T> gp = reinterpret_cast<const Pack<T>*>(g)[j];
        Pack<T> wp = reinterpret_cast<Pack<T>*>(w)[j], ap = wp, bp = wp;
        if constexpr (S >= 1) ap = reinterpret_cast<Pack<T>*>(s0)[j];
        if constexpr (S >= 2) bp = reinterpret_cast<Pack<T>*>(s1)[j];
#pragma unroll
        for (int k = 0; k < V; ++k) op(gp.v[k], wp.v[k], ap.v[k], bp.v[k]);
        reinterpret_cast<Pack<T>*>(w)[j] = wp;
        if constexpr (S >= 1) reinterpret_cast<Pack<T>*>(s0)[j] = ap;
        if constexpr (S >= 2) reinterpret_cast<Pack<T>*>(s1)[j] = bp;
    }
    const idx_t done = packs * V;
    GRID_STRIDE_LOOP(k, n - done) {
        const idx_t i = done + k;
        T wi = w[i], a = 0, b = 0;
        if constexpr (S >= 1) a = s0[i];
        if constexpr (S >= 2) b = s1[i];
        op(g[i], wi, a, b);
        w[i] = wi;
        if constexpr (S >= 1) s0[i] = a;
        if constexpr (S >= 2) s1[i] = b;
    }
}

// SGD: w -= (lr*c) * g.
template <typename T>
__global__ void sgd_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                            T* __restrict__ w, idx_t n, double lr, double gclip, double scale) {
    const T lrc = T(lr * clip_scale(norm, gclip, scale));
    update_each<T, 0>(dw, w, (T*)nullptr, (T*)nullptr, n, [=](T g, T& wi, T&, T&) {
        wi -= g * lrc;
    });
}

// Momentum: v = gamma*v - (lr*c)*g; w += v.
template <typename T>
__global__ void momentum_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                                 T* __restrict__ w, T* __restrict__ velocity, idx_t n, double lr,
                                 double gamma, double gclip, double scale) {
    const T lrc = T(lr * clip_scale(norm, gclip, scale)), gam = T(gamma);
    update_each<T, 1>(dw, w, velocity, (T*)nullptr, n, [=](T g, T& wi, T& v, T&) {
        v = v * gam - g * lrc;
        wi += v;
    });
}

// Nesterov: v = gamma*v; w -= v; v -= (lr*c)*g; w += (1+gamma)*v.
template <typename T>
__global__ void nesterov_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                                 T* __restrict__ w, T* __restrict__ velocity, idx_t n, double lr,
                                 double gamma, double gclip, double scale) {
    const T lrc = T(lr * clip_scale(norm, gclip, scale)), gam = T(gamma), gam1 = T(1 + gamma);
    update_each<T, 1>(dw, w, velocity, (T*)nullptr, n, [=](T g, T& wi, T& v, T&) {
        v *= gam;
        const T wv = wi - v;
        v -= g * lrc;
        wi = wv + v * gam1;
    });
}

// Adagrad: G += (c*c)*g^2; w -= (lr*c) * g / sqrt(G + eps).
template <typename T>
__global__ void adagrad_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                                T* __restrict__ w, T* __restrict__ G, idx_t n, double lr,
                                double eps, double gclip, double scale) {
    const double c = clip_scale(norm, gclip, scale);
    const T cc = T(c * c), lrc = T(lr * c), e = T(eps);
    update_each<T, 1>(dw, w, G, (T*)nullptr, n, [=](T g, T& wi, T& Gi, T&) {
        Gi += g * g * cc;
        wi -= g / sqrt(Gi + e) * lrc;
    });
}

// Rmsprop: G = rho*G + ((1-rho)*c*c)*g^2; w -= (lr*c) * g / sqrt(G + eps).
template <typename T>
__global__ void rmsprop_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                                T* __restrict__ w, T* __restrict__ G, idx_t n, double lr,
                                double rho, double eps, double gclip, double scale) {
    const double c = clip_scale(norm, gclip, scale);
    const T r = T(rho), rcc = T((1 - rho) * c * c), lrc = T(lr * c), e = T(eps);
    update_each<T, 1>(dw, w, G, (T*)nullptr, n, [=](T g, T& wi, T& Gi, T&) {
        Gi = Gi * r + g * g * rcc;
        wi -= g / sqrt(Gi + e) * lrc;
    });
}

// Adadelta: G = rho*G + ((1-rho)*c*c)*g^2; u = sqrt(delta+eps)/sqrt(G+eps)*g*c; w -= lr*u;
// delta = rho*delta + (1-rho)*u^2.
template <typename T>
__global__ void adadelta_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                                 T* __restrict__ w, T* __restrict__ G, T* __restrict__ delta,
                                 idx_t n, double lr, double rho, double eps, double gclip,
                                 double scale) {
    const double c = clip_scale(norm, gclip, scale);
    const T r = T(rho), rcc = T((1 - rho) * c * c), tc = T(c), r1 = T(1 - rho), l = T(lr),
            e = T(eps);
    update_each<T, 2>(dw, w, G, delta, n, [=](T g, T& wi, T& Gi, T& di) {
        Gi = Gi * r + g * g * rcc;
        const T u = sqrt(di + e) / sqrt(Gi + e) * g * tc;
        di = di * r + u * u * r1;
        wi -= u * l;
    });
}

// Adam with the bias corrections of step t from the host: bc2 = 1 - beta2^t and
// lr_t = lr / (1 - beta1^t). m = beta1*m + ((1-beta1)*c)*g; v = beta2*v + ((1-beta2)*c*c)*g^2;
// w -= lr_t * m / (sqrt(v/bc2) + eps).
template <typename T>
__global__ void adam_forward(const T* __restrict__ dw, const double* __restrict__ norm,
                             T* __restrict__ w, T* __restrict__ m, T* __restrict__ v, idx_t n,
                             double lr_t, double beta1, double beta2, double eps, double bc2,
                             double gclip, double scale) {
    const double c = clip_scale(norm, gclip, scale);
    const T b1 = T(beta1), a1 = T((1 - beta1) * c), b2 = T(beta2), a2 = T((1 - beta2) * c * c),
            corr = T(bc2), e = T(eps), step = T(lr_t);
    update_each<T, 2>(dw, w, m, v, n, [=](T g, T& wi, T& mi, T& vi) {
        mi = mi * b1 + g * a1;
        vi = vi * b2 + g * g * a2;
        wi -= mi / (sqrt(vi / corr) + e) * step;
    });
}

// Sum of v over the block, valid in thread 0 (blockDim.x a multiple of 32, at most 1024).
template <typename T> __device__ inline T block_sum(T v) {
    __shared__ T warps[32];
    v = warp_sum(v);
    if (threadIdx.x % 32 == 0) warps[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? warps[threadIdx.x] : T(0);
        v = warp_sum(v);
    }
    return v;
}

// partial[blockIdx.x] = this block's share of the sum of g^2, accumulated in double.
template <typename T>
__global__ void sumsq_forward(const T* __restrict__ g, double* __restrict__ partial, idx_t n) {
    constexpr int V = 16 / sizeof(T);
    double s = 0;
    const idx_t packs = aligned16(g) ? n / V : 0;
    GRID_STRIDE_LOOP(j, packs) {
        const Pack<T> p = reinterpret_cast<const Pack<T>*>(g)[j];
#pragma unroll
        for (int k = 0; k < V; ++k) s += double(p.v[k]) * double(p.v[k]);
    }
    GRID_STRIDE_LOOP(k, n - packs * V) {
        const double x = g[packs * V + k];
        s += x * x;
    }
    s = block_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// norm[0] = sqrt(host_sumsq + sum of partial[0..m)), by one block (launched as double).
template <typename T>
__global__ void norm_forward(const double* __restrict__ partial, double* __restrict__ norm,
                             idx_t m, double host_sumsq) {
    double s = 0;
    for (idx_t i = threadIdx.x; i < m; i += blockDim.x) s += partial[i];
    s = block_sum(s);
    if (threadIdx.x == 0) norm[0] = sqrt(s + host_sumsq);
}
