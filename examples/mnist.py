"""Softmax classification and a multi-layer perceptron on MNIST, with gradients from knetc.grad.

A port of the "Softmax classification" and "Multi-layer perceptron" examples of Knet's 2016
tutorial. The model is plain NumPy: `predict` and `loss` below are the tutorial's functions,
knetc reads their source and writes the gradient as Python source. Data layout is the
tutorial's: one column per image, x is 784 x N and the gold answers are one-hot, 10 x N.

    python examples/mnist.py                       # softmax, 10 epochs of SGD, lr 0.5
    python examples/mnist.py --model mlp           # 784-64-10 with a rectifier
    python examples/mnist.py --model mlp --hidden 128 64
    python examples/mnist.py --source              # print the generated gradient code
    python examples/mnist.py --model mlp --gpu     # on the GPU (CuPy and an NVIDIA GPU)

MNIST is read with knetc.data.mnist from --data, else $KNETC_DATA, else ~/.cache/knetc
(downloaded there when missing).
"""
import argparse
import sys
import time

import numpy as np

import knetc
from knetc import logp


def predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = np.maximum(0, w[i] @ x + w[i + 1])
    return w[-2] @ x + w[-1]


def loss(w, x, ygold):
    ypred = predict(w, x)
    ynorm = logp(ypred, axis=0)  # ypred - log(sum(exp(ypred), axis=0)), without overflow
    return -np.sum(ygold * ynorm) / ygold.shape[1]


lossgradient = knetc.grad(loss)


def train(w, data, lr=0.5):
    for x, y in data:
        dw = lossgradient(w, x, y)
        for i in range(len(w)):
            w[i] -= lr * dw[i]
    return w


def accuracy(w, data):
    ncorrect = ninstance = 0
    for x, ygold in data:
        ypred = predict(w, x)
        ncorrect += np.sum(ygold * (ypred == np.max(ypred, axis=0, keepdims=True)))
        ninstance += ygold.shape[1]
    return float(ncorrect / ninstance)  # on the GPU the count stays there until this one copy


def weights(sizes, rng):
    """The tutorial's initialization: -0.1 + 0.2*rand(Float32, out, in) and zero biases,
    for layer sizes e.g. [784, 10] (softmax) or [784, 64, 10] (MLP)."""
    w = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        w.append(np.float32(-0.1) + np.float32(0.2) * rng.random((nout, nin), dtype=np.float32))
        w.append(np.zeros((nout, 1), dtype=np.float32))
    return w


# Everything below is the command line: loading the data and running the loops above.


def onehot(labels, nclass=10):
    """Labels 0..9 of shape (N,) as the tutorial's gold answers: a one-hot nclass x N matrix."""
    y = np.zeros((nclass, len(labels)), dtype=np.float32)
    y[labels, np.arange(len(labels))] = 1
    return y


def show(*items):
    """Print a line the way Julia prints the tutorial's tuples: (:epoch, 1, :trn, 0.9161)."""
    text = [f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x) for x in items]
    print("(" + ", ".join(text) + ")", flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Train a softmax model or a multi-layer perceptron on MNIST with knetc "
                    "(the Knet tutorial's mnist example). Prints training and test accuracy "
                    "after every epoch, as (:epoch, n, :trn, accuracy, :tst, accuracy, "
                    ":time, seconds of training).")
    parser.add_argument("--model", choices=["softmax", "mlp"], default="softmax",
                        help="softmax: a linear model 784-10; mlp: 784-HIDDEN...-10 with "
                             "rectifiers (default: softmax)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[64], metavar="H",
                        help="hidden layer sizes of the mlp (default: 64)")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training "
                        "data (default: 10)")
    parser.add_argument("--lr", type=float, default=0.5,
                        help="SGD learning rate (default: 0.5, the tutorial's)")
    parser.add_argument("--batchsize", type=int, default=100,
                        help="instances per minibatch (default: 100)")
    parser.add_argument("--noshuffle", dest="shuffle", action="store_false",
                        help="visit the training minibatches in the same order every epoch, "
                             "as the tutorial does (default: a new random order every epoch)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed for the weights and shuffling (default: 1)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="directory with the four MNIST .gz files, or with mnist/ holding "
                             "them (default: $KNETC_DATA, else ~/.cache/knetc)")
    parser.add_argument("--gpu", action="store_true",
                        help="run on the GPU: parameters and data as knetc.KnetArrays (needs "
                             "CuPy and an NVIDIA GPU)")
    parser.add_argument("--source", action="store_true",
                        help="print the generated gradient code of loss and exit")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.source:
        print(knetc.source(lossgradient))
        return 0
    if args.gpu:
        try:
            knetc.cuda.default_device()     # no GPU (or no CuPy): one line, before any work
        except knetc.NoGPUError as e:
            print(f"mnist: {e}", file=sys.stderr)
            return 2
    # Knet's `atype`: where the arrays live. knetc.gpu moves the whole data sets and the weights
    # to the GPU once, as KnetArrays; minibatch then slices them there, and predict, loss, train
    # and accuracy run unchanged.
    atype = knetc.gpu if args.gpu else (lambda tree: tree)

    rng = np.random.default_rng(args.seed)
    knetc.seed(args.seed)
    xtrn, ytrn, xtst, ytst = knetc.data.mnist(args.data)
    xtrn, ytrn, xtst, ytst = atype((xtrn, onehot(ytrn), xtst, onehot(ytst)))
    dtrn = knetc.minibatch(xtrn, ytrn, args.batchsize, shuffle=args.shuffle)
    dtst = knetc.minibatch(xtst, ytst, args.batchsize, partial=True)
    # Accuracy is measured on the whole training set, in order, whatever the batches.
    dacc = knetc.minibatch(xtrn, ytrn, args.batchsize, partial=True)
    hidden = args.hidden if args.model == "mlp" else []
    w = atype(weights([xtrn.shape[0], *hidden, 10], rng))

    show(":epoch", 0, ":trn", accuracy(w, dacc), ":tst", accuracy(w, dtst))
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train(w, knetc.progress(dtrn, desc=f"epoch {epoch}", unit="batch"), lr=args.lr)
        seconds = time.perf_counter() - start
        show(":epoch", epoch, ":trn", accuracy(w, dacc), ":tst", accuracy(w, dtst),
             ":time", seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
