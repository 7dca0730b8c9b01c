"""Newton-CG on the housing data: second derivatives from knetc.hvp, against plain SGD.

A one-hidden-layer network predicts house prices (the UCI data of housing.py). Each Newton
step solves (H + damping I) p = -g by a few conjugate-gradient iterations, where every
product H v is `knetc.hvp(loss)(w, x, y, v)`: reverse mode over the forward-mode code knetc
generates from `loss`, never the Hessian itself. The damping adapts as Levenberg and
Marquardt's does: a step that raises the loss is not taken and the damping grows, one that
lowers it is taken and the damping shrinks. The same number of SGD steps runs beside it,
from the same start, and both losses are printed per step.

    python examples/newton.py                    # 10 steps of each
    python examples/newton.py --steps 20 --hidden 32 --cg-iters 20
    python examples/newton.py --source           # print the generated Hessian-vector code
"""
import argparse
import os
import sys

import numpy as np

import knetc


def predict(w, x):
    h = np.tanh(w[0] @ x + w[1])
    return w[2] @ h + w[3]


def loss(w, x, y):
    return knetc.sumabs2(y - predict(w, x)) / y.shape[1]


lossgradient = knetc.value_and_grad(loss)
hessian_times = knetc.hvp(loss)   # hessian_times(w, x, y, v) = H v, v shaped like w


def dot(a, b):
    return sum(float(np.sum(u * v)) for u, v in zip(a, b))


def conjugate_gradient(w, x, y, g, damping, iters):
    """An approximate solution p of (H + damping I) p = -g, by CG on H v products."""
    p = [np.zeros_like(gi) for gi in g]
    r = [-gi for gi in g]
    d = [ri.copy() for ri in r]
    rr = dot(r, r)
    for _ in range(iters):
        hd = [h + damping * di for h, di in zip(hessian_times(w, x, y, d), d)]
        curvature = dot(d, hd)
        if curvature <= 0:  # not a descent direction any more: stop where we are
            break
        alpha = rr / curvature
        p = [pi + alpha * di for pi, di in zip(p, d)]
        r = [ri - alpha * hi for ri, hi in zip(r, hd)]
        rr, previous = dot(r, r), rr
        if rr < 1e-20:
            break
        d = [ri + (rr / previous) * di for ri, di in zip(r, d)]
    return p


def init(hidden, rng):
    return [rng.standard_normal((hidden, 13)) * 0.3, np.zeros((hidden, 1)),
            rng.standard_normal((1, hidden)) * 0.3, np.zeros((1, 1))]


# Everything below is the command line: loading the data (as housing.py does) and running
# both optimizers.

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from housing import DEFAULT_DATA, load_housing  # noqa: E402  (the example beside this one)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Fit a small network to the Boston housing data by Newton-CG with "
                    "Hessian-vector products from knetc.hvp, and by SGD for comparison. "
                    "Prints both losses (mean squared error) per step.")
    parser.add_argument("--steps", type=int, default=10, help="steps of each optimizer")
    parser.add_argument("--hidden", type=int, default=16, help="hidden units")
    parser.add_argument("--cg-iters", type=int, default=10,
                        help="conjugate-gradient iterations (H v products) per Newton step")
    parser.add_argument("--damping", type=float, default=1.0,
                        help="initial damping, added to the Hessian's diagonal and adapted "
                             "after every step (Levenberg-Marquardt)")
    parser.add_argument("--lr", type=float, default=0.02, help="SGD learning rate")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the initial weights")
    parser.add_argument("--data", default=os.environ.get("KNETC_HOUSING", DEFAULT_DATA),
                        help="housing.data (default: examples/data/housing.data, or "
                             "$KNETC_HOUSING)")
    parser.add_argument("--source", action="store_true",
                        help="print the generated code behind knetc.hvp(loss) and exit")
    args = parser.parse_args(argv)
    if args.source:
        from knetc.higher import tangent_function
        print(knetc.source(knetc.grad(tangent_function(loss, (0,)), argnums=1)))
        return 0
    if not os.path.exists(args.data):
        print(f"newton.py: no housing data at {args.data}; pass --data FILE or set "
              "KNETC_HOUSING", file=sys.stderr)
        return 2
    x, y = load_housing(args.data)
    rng = np.random.default_rng(args.seed)
    newton = init(args.hidden, rng)
    sgd = [wi.copy() for wi in newton]
    print(f"{'step':>4}  {'Newton-CG loss':>14}  {'SGD loss':>10}")
    print(f"{0:4d}  {loss(newton, x, y):14.4f}  {loss(sgd, x, y):10.4f}")
    damping = args.damping
    for step in range(1, args.steps + 1):
        value, g = lossgradient(newton, x, y)
        p = conjugate_gradient(newton, x, y, g, damping, args.cg_iters)
        trial = [wi + pi for wi, pi in zip(newton, p)]
        if loss(trial, x, y) < value:
            newton, damping = trial, max(damping / 2, 1e-4)
        else:  # too long a step for the local quadratic model: trust it less
            damping *= 4
        _, g = lossgradient(sgd, x, y)
        sgd = [wi - args.lr * gi for wi, gi in zip(sgd, g)]
        print(f"{step:4d}  {loss(newton, x, y):14.4f}  {loss(sgd, x, y):10.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
