"""Linear regression on the UCI Boston housing data, trained with gradients from knetc.grad.

A port of the "Linear regression" example of Knet's 2016 tutorial. The model is two plain
NumPy functions; knetc reads their source and writes the gradient as Python source.

    python examples/housing.py              # 10 steps of SGD, printing the loss
    python examples/housing.py --source     # print the generated gradient code and exit
    python examples/housing.py --epochs 20 --batchsize 32 --lr 0.01   # minibatch SGD
    python examples/housing.py --gpu        # the same on the GPU (CuPy and an NVIDIA GPU)
"""
import argparse
import os
import sys

import numpy as np

import knetc


def predict(w, x):
    return w[0] @ x + w[1]


def loss(w, x, y):
    return knetc.sumabs2(y - predict(w, x)) / y.shape[1]


lossgradient = knetc.value_and_grad(loss)


def train(w, data, lr=0.1):
    """One SGD pass over data, a list of (x, y) pairs: updates w in place, returns the last loss."""
    for x, y in data:
        value, dw = lossgradient(w, x, y)
        for i in range(len(w)):
            w[i] -= lr * dw[i]
    return value


# Everything below is the command line: loading the data and running the loop above.

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "housing.data")


def load_housing(path):
    """Return x (13 x 506, each feature normalised to mean 0, std 1) and y (1 x 506)."""
    rawdata = np.loadtxt(path)
    x = rawdata[:, 0:13].T
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    y = rawdata[:, 13:14].T
    return x, y


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Train a linear regression model on the Boston housing data with knetc. "
                    "Prints the loss (mean squared error on all 506 neighborhoods) before "
                    "each epoch and after the last.")
    parser.add_argument("--epochs", "--steps", dest="epochs", type=int, default=10,
                        help="passes over the data; with the default batch size one pass is "
                             "one SGD step, as in the tutorial (default: 10)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default: 0.1)")
    parser.add_argument("--batchsize", type=int, default=None,
                        help="neighborhoods per SGD step (default: all 506, as the tutorial)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed for w and shuffling (default: 1)")
    parser.add_argument("--data", metavar="FILE|DIR", default=DEFAULT_DATA,
                        help="housing.data, or a directory that has it (default: the copy "
                             "shipped with this script)")
    parser.add_argument("--gpu", action="store_true",
                        help="run on the GPU: parameters and data as knetc.KnetArrays (needs "
                             "CuPy and an NVIDIA GPU)")
    parser.add_argument("--source", action="store_true",
                        help="print the generated gradient code of loss and exit")
    args = parser.parse_args(argv)

    if args.source:
        print(knetc.source(knetc.grad(loss)))
        return 0
    if args.gpu:
        try:
            knetc.cuda.default_device()     # no GPU (or no CuPy): one line, before any work
        except knetc.NoGPUError as e:
            print(f"housing: {e}", file=sys.stderr)
            return 2
    # Knet's `atype`: where the arrays live. knetc.gpu moves a whole structure (here a list
    # and a tuple of arrays) to the GPU as KnetArrays; predict, loss and train are unchanged.
    atype = knetc.gpu if args.gpu else (lambda tree: tree)

    path = args.data
    if os.path.isdir(path):
        path = os.path.join(path, "housing.data")
    x, y = atype(load_housing(path))
    rng = np.random.default_rng(args.seed)
    w = atype([0.1 * rng.standard_normal((1, 13)), 0.0])
    if args.batchsize is None or args.batchsize >= y.shape[1]:
        data = [(x, y)]                                 # the tutorial: one full-batch step
    else:
        knetc.seed(args.seed)
        data = knetc.minibatch(x, y, args.batchsize, shuffle=True, partial=True)
    # Line k is the loss after k epochs, as in the tutorial (which prints lines 1..10).
    for epoch in range(args.epochs):
        print(f"step {epoch:3d}  loss {float(loss(w, x, y)):10.4f}")
        train(w, data, lr=args.lr)
    print(f"step {args.epochs:3d}  loss {float(loss(w, x, y)):10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
