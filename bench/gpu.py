"""knetc on the GPU: kernel bandwidth, and one training step of the five models against PyTorch.

    python bench/gpu.py                        # on GPU 0: both tables
    python bench/gpu.py --part kernels         # memory bandwidth of the kernels only
    python bench/gpu.py --part models --models lstm lenet
    python bench/gpu.py --device emulated --quick   # a smoke test on the CPU emulator

Part `kernels`: elementwise (exp, add), reductions (full sum, sums along each axis) on 64 M
float32 elements, and log-softmax along the rows of a 4096x32000 array, each as GB/s and as
a fraction of the GPU's peak memory bandwidth (from its memory clock and bus width when CUDA
reports them) and of a device-to-device copy measured in the same run. Issue 5's targets:
elementwise >= 85 %, reductions >= 75 %, log-softmax >= 70 % of peak.

Part `models`: one SGD training step (gradient + update) of each model of bench/models.py at
the tutorial's sizes in float32: knetc (the user's loss, knetc.grad, KnetArrays) and PyTorch
eager (cuDNN on, the same model over torch operations from bench/peers.py). Gradients are
compared before anything is timed. Times are medians of CUDA-event timings after warm-up;
the ratio is knetc / torch (target: <= 1.0).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import knetc  # noqa: E402
import knetc.cuda as kc  # noqa: E402
import models  # noqa: E402


class Clock:
    """Times a callable on a device: CUDA events on a GPU, wall clock on the emulator."""

    def __init__(self, device):
        self.cupy = getattr(device, "cupy", None)

    def sync(self):
        if self.cupy is not None:
            self.cupy.cuda.Device().synchronize()

    def median_ms(self, fn, repeat, warmup=3):
        for _ in range(warmup):
            fn()
        self.sync()
        times = []
        for _ in range(repeat):
            if self.cupy is not None:
                start, stop = self.cupy.cuda.Event(), self.cupy.cuda.Event()
                start.record()
                fn()
                stop.record()
                stop.synchronize()
                times.append(self.cupy.cuda.get_elapsed_time(start, stop))
            else:
                t = time.perf_counter()
                fn()
                times.append(1e3 * (time.perf_counter() - t))
        return statistics.median(times)


def peak_bandwidth(device):
    """Theoretical peak in GB/s from CUDA's memory clock (kHz) and bus width, or None."""
    cupy = getattr(device, "cupy", None)
    if cupy is None:
        return None
    rt = cupy.cuda.runtime
    try:
        clock = rt.deviceGetAttribute(rt.cudaDevAttrMemoryClockRate, device.id)
        width = rt.deviceGetAttribute(rt.cudaDevAttrGlobalMemoryBusWidth, device.id)
    except Exception:
        return None
    return 2 * clock * 1e3 * width / 8 / 1e9


def kernel_table(device, quick, repeat):
    n = 1 << 16 if quick else 1 << 26
    rows, cols = (64, 320) if quick else (4096, 32000)
    side = int(np.sqrt(n))
    rng = np.random.default_rng(0)
    x = kc.KnetArray(rng.random(n, dtype=np.float32), device)
    y = kc.KnetArray(rng.random(n, dtype=np.float32), device)
    m = x.reshape(side, n // side)
    s = kc.KnetArray(rng.standard_normal((rows, cols), dtype=np.float32), device)
    clock = Clock(device)
    nbytes = 4 * n
    cases = [
        ("exp (elementwise)", lambda: np.exp(x), 2 * nbytes, 0.85),
        ("add (elementwise)", lambda: x + y, 3 * nbytes, 0.85),
        ("sum, all (reduction)", lambda: np.sum(x), nbytes, 0.75),
        (f"sum, axis 0 of {m.shape[0]}x{m.shape[1]}", lambda: np.sum(m, axis=0), nbytes, 0.75),
        (f"sum, axis 1 of {m.shape[0]}x{m.shape[1]}", lambda: np.sum(m, axis=1), nbytes, 0.75),
        (f"logp along rows of {rows}x{cols}", lambda: knetc.logp(s, axis=1),
         2 * 4 * rows * cols, 0.70),
    ]
    copy_ms = None
    if getattr(device, "cupy", None) is not None:
        src, dst = x.raw, device.cupy.empty_like(x.raw)
        copy_ms = clock.median_ms(lambda: device.cupy.copyto(dst, src), repeat)  # memcpy
    peak = peak_bandwidth(device)
    print(f"\nkernels on {device.name}: peak {peak and f'{peak:.0f} GB/s' or 'unknown'}; "
          f"device-to-device copy {copy_ms and f'{2 * nbytes / copy_ms / 1e6:.0f} GB/s' or '-'}")
    print(f"{'kernel':<34}{'ms':>9}{'GB/s':>9}{'of peak':>9}{'of copy':>9}{'target':>8}")
    for name, fn, moved, target in cases:
        ms = clock.median_ms(fn, repeat)
        gbs = moved / ms / 1e6
        of_peak = f"{gbs / peak:.0%}" if peak else "-"
        of_copy = f"{gbs / (2 * nbytes / copy_ms / 1e6):.0%}" if copy_ms else "-"
        print(f"{name:<34}{ms:>9.3f}{gbs:>9.0f}{of_peak:>9}{of_copy:>9}{target:>8.0%}")


def torch_step(model, lr):
    """(step(), gradient()) of PyTorch eager on CUDA for `model` (bench/peers.py's ops)."""
    import torch

    import peers
    w = [torch.tensor(a, device="cuda", requires_grad=True) for a in model.w]
    data = peers._to_torch(list(model.args()[1:]))
    data = [[d.cuda() for d in v] if isinstance(v, list) else v.cuda() for v in data]
    loss = peers.loss_with(peers._torch_ops(), model.name)

    def gradient():
        return torch.autograd.grad(loss(w, *data), w)

    def step():
        grads = gradient()
        with torch.no_grad():
            for p, g in zip(w, grads):
                p.sub_(lr * g)
    return step, gradient


def knetc_step(model, device, lr):
    previous = kc.use(device)
    w = knetc.gpu(model.w)
    data = knetc.gpu(list(model.args()[1:]))
    kc.use(previous)
    g = knetc.grad(model.loss)

    def args():
        if model.fresh:  # the LSTM mutates its state list: a fresh one per call, as on the CPU
            state, sequence = data
            return (w, [s.copy() for s in state], sequence)
        return (w, *data)

    def step():
        dw = g(*args())
        for i in range(len(w)):
            w[i] -= lr * dw[i]
    return step, lambda: g(*args())


def model_table(device, names, repeat):
    clock = Clock(device)
    try:
        import torch
        has_torch = torch.cuda.is_available() and getattr(device, "cupy", None) is not None
    except ImportError:
        has_torch = False
    print(f"\none SGD step on {device.name} (median ms; ratio knetc / torch eager, target <= 1.0)")
    print(f"{'model':<10}{'knetc':>10}{'torch':>10}{'ratio':>8}  check")
    for name in names:
        model = models.make(name)
        kstep, kgrad = knetc_step(model, device, 0.0)  # lr 0: every step sees the same w
        kms = clock.median_ms(kstep, repeat)
        tms, check = None, "torch not available"
        if has_torch:
            import torch
            tstep, tgrad = torch_step(model, 0.0)
            ours = [knetc.cpu(d) for d in kgrad()]
            theirs = [t.detach().cpu().numpy() for t in tgrad()]
            bad = [i for i, (a, b) in enumerate(zip(ours, theirs))
                   if not np.allclose(a, b, rtol=1e-3, atol=1e-4 * max(1e-30, np.abs(b).max()))]
            check = "gradients agree" if not bad else f"gradients differ at {bad}"
            if not bad:
                tms = clock.median_ms(tstep, repeat)
                torch.cuda.synchronize()
        ratio = f"{kms / tms:.2f}" if tms else "-"
        print(f"{name:<10}{kms:>10.3f}{tms or float('nan'):>10.3f}{ratio:>8}  {check}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=["cuda", "emulated"], default="cuda",
                        help="cuda: GPU 0 through CuPy (default); emulated: the CPU emulator "
                             "of tests/cudaemu, for a smoke test")
    parser.add_argument("--part", choices=["kernels", "models", "all"], default="all")
    parser.add_argument("--models", nargs="+", default=list(models.MODELS),
                        choices=models.MODELS)
    parser.add_argument("--repeat", type=int, default=50, help="timed calls per case")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats: a smoke test, not a measurement")
    args = parser.parse_args(argv)
    if args.device == "emulated":
        from cudaemu import EmulatedDevice
        device = EmulatedDevice()
    else:
        device = kc.default_device()
    repeat = 3 if args.quick else args.repeat
    if args.part in ("kernels", "all"):
        kernel_table(device, args.quick or args.device == "emulated", repeat)
    if args.part in ("models", "all"):
        model_table(device, args.models, repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
