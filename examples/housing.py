"""Linear regression on the UCI Boston housing data, trained with gradients from knetc.grad.

A port of the "Linear regression" example of Knet's 2016 tutorial. The model is two plain
NumPy functions; knetc reads their source and writes the gradient as Python source.

    python examples/housing.py              # 10 steps of SGD, printing the loss
    python examples/housing.py --source     # print the generated gradient code and exit
"""
import argparse
import os

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
        description="Train a linear regression model on the Boston housing data with knetc.")
    parser.add_argument("--steps", type=int, default=10, help="SGD steps (default: 10)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default: 0.1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for w (default: 1)")
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="path to housing.data (default: the copy shipped with this script)")
    parser.add_argument("--source", action="store_true",
                        help="print the generated gradient code of loss and exit")
    args = parser.parse_args(argv)

    if args.source:
        print(knetc.source(knetc.grad(loss)))
        return 0

    x, y = load_housing(args.data)
    rng = np.random.default_rng(args.seed)
    w = [0.1 * rng.standard_normal((1, 13)), 0.0]
    # Line k is the loss after k steps, as in the tutorial (which prints lines 1..10).
    for step in range(args.steps):
        value = train(w, [(x, y)], lr=args.lr)
        print(f"step {step:3d}  loss {float(value):10.4f}")
    print(f"step {args.steps:3d}  loss {float(loss(w, x, y)):10.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
