// conv4 (2-D cross-correlation, knetc/conv.py's layout) as im2col + one cuBLAS GEMM.
//
// Images are N x C x H x W, filters O x C x kh x kw, all contiguous. The column matrix has
// one row per filter entry (c, i, j), in the order of w.reshape(O, -1), and one column per
// output pixel (n, a, b), images first: cols is (C*kh*kw) x (N*Ho*Wo). Then
//   forward:  y     = w_mat @ cols            (O x N*P, P = Ho*Wo), then (O, N, P) -> (N, O, P)
//   grad w:   dw    = dy_mat @ cols^T         (dy as O x N*P: (N, O, P) -> (O, N, P))
//   grad x:   dcols = w_mat^T @ dy_mat, and col2im sums dcols back into the images.
// knetc/cuda/conv.py runs the GEMMs (device.matmul); the kernels here are the copies:
// - im2col_forward: one thread per (channel, output pixel) writes its kh*kw column entries,
//   so consecutive threads write consecutive addresses of each row of cols.
// - im2col_backward (col2im): one thread per input pixel gathers the entries of dcols that
//   came from it, in knetc/conv.py's order (kernel offset (i, j) row-major), so no atomics
//   are needed and the sum is the same as the CPU's for the same dcols.
// - transpose01_forward: (A, B, P) -> (B, A, P), the swap of batch and channel axes between
//   the GEMM's layout and NCHW.
#include "common.cuh"

// q = a / b with r = a - q * b (a >= 0, b > 0), in 32-bit arithmetic when both fit: 64-bit
// integer division is a long software sequence on the GPU.
__device__ inline idx_t divide(idx_t a, idx_t b, idx_t& r) {
    const idx_t q = ((a | b) >> 32) == 0 ? (idx_t)((unsigned)a / (unsigned)b) : a / b;
    r = a - q * b;
    return q;
}

// cols[((c*kh + i)*kw + j), (n*ho + a)*wo + b] = x[n, c, a*sh - ph + i, b*sw - pw + j]
// (0 outside the image).
template <typename T>
__global__ void im2col_forward(const T* __restrict__ x, T* __restrict__ cols, idx_t n, int c,
                               int h, int w, int kh, int kw, int ph, int pw, int sh, int sw,
                               int ho, int wo) {
    const idx_t p = (idx_t)ho * wo, np = n * p, row = np * kw;
    GRID_STRIDE_LOOP(t, c * np) {
        idx_t col, rest, b;
        const idx_t ch = divide(t, np, col);
        const idx_t img = divide(col, p, rest);
        const idx_t a = divide(rest, wo, b);
        const T* src = x + (img * c + ch) * h * w;
        T* dst = cols + ch * kh * row + col;
        const int y0 = (int)a * sh - ph, x0 = (int)b * sw - pw;
        for (int i = 0; i < kh; ++i) {
            const int yy = y0 + i;
            const bool row_inside = yy >= 0 && yy < h;
            for (int j = 0; j < kw; ++j) {
                const int xx = x0 + j;
                dst[j * np] = row_inside && xx >= 0 && xx < w ? src[(idx_t)yy * w + xx] : T(0);
            }
            dst += row;
        }
    }
}

// col2im: dx[n, c, y, x] = sum of dcols[(c, i, j), (n, a, b)] over the windows (a, b) with
// a*sh - ph + i == y and b*sw - pw + j == x, taken in (i, j) row-major order.
template <typename T>
__global__ void im2col_backward(const T* __restrict__ dcols, T* __restrict__ dx, idx_t n,
                                int c, int h, int w, int kh, int kw, int ph, int pw, int sh,
                                int sw, int ho, int wo) {
    const idx_t np = n * ho * wo;
    GRID_STRIDE_LOOP(t, n * c * h * w) {
        idx_t xx, yy, ch;
        const idx_t image_row = divide(t, w, xx);
        const idx_t image = divide(image_row, h, yy);
        const idx_t img = divide(image, c, ch);
        const int yp = (int)yy + ph, xp = (int)xx + pw;  // in the padded image
        const int a_last = knetc_min(ho - 1, yp / sh), b_last = knetc_min(wo - 1, xp / sw);
        const T* src = dcols + ch * kh * kw * np + img * ho * wo;
        T acc = T(0);
        for (int a = a_last, i = yp - a_last * sh; a >= 0 && i < kh; --a, i += sh) {
            for (int b = b_last, j = xp - b_last * sw; b >= 0 && j < kw; --b, j += sw)
                acc += src[(idx_t)(i * kw + j) * np + (idx_t)a * wo + b];
        }
        dx[t] = acc;
    }
}

// y (B x A x P) from x (A x B x P): the swap of the two leading axes.
template <typename T>
__global__ void transpose01_forward(const T* __restrict__ x, T* __restrict__ y, idx_t a,
                                    idx_t b, idx_t p) {
    GRID_STRIDE_LOOP(t, a * b * p) {
        idx_t k, ia;
        const idx_t ib = divide(divide(t, p, k), a, ia);
        y[t] = x[(ia * b + ib) * p + k];
    }
}
