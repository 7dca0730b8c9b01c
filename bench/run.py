"""Benchmark knetc's gradients against hand-written NumPy and the peers, on the CPU.

    python bench/run.py                       # all models, 1 and 2 threads
    python bench/run.py --threads 1 --models mlp lenet --quick
    python bench/run.py --repeat 81 --json /tmp/results.json

Each thread count runs in a child process whose BLAS/OpenMP/XLA thread variables are set
before NumPy is imported. In it, for every model: every system's gradient is checked against
the hand-written one first; then all systems (and knetc's plain forward call) are timed in
interleaved rounds, each round timing a block of calls per system in rotating order. The
table gives the median time per call over the rounds, its spread (p25-p75), and the ratio to
hand-written NumPy as the median of the per-round ratios (each round's systems ran side by
side, so machine noise cancels in part). See bench/README.md.
"""
import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))   # the knetc checkout, when not installed

import peers  # noqa: E402  (peers imports NumPy: after the thread variables are set)

HAND, KNETC, FORWARD = "hand-written", "knetc", "knetc forward"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=None,
                   help="models to run: linreg softmax mlp lenet lstm (default: all)")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2],
                   help="thread counts, one child process each (default: 1 2)")
    p.add_argument("--repeat", type=int, default=None,
                   help="timing rounds per model (default: 41, or 7 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="fewer rounds and shorter blocks: a smoke test, not a measurement")
    p.add_argument("--json", default=os.path.join(HERE, "results.json"),
                   help="where to save the results (default: bench/results.json)")
    p.add_argument("--no-peers", dest="peers", action="store_false",
                   help="time knetc and the hand-written pass only (no autograd, torch, jax)")
    p.add_argument("--child", help=argparse.SUPPRESS)     # internal: write results here
    args = p.parse_args(argv)
    args.repeat = args.repeat or (7 if args.quick else 41)
    return args


# ---------------------------------------------------------------- measuring

def percentile(xs, q):
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def check(name, got, want):
    """Raise unless every leaf of `got` matches the hand-written gradient at float32
    tolerance (elementwise rtol 1e-3, atol 1e-4 of the leaf's largest magnitude)."""
    import numpy as np
    if len(got) != len(want):
        raise AssertionError(f"{name}: {len(got)} gradients, hand-written has {len(want)}")
    worst = 0.0
    for i, (g, h) in enumerate(zip(got, want)):
        g = np.asarray(g, dtype=np.float64)
        scale = float(np.max(np.abs(h))) or 1.0
        if g.shape != h.shape or not np.allclose(g, h, rtol=1e-3, atol=1e-4 * scale):
            raise AssertionError(f"{name}: gradient {i} differs from the hand-written one "
                                 f"(shape {g.shape} vs {h.shape})")
        worst = max(worst, float(np.max(np.abs(g - h))) / scale)
    return worst


def block_size(f, target):
    """Calls per timed block so that a block lasts about `target` seconds."""
    t = time.perf_counter()
    f()
    once = time.perf_counter() - t
    return max(1, min(1000, round(target / max(once, 1e-7))))


def interleaved(fns, rounds, target):
    """Times per call, one per round, of blocks of calls in rotating order: ({name: wall
    seconds}, {name: CPU seconds}). The CPU time of this process leaves out the time it
    waited for a core on a busy machine (with one thread: with more, BLAS threads that spin
    while they wait count too)."""
    sizes = {name: block_size(f, target) for name, f in fns.items()}
    names = list(fns)
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for r in range(rounds):
        gc.collect()
        for name in names[r % len(names):] + names[:r % len(names)]:
            f, n = fns[name], sizes[name]
            gc.disable()
            t, c = time.perf_counter(), time.process_time()
            for _ in range(n):
                f()
            t, c = time.perf_counter() - t, time.process_time() - c
            gc.enable()
            wall[name].append(t / n)
            cpu[name].append(c / n)
    return wall, cpu


def peak_bytes(f):
    """tracemalloc's peak over one call of f, above what was allocated before it."""
    f()
    tracemalloc.start()
    try:
        f()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        f()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def bench_model(name, args, threads):
    import knetc
    import models
    m = models.make(name)
    t = time.perf_counter()
    dloss = knetc.grad(m.loss)
    knetc.source(dloss)                                  # compiles: what a first call adds
    compile_s = time.perf_counter() - t
    dloss(*m.args())
    first_call = time.perf_counter() - t
    want = [x.astype("float64") for x in m.hand(*m.args())]
    fns = {HAND: lambda: m.hand(*m.args()), KNETC: lambda: dloss(*m.args()),
           FORWARD: lambda: m.loss(*m.args())}
    converters = {HAND: list, KNETC: list}
    extra, missing = peers.build(m, threads) if args.peers else ({}, {})
    errors = {}
    for system, (f, to_numpy) in extra.items():
        try:
            f()                                          # compiles, where the peer compiles
            fns[system], converters[system] = f, to_numpy
        except Exception as exc:
            errors[system] = f"failed: {type(exc).__name__}: {exc}"
    worst = {}
    for system, to_numpy in converters.items():
        try:
            worst[system] = check(system, to_numpy(fns[system]()), want)
        except AssertionError as exc:
            if system == KNETC:
                raise
            errors[system] = f"wrong gradient, not timed: {exc}"
            del fns[system]
    target = 0.01 if args.quick else 0.05
    for f in fns.values():                               # warm-up
        for _ in range(3):
            f()
    times, cpu = interleaved(fns, args.repeat, target)
    result = {"systems": {}, "missing": missing, "errors": errors}
    for system, ts in times.items():
        cs = cpu[system]
        result["systems"][system] = {
            "median_ms": 1e3 * percentile(ts, 0.5), "p25_ms": 1e3 * percentile(ts, 0.25),
            "p75_ms": 1e3 * percentile(ts, 0.75), "min_ms": 1e3 * min(ts),
            "ratio": percentile([a / b for a, b in zip(ts, times[HAND])], 0.5),
            "cpu_median_ms": 1e3 * percentile(cs, 0.5),
            "cpu_ratio": percentile([a / b for a, b in zip(cs, cpu[HAND])], 0.5),
            "max_rel_err": worst.get(system)}
    result["compile_ms"], result["first_call_ms"] = 1e3 * compile_s, 1e3 * first_call
    for key, ts in (("grad_over_forward", times), ("grad_over_forward_cpu", cpu)):
        result[key] = percentile([a / b for a, b in zip(ts[KNETC], ts[FORWARD])], 0.5)
    result["peak_bytes"] = {KNETC: peak_bytes(fns[KNETC]), HAND: peak_bytes(fns[HAND])}
    return result


def child(args):
    threads = args.threads[0]
    import numpy as np
    out = {"threads": threads, "numpy": np.__version__, "models": {}}
    for name in args.models:
        out["models"][name] = bench_model(name, args, threads)
        knetc_ratio = out["models"][name]["systems"][KNETC]["ratio"]
        print(f"#   {name}: knetc {knetc_ratio:.2f}x hand-written", file=sys.stderr)
    with open(args.child, "w") as f:
        json.dump(out, f, indent=1)


# ---------------------------------------------------------------- reporting

def print_table(runs, names, header=True, file=sys.stdout):
    if header:
        print("| threads | model | system | median ms | p25-p75 ms | ratio to hand-written "
              "| CPU ms | CPU ratio |", file=file)
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |", file=file)
    for threads, run in runs.items():
        for name in names:
            res = run["models"].get(name)
            if res is None:
                continue
            for system, s in res["systems"].items():
                if system == FORWARD:
                    continue
                print(f"| {threads} | {name} | {system} | {s['median_ms']:.3f} | "
                      f"{s['p25_ms']:.3f}-{s['p75_ms']:.3f} | {s['ratio']:.2f}x | "
                      f"{s['cpu_median_ms']:.3f} | {s['cpu_ratio']:.2f}x |", file=file)
            for system, why in {**res["missing"], **res["errors"]}.items():
                print(f"| {threads} | {name} | {system} | - | - | {why.splitlines()[0]} "
                      "| - | - |", file=file)


def print_notes(runs, names, file=sys.stdout):
    print("\n| threads | model | knetc compile ms | first call ms (with compile) "
          "| knetc grad/forward "
          "| peak MiB knetc | peak MiB hand | peak ratio |", file=file)
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |", file=file)
    for threads, run in runs.items():
        for name in names:
            res = run["models"].get(name)
            if res is None:
                continue
            pk, ph = res["peak_bytes"][KNETC], res["peak_bytes"][HAND]
            print(f"| {threads} | {name} | {res['compile_ms']:.0f} | {res['first_call_ms']:.0f} | "
                  f"{res['grad_over_forward']:.2f} ({res['grad_over_forward_cpu']:.2f} CPU) | "
                  f"{pk / 2**20:.2f} | {ph / 2**20:.2f} | "
                  f"{pk / ph:.2f} |", file=file)


def pin_to(threads):
    """A preexec_fn that keeps the child (and every thread it starts) on `threads` CPUs, so
    that no system uses more cores than the row says (XLA, for one, starts its own pools)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))[:threads]
    return lambda: os.sched_setaffinity(0, cpus)


def main(argv=None):
    args = parse_args(argv)
    import models
    args.models = args.models or list(models.MODELS)
    unknown = set(args.models) - set(models.MODELS)
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; choose from {models.MODELS}")
    if args.child:
        return child(args)
    runs = {}
    for threads in args.threads:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.json")
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(threads),
                   "--repeat", str(args.repeat), "--child", path, "--models", *args.models]
            cmd += ["--quick"] if args.quick else []
            cmd += [] if args.peers else ["--no-peers"]
            env = {**os.environ, **peers.env_for_threads(threads)}
            print(f"# {threads} thread(s), {args.repeat} rounds", file=sys.stderr)
            subprocess.run(cmd, env=env, check=True, preexec_fn=pin_to(threads))
            with open(path) as f:
                runs[str(threads)] = json.load(f)
    meta = {"command": "python bench/run.py " + " ".join(argv if argv is not None
                                                            else sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d %H:%M"), "python": platform.python_version(),
            "machine": platform.machine(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "repeat": args.repeat, "quick": args.quick}
    print_table(runs, args.models)
    print_notes(runs, args.models)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "runs": runs}, f, indent=1)
    print(f"\nsaved {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
