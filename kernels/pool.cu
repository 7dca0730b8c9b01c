// pool (knetc/conv.py): max and average pooling of contiguous N x C x H x W images, windows
// kh x kw with strides (sh, sw) and padding (ph, pw) on both sides; output Ho x Wo per image.
//
// Forward: one thread per output element scans its window in row-major order. Max pooling
// treats padding as -inf and propagates NaN like np.maximum; average pooling adds the window
// (padding counts as 0) in the same order as the CPU and multiplies by `scale` = 1/(kh*kw)
// (cuDNN's include-padding average).
// Backward: one thread per input pixel gathers from the windows that contain it, in the
// CPU's order (kernel offset (i, j) row-major), so no atomics are needed. Max pooling sends a
// window's gradient to the first position of the window (row-major) whose value equals the
// window's output y, padding included (a gradient that lands on padding is dropped), as
// knetc.conv.pool_grad does.
#include "common.cuh"

// q = a / b with r = a - q * b (a >= 0, b > 0), in 32-bit arithmetic when both fit.
__device__ inline idx_t pool_divide(idx_t a, idx_t b, idx_t& r) {
    const idx_t q = ((a | b) >> 32) == 0 ? (idx_t)((unsigned)a / (unsigned)b) : a / b;
    r = a - q * b;
    return q;
}

// x[yy, xx] of one image, or `pad` outside it.
template <typename T>
__device__ inline T pixel(const T* x, int h, int w, int yy, int xx, T pad) {
    return yy >= 0 && yy < h && xx >= 0 && xx < w ? x[(idx_t)yy * w + xx] : pad;
}

template <typename T>
__global__ void maxpool_forward(const T* __restrict__ x, T* __restrict__ y, idx_t nc, int h,
                                int w, int kh, int kw, int ph, int pw, int sh, int sw, int ho,
                                int wo) {
    const T pad = -Traits<T>::inf();
    GRID_STRIDE_LOOP(t, nc * ho * wo) {
        idx_t a, b;
        const idx_t image = pool_divide(pool_divide(t, wo, b), ho, a);
        const T* src = x + image * h * w;
        const int y0 = (int)a * sh - ph, x0 = (int)b * sw - pw;
        T m = pixel(src, h, w, y0, x0, pad);
        for (int i = 0; i < kh; ++i) {
            for (int j = (i == 0 ? 1 : 0); j < kw; ++j) {
                const T v = pixel(src, h, w, y0 + i, x0 + j, pad);
                m = (v > m || v != v) ? v : m;
            }
        }
        y[t] = m;
    }
}

template <typename T>
__global__ void avgpool_forward(const T* __restrict__ x, T* __restrict__ y, idx_t nc, int h,
                                int w, int kh, int kw, int ph, int pw, int sh, int sw, int ho,
                                int wo, T scale) {
    GRID_STRIDE_LOOP(t, nc * ho * wo) {
        idx_t a, b;
        const idx_t image = pool_divide(pool_divide(t, wo, b), ho, a);
        const T* src = x + image * h * w;
        const int y0 = (int)a * sh - ph, x0 = (int)b * sw - pw;
        T acc = pixel(src, h, w, y0, x0, T(0));
        for (int i = 0; i < kh; ++i) {
            for (int j = (i == 0 ? 1 : 0); j < kw; ++j)
                acc += pixel(src, h, w, y0 + i, x0 + j, T(0));
        }
        y[t] = acc * scale;
    }
}

// dx[n, c, yy, xx]: the sum of dy over the windows (a, b) whose first maximal position is
// (yy, xx). Windows holding the pixel are visited with i = yy + ph - a*sh ascending.
template <typename T>
__global__ void maxpool_backward(const T* __restrict__ x, const T* __restrict__ y,
                                 const T* __restrict__ dy, T* __restrict__ dx, idx_t nc,
                                 int h, int w, int kh, int kw, int ph, int pw, int sh, int sw,
                                 int ho, int wo) {
    const T pad = -Traits<T>::inf();
    GRID_STRIDE_LOOP(t, nc * h * w) {
        idx_t yy, xx;
        const idx_t image = pool_divide(pool_divide(t, w, xx), h, yy);
        const T* src = x + image * h * w;
        const T* ys = y + image * ho * wo;
        const T* dys = dy + image * ho * wo;
        const T v = src[yy * w + xx];
        const int yp = (int)yy + ph, xp = (int)xx + pw;
        const int a_last = knetc_min(ho - 1, yp / sh), b_last = knetc_min(wo - 1, xp / sw);
        T acc = T(0);
        for (int a = a_last, i = yp - a_last * sh; a >= 0 && i < kh; --a, i += sh) {
            for (int b = b_last, j = xp - b_last * sw; b >= 0 && j < kw; --b, j += sw) {
                const idx_t o = (idx_t)a * wo + b;
                const T m = ys[o];
                if (!(v == m))
                    continue;
                // Is (i, j) the first position of window (a, b), row-major, holding m?
                const int y0 = a * sh - ph, x0 = b * sw - pw;
                bool first = true;
                for (int i2 = 0; i2 <= i && first; ++i2) {
                    const int j_end = i2 < i ? kw : j;
                    for (int j2 = 0; j2 < j_end; ++j2) {
                        if (pixel(src, h, w, y0 + i2, x0 + j2, pad) == m) {
                            first = false;
                            break;
                        }
                    }
                }
                if (first)
                    acc += dys[o];
            }
        }
        dx[t] = acc;
    }
}

// dx[n, c, yy, xx]: the sum of dy * scale over the windows holding the pixel.
template <typename T>
__global__ void avgpool_backward(const T* __restrict__ dy, T* __restrict__ dx, idx_t nc, int h,
                                 int w, int kh, int kw, int ph, int pw, int sh, int sw, int ho,
                                 int wo, T scale) {
    GRID_STRIDE_LOOP(t, nc * h * w) {
        idx_t yy, xx;
        const idx_t image = pool_divide(pool_divide(t, w, xx), h, yy);
        const T* dys = dy + image * ho * wo;
        const int yp = (int)yy + ph, xp = (int)xx + pw;
        const int a_last = knetc_min(ho - 1, yp / sh), b_last = knetc_min(wo - 1, xp / sw);
        T acc = T(0);
        for (int a = a_last, i = yp - a_last * sh; a >= 0 && i < kh; --a, i += sh) {
            for (int b = b_last, j = xp - b_last * sw; b >= 0 && j < kw; --b, j += sw)
                acc += dys[(idx_t)a * wo + b] * scale;
        }
        dx[t] = acc;
    }
}
