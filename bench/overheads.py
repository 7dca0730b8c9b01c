"""What the inefficiencies in knetc's generated code cost: the code patched by hand, timed.

    python bench/overheads.py                  # all models, 1 thread
    python bench/overheads.py --models lstm --rounds 61

For each model this takes the gradient code knetc generated (`knetc.source`), applies one
hand-made patch at a time (a textual edit of the generated source, re-executed with the same
helpers), checks that the patched gradient still equals knetc's, and times it against the
unpatched code re-executed the same way, in interleaved rounds (`run.interleaved`). A patch
whose text no longer occurs in the generated code is reported as "no longer applies": the
compiler has changed that code. It also counts the runtime-helper calls per gradient and
times the LSTM written by hand step by step (the forward's structure, per-step products), to
split the LSTM's gap into what batching over time buys and what the AD overhead costs.
"""
import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")    # one thread unless told otherwise, before NumPy loads

import run  # noqa: E402  (sets sys.path for knetc and the bench modules)

import numpy as np  # noqa: E402

import knetc  # noqa: E402
import models  # noqa: E402
from knetc import api  # noqa: E402
from knetc.compiler.emit import HELPERS  # noqa: E402

_UB_SAME = "unbroadcast on operands of equal shape"


def compiled(m):
    knetc.grad(m.loss)(*m.args())
    return api._compiled(m.loss, 0, m.args())


def variant(c, patches, extra=None):
    """The generated gradient with `patches` ((old, new) pairs of source text) applied."""
    text = c.text
    for old, new in patches:
        if old not in text:
            raise LookupError(old)
        text = text.replace(old, new)
    ns = {**c.function.__globals__, **HELPERS, "np": np, **(extra or {})}
    exec(compile(text, "<knetc variant>", "exec"), ns)
    return ns[c.function.__name__], ns


def same_shape_unbroadcasts(c, m):
    """Patches replacing each `unbroadcast(g, x)` whose operands always had equal shapes."""
    seen = {}                                  # line number -> always equal shapes so far
    ub = HELPERS["unbroadcast"]

    def spy(g, x):
        line = sys._getframe(1).f_lineno
        seen[line] = seen.get(line, True) and np.shape(g) == np.shape(x)
        return ub(g, x)

    f, _ = variant(c, [], {"unbroadcast": spy})
    f(*m.args())
    lines = c.text.splitlines(True)
    patches = []
    for number in sorted(n for n, same in seen.items() if same):
        old = lines[number - 1]
        head, _, call = old.partition("unbroadcast(")
        arg = call.rsplit(",", 1)[0]           # unbroadcast(<g>, <x>) on one line
        if arg.count("(") == arg.count(")") and old.rstrip().endswith(")"):
            patches.append((old, f"{head}{arg}\n"))
    return patches


def shape_only(x):
    """A read-only stand-in with x's shape and dtype that holds one element."""
    return np.broadcast_to(np.zeros((), x.dtype), x.shape)


def accumulate(total, new):
    """dparam = dparam + new, adding into the arrays of `total` where it owns them; a weight
    adjoint still waiting to be multiplied out (a knetc Pending) adds as it does in knetc."""
    def own(x):
        return np.array(x) if type(x) is np.ndarray else x
    if all(x is None for x in total):
        return [own(x) for x in new]
    for i, x in enumerate(new):
        if x is None:
            continue
        if total[i] is None:
            total[i] = own(x)
        elif type(total[i]) is np.ndarray and type(x) is np.ndarray:
            np.add(total[i], x, out=total[i])
        else:
            total[i] = total[i] + x
    return total


LENET = {
    "bias add and relu in place (forward)": [
        ("    add = conv4_2 + w_1\n    relu_2 = relu(add)\n",
         "    add = np.add(conv4_2, w_1, out=conv4_2)\n    relu_2 = np.maximum(add, 0, out=add)\n"),
        ("    add_2 = conv4_3 + w_3\n    relu_3 = relu(add_2)\n",
         "    add_2 = np.add(conv4_3, w_3, out=conv4_3)\n"
         "    relu_3 = np.maximum(add_2, 0, out=add_2)\n")],
    "relu mask applied in place (backward)": [
        ("    dadd_2 = drelu_3 * (relu_3 > 0)\n",
         "    drelu_3 *= relu_3 > 0\n    dadd_2 = drelu_3\n"),
        ("    dadd = drelu_2 * (relu_2 > 0)\n",
         "    drelu_2 *= relu_2 > 0\n    dadd = drelu_2\n")],
}
LENET["arrays saved only for their shape -> shape stand-ins (memory)"] = [
    ("stack.append((w, x0, w_0, conv4_2, w_1, relu_2, x1, w_2, conv4_3, w_3,\n"
     "        relu_3, x2, w_4, mat_2, matmul, w_5, x3, w_6, matmul_2, w_7))",
     "stack.append((w, x0, w_0, shape_only(conv4_2), w_1, relu_2, x1, w_2,\n"
     "        shape_only(conv4_3), w_3, relu_3, x2, w_4, mat_2, shape_only(matmul), w_5, x3,\n"
     "        w_6, shape_only(matmul_2), w_7))")]
MLP = {
    "bias add and relu in place (forward)": [
        ("        add = matmul + w_i1\n", "        add = np.add(matmul, w_i1, out=matmul)\n"),
        ("        x = relu(add)\n", "        x = np.maximum(add, 0, out=add)\n")],
    "relu mask applied in place (backward)": [
        ("        dadd = dx * (x > 0)\n", "        dx *= x > 0\n        dadd = dx\n")],
    "adjoint of the data x (first layer) not computed": [
        ("        dx = matmul_grad_b(dmatmul, w_i, x)\n",
         "        dx = matmul_grad_b(dmatmul, w_i, x) if i else None\n")],
}
LSTM = {
    "three knetc.sigm calls on gate slices -> one 1/(1+exp(-x)) over the three": [
        ("    forget = sigm(gates_0hsize)\n",
         "    sig3 = models.sigm_inplace(gates[:, 0:3 * hsize].copy())\n"
         "    forget = sig3[:, 0:hsize]\n"),
        ("    ingate = sigm(gates_hsize2hsiz)\n", "    ingate = sig3[:, hsize:2 * hsize]\n"),
        ("    outgate = sigm(gates_2hsize3hsi)\n",
         "    outgate = sig3[:, 2 * hsize:3 * hsize]\n")],
    "adjoint of the one-hot input computed and dropped, per step -> not computed": [
        ("    dx = matmul_grad_a(dmatmul, x, w_m3)\n", "")],
    "arrays saved only for their shape -> shape stand-ins (memory)": [
        ("stack.append((weight, bias, hidden, cell, input, items, hstack, matmul,\n"
         "        gates, hsize, forget, ingate, outgate, change, mul, mul_2, tanh))",
         "stack.append((weight, bias, hidden, cell, input, items, hstack,\n"
         "        shape_only(matmul), shape_only(gates), hsize, forget, ingate, outgate,\n"
         "        change, shape_only(mul), shape_only(mul_2), tanh))")],
    "dparam = dparam + ... per step -> in-place accumulation": [
        ("        dparam = dparam + dparam_lstm_predict\n",
         "        dparam = accumulate(dparam, dparam_lstm_predict)\n")],
    "dgates: zeros + 4 add_at (each copies) -> one concatenate": [
        ("    dgates = add_at(None, gates, np.s_[:, 3 * hsize:], dgates_3hsize)\n", ""),
        ("    dgates = add_at(dgates, gates, np.s_[:, 2 * hsize:3 * hsize],\n"
         "        dgates_2hsize3hsi)\n", ""),
        ("    dgates = add_at(dgates, gates, np.s_[:, hsize:2 * hsize], dgates_hsize2hsiz\n"
         "        )\n", ""),
        ("    dgates = add_at(dgates, gates, np.s_[:, 0:hsize], dgates_0hsize)\n",
         "    dgates = np.concatenate((dgates_0hsize, dgates_hsize2hsiz, dgates_2hsize3hsi,\n"
         "        dgates_3hsize), axis=1)\n")],
}
LINREG = {
    "value not computed (grad only: no sumabs2, no seed_grad)": [
        ("    sumabs2_2 = sumabs2(sub)\n    div = sumabs2_2 / y.shape[1]\n",
         "    sumabs2_2 = div = None\n"),  # names kept: the generated code may `del` them
        ("    ddiv = seed_grad(div)\n", "    ddiv = sub.dtype.type(1)\n"),
        ("    dsumabs2_2 = unbroadcast(ddiv / y.shape[1], sumabs2_2)\n",
         "    dsumabs2_2 = ddiv / y.shape[1]\n")],
    "gradient list built directly (no add_at chain, no finalize_grad)": [
        ("    dw = add_at(None, w, 1, dw_1)\n", ""),
        ("    dw = add_at(dw, w, 0, dw_0)\n    return div, finalize_grad(dw, w)\n",
         "    return div, [dw_0, dw_1]\n")],
    "dsub = d * 2 * sub; dadd = -dsub -> one scaled product": [
        ("    dsub = dsumabs2_2 * 2 * sub\n    dadd = unbroadcast(-dsub, add)\n",
         "    dsub = None\n    dadd = (-2 * dsumabs2_2) * sub\n")],
}
VALUE = [   # the classifiers' loss value, -sum(ygold * logp(...)) / n, when only dw is asked for
    ("    mul = ygold * ynorm\n    sum_2 = np.sum(mul)\n    neg = -sum_2\n"
     "    div = neg / ygold.shape[1]\n", "    mul = ygold\n    sum_2 = neg = div = None\n"),
    ("    ddiv = seed_grad(div)\n", "    ddiv = ynorm.dtype.type(1)\n"),
    ("    dneg = unbroadcast(ddiv / ygold.shape[1], neg)\n",
     "    dneg = ddiv / ygold.shape[1]\n")]
for table in (MLP, LENET):
    table["value not computed (grad only: no loss sum, no seed_grad)"] = VALUE
PATCHES = {"linreg": LINREG, "softmax": {"value not computed (grad only: no loss sum, no "
                                         "seed_grad)": VALUE},
           "mlp": MLP, "lenet": LENET, "lstm": LSTM}


def count_helpers(c, m):
    """{helper: calls per gradient call}."""
    counts = {}

    def counting(name, f):
        def wrapper(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return f(*args, **kwargs)
        return wrapper

    f, _ = variant(c, [], {k: counting(k, v) for k, v in HELPERS.items()})
    f(*m.args())
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def lstm_hand_stepwise(w, state, sequence):
    """The LSTM by hand in the loss's own structure: per step embedding, gates, output layer
    and log-softmax; per step weight-gradient products accumulated in place."""
    W, b, E, Wo, bo = w
    h, c = state
    steps, (n, hs), nx = len(sequence) - 1, h.shape, E.shape[1]
    saved = []
    for t in range(steps):
        xh = np.hstack((sequence[t] @ E, h))
        a = xh @ W
        a += b
        models.sigm_inplace(a[:, :3 * hs])
        np.tanh(a[:, 3 * hs:], out=a[:, 3 * hs:])
        cprev, c = c, c * a[:, :hs]
        c += a[:, hs:2 * hs] * a[:, 3 * hs:]
        tc = np.tanh(c)
        h = a[:, 2 * hs:3 * hs] * tc
        ypred = h @ Wo
        ypred += bo
        saved.append((xh, a, cprev, tc, h, ypred))
    state[0], state[1] = h, c
    dW, db, dE, dWo, dbo = (np.zeros_like(p) for p in w)
    dh, dc = np.zeros((n, hs), np.float32), np.zeros((n, hs), np.float32)
    for t in range(steps - 1, -1, -1):
        xh, a, cprev, tc, h, ypred = saved[t]
        dy = models.xent_grad(ypred, sequence[t + 1], axis=1)
        dy *= np.float32(1 / steps)
        dWo += h.T @ dy
        dbo += dy.sum(axis=0)
        dh += models.times_transpose(dy, Wo)
        f, i, o, g = a[:, :hs], a[:, hs:2 * hs], a[:, 2 * hs:3 * hs], a[:, 3 * hs:]
        dg = np.empty_like(a)
        np.multiply(dh, tc, out=dg[:, 2 * hs:3 * hs])
        dc += dh * o * (1 - tc * tc)
        np.multiply(dc, cprev, out=dg[:, :hs])
        np.multiply(dc, g, out=dg[:, hs:2 * hs])
        np.multiply(dc, i, out=dg[:, 3 * hs:])
        dg[:, :3 * hs] *= a[:, :3 * hs] * (1 - a[:, :3 * hs])
        dg[:, 3 * hs:] *= 1 - g * g
        dc *= f
        dW += xh.T @ dg
        db += dg.sum(axis=0)
        dxh = models.times_transpose(dg, W)
        dE += sequence[t].T @ dxh[:, :nx]
        dh = dxh[:, nx:]
    return [dW, db, dE, dWo, dbo]


def report(name, fns, rounds, base):
    """One row per variant, in CPU time (so run one thread): median, the difference from
    knetc ((paired ratio - 1) times knetc's median), the paired ratio, and tracemalloc's
    peak over one call."""
    _, times = run.interleaved(fns, rounds, 0.02)
    b = times[base]
    for key, ts in times.items():
        ratio = run.percentile([x / y for x, y in zip(ts, b)], 0.5)
        delta = 1e3 * (ratio - 1) * run.percentile(b, 0.5)
        peak = run.peak_bytes(fns[key]) / 2**20
        print(f"| {name} | {key} | {1e3 * run.percentile(ts, 0.5):.3f} | {delta:+.3f} | "
              f"{ratio:.3f} | {peak:.2f} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=list(models.MODELS))
    p.add_argument("--rounds", type=int, default=41)
    args = p.parse_args(argv)
    print("| model | variant | median ms | vs knetc ms | ratio to knetc | peak MiB |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    counts = {}
    for name in args.models:
        m = models.make(name)
        c = compiled(m)
        want = c.function(*m.args())[1]
        base, _ = variant(c, [])
        fns = {"knetc (generated code)": lambda: base(*m.args()),
               "hand-written": lambda: m.hand(*m.args())}
        patches = {**PATCHES.get(name, {}), _UB_SAME: same_shape_unbroadcasts(c, m)}
        for label, patch in patches.items():
            try:
                f, _ = variant(c, patch, {"accumulate": accumulate, "shape_only": shape_only,
                                         "models": models})
            except LookupError:
                print(f"| {name} | {label} | no longer applies | | | |")
                continue
            run.check(label, f(*m.args())[1], [np.asarray(x, np.float64) for x in want])
            fns[f"patched: {label} ({len(patch)} edits)"] = \
                lambda f=f: f(*m.args())
        if name == "lstm":
            fns["hand-written, step by step"] = lambda: lstm_hand_stepwise(*m.args())
        report(name, fns, args.rounds, "knetc (generated code)")
        counts[name] = count_helpers(c, m)
    print("\nRuntime-helper calls per gradient call:\n")
    for name, found in counts.items():
        print(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    x, xs = np.ones((10, 100), np.float32), [np.ones((10, 100), np.float32)] * 4
    micro = {"unbroadcast(g, x), equal shapes": lambda: HELPERS["unbroadcast"](x, x),
             "add_at(dw, w, i, g), w a list": lambda: HELPERS["add_at"](None, xs, 1, x),
             "finalize_grad(dw, w), 4 arrays": lambda: HELPERS["finalize_grad"](xs, xs),
             "seed_grad(value)": lambda: HELPERS["seed_grad"](np.float32(1))}
    print("\nPer call (us): " + ", ".join(
        f"{k} {1e6 * run.percentile(v, 0.5):.2f}"
        for k, v in run.interleaved(micro, 11, 0.01)[0].items()))


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - t:.0f} s)", file=sys.stderr)
