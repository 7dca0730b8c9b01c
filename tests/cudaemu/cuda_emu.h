// A small emulation of the CUDA execution model on the CPU, so that the kernels in
// kernels/*.cu can be compiled by g++ and run from pytest without a GPU.
//
// A launch runs the grid's blocks one after another; each block runs one OS thread per
// CUDA thread. __syncthreads() is a std::barrier over the block's threads, warp shuffles
// exchange values through a per-warp slot array between two warp barriers, atomics take one
// global lock, and `__shared__` variables are function statics (one block runs at a time,
// so all threads of the running block share them, as on the GPU). Dynamic shared memory is
// a byte buffer sized by the launch. Races that a GPU would expose may stay hidden here:
// run compute-sanitizer's racecheck on a real GPU for those.
#pragma once
#define KNETC_EMULATOR 1

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) alignas(n)
#define __launch_bounds__(...)

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
using uint3 = dim3;

inline dim3 gridDim, blockDim;
inline thread_local dim3 blockIdx, threadIdx;

namespace emu {

struct Block {
    std::barrier<> all;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<uint64_t> slots;  // one per thread, for shuffles
    explicit Block(unsigned n) : all(n), slots(n) {
        for (unsigned w = 0; w * 32 < n; ++w)
            warps.emplace_back(new std::barrier<>(n - w * 32 < 32 ? n - w * 32 : 32));
    }
};

inline Block* block = nullptr;
inline std::vector<unsigned char> shared_bytes;
inline std::mutex atomic_lock;

inline void* dynamic_shared() { return shared_bytes.data(); }

inline unsigned linear_thread() {
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

template <typename T> T shuffle(T v, int src_lane, int width) {
    static_assert(sizeof(T) <= sizeof(uint64_t), "shuffle of a type wider than 8 bytes");
    unsigned t = linear_thread(), lane = t % 32, base = t - lane;
    std::memcpy(&block->slots[t], &v, sizeof(T));
    block->warps[t / 32]->arrive_and_wait();
    T out = v;
    unsigned segment = lane - lane % width;
    if (src_lane >= 0 && (unsigned)src_lane < (unsigned)width && base + segment + src_lane < block->slots.size())
        std::memcpy(&out, &block->slots[base + segment + src_lane], sizeof(T));
    block->warps[t / 32]->arrive_and_wait();
    return out;
}

inline void launch(dim3 grid, dim3 threads, size_t shared, const std::function<void()>& body) {
    gridDim = grid;
    blockDim = threads;
    shared_bytes.assign(shared + 16, 0);
    unsigned n = threads.x * threads.y * threads.z;
    for (unsigned bz = 0; bz < grid.z; ++bz)
        for (unsigned by = 0; by < grid.y; ++by)
            for (unsigned bx = 0; bx < grid.x; ++bx) {
                Block b(n);
                block = &b;
                std::vector<std::thread> pool;
                pool.reserve(n);
                for (unsigned t = 0; t < n; ++t)
                    pool.emplace_back([&, t] {
                        blockIdx = {bx, by, bz};
                        threadIdx = {t % threads.x, (t / threads.x) % threads.y, t / (threads.x * threads.y)};
                        body();
                    });
                for (auto& th : pool) th.join();
                block = nullptr;
            }
}

}  // namespace emu

inline void __syncthreads() { emu::block->all.arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::block->warps[emu::linear_thread() / 32]->arrive_and_wait(); }

template <typename T> T __shfl_sync(unsigned, T v, int src, int width = 32) {
    return emu::shuffle(v, src, width);
}
template <typename T> T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = emu::linear_thread() % width;
    return emu::shuffle(v, lane + (int)delta < width ? lane + (int)delta : lane, width);
}
template <typename T> T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = emu::linear_thread() % width;
    return emu::shuffle(v, lane - (int)delta >= 0 ? lane - (int)delta : lane, width);
}
template <typename T> T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    int lane = emu::linear_thread() % width;
    return emu::shuffle(v, lane ^ mask, width);
}

template <typename T> T atomicAdd(T* address, T v) {
    std::lock_guard<std::mutex> guard(emu::atomic_lock);
    T old = *address;
    *address = old + v;
    return old;
}
template <typename T> T atomicMax(T* address, T v) {
    std::lock_guard<std::mutex> guard(emu::atomic_lock);
    T old = *address;
    if (v > old) *address = v;
    return old;
}
template <typename T> T atomicMin(T* address, T v) {
    std::lock_guard<std::mutex> guard(emu::atomic_lock);
    T old = *address;
    if (v < old) *address = v;
    return old;
}
template <typename T> T atomicCAS(T* address, T compare, T v) {
    std::lock_guard<std::mutex> guard(emu::atomic_lock);
    T old = *address;
    if (old == compare) *address = v;
    return old;
}
template <typename T> T atomicExch(T* address, T v) {
    std::lock_guard<std::mutex> guard(emu::atomic_lock);
    T old = *address;
    *address = v;
    return old;
}

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
template <typename T> T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline int max(int a, int b) { return a > b ? a : b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
