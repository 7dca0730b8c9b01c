"""The LeNet convolutional network on MNIST, with gradients from knetc.grad.

A port of the "Convolutional neural network" example of Knet's 2016 tutorial: two
convolution + rectifier + max-pooling layers followed by two dense layers. Images are
N x C x H x W (batch first, as in cuDNN and PyTorch; Knet's Julia arrays are W x H x C x N),
filters O x C x kh x kw, and `knetc.mat` flattens the pooled images into a features x N
matrix for the dense layers, whose outputs are 10 x N class scores as in the tutorial.

    python examples/lenet.py                     # Adam, lr 0.001, 3 epochs
    python examples/lenet.py --subset 5000       # train on the first 5000 images only
    python examples/lenet.py --optim sgd --lr 0.1 --epochs 10
    python examples/lenet.py --source            # print the generated gradient code
    python examples/lenet.py --gpu               # on the GPU (CuPy and an NVIDIA GPU)

MNIST is read with knetc.data.mnist from --data, else $KNETC_DATA, else ~/.cache/knetc
(downloaded there when missing).
"""
import argparse
import sys
import time

import numpy as np

import knetc
from knetc import conv4, logp, mat, pool


def predict(w, x0):
    x1 = pool(np.maximum(0, conv4(w[0], x0) + w[1]))
    x2 = pool(np.maximum(0, conv4(w[2], x1) + w[3]))
    x3 = np.maximum(0, w[4] @ mat(x2) + w[5])
    return w[6] @ x3 + w[7]


def loss(w, x, ygold):
    ypred = predict(w, x)
    ynorm = logp(ypred, axis=0)  # ypred - log(sum(exp(ypred), axis=0)), without overflow
    return -np.sum(ygold * ynorm) / ygold.shape[1]


lossgradient = knetc.value_and_grad(loss)


def train(w, data, opt, desc=None):
    bar = knetc.progress(data, desc=desc, unit="batch")   # a tqdm bar, silent in pipes
    for x, y in bar:
        value, dw = lossgradient(w, x, y)
        knetc.update(w, dw, opt)
        if not bar.disable:        # float() waits for the GPU: only when the bar is drawn
            bar.set_postfix(loss=f"{float(value):.4f}", refresh=False)
    return w


def accuracy(w, data):
    ncorrect = ninstance = 0
    for x, ygold in data:
        ypred = predict(w, x)
        ncorrect += np.sum(ygold * (ypred == np.max(ypred, axis=0, keepdims=True)))
        ninstance += ygold.shape[1]
    return float(ncorrect / ninstance)  # on the GPU the count stays there until this one copy


def weights(rng):
    """The tutorial's initialization, -0.1 + 0.2*rand(Float32, ...) and zero biases, in
    knetc's layouts: filters O x C x kh x kw, biases 1 x O x 1 x 1, dense weights out x in."""
    def rand(*shape):
        return np.float32(-0.1) + np.float32(0.2) * rng.random(shape, dtype=np.float32)

    return [rand(20, 1, 5, 5), np.zeros((1, 20, 1, 1), dtype=np.float32),
            rand(50, 20, 5, 5), np.zeros((1, 50, 1, 1), dtype=np.float32),
            rand(500, 800), np.zeros((500, 1), dtype=np.float32),
            rand(10, 500), np.zeros((10, 1), dtype=np.float32)]


# Everything below is the command line: loading the data and running the loops above.

OPTIMIZERS = {"adam": (knetc.Adam, 0.001), "momentum": (knetc.Momentum, 0.01),
              "nesterov": (knetc.Nesterov, 0.01), "sgd": (knetc.SGD, 0.1)}


def onehot(labels, nclass=10):
    """Labels 0..9 of shape (N,) as the tutorial's gold answers: a one-hot nclass x N matrix."""
    y = np.zeros((nclass, len(labels)), dtype=np.float32)
    y[labels, np.arange(len(labels))] = 1
    return y


def images(x):
    """The loader's 784 x N pixel columns as N x 1 x 28 x 28 images."""
    return np.ascontiguousarray(x.T).reshape(-1, 1, 28, 28)


def show(*items):
    """Print a line the way Julia prints the tutorial's tuples: (:epoch, 1, :trn, 0.9861)."""
    text = [f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x) for x in items]
    print("(" + ", ".join(text) + ")", flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Train the LeNet convolutional network on MNIST with knetc (the Knet "
                    "tutorial's lenet example). Prints training and test accuracy after every "
                    "epoch, as (:epoch, n, :trn, accuracy, :tst, accuracy, :time, seconds of "
                    "training).")
    parser.add_argument("--epochs", type=int, default=3,
                        help="passes over the training data (default: 3)")
    parser.add_argument("--optim", choices=sorted(OPTIMIZERS), default="adam",
                        help="optimizer (default: adam)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default: 0.001 for adam, 0.01 for momentum and "
                             "nesterov, 0.1 for sgd)")
    parser.add_argument("--batchsize", type=int, default=100,
                        help="images per minibatch (default: 100)")
    parser.add_argument("--subset", type=int, default=None, metavar="N",
                        help="train on the first N training images only, for quick runs "
                             "(the test set stays whole)")
    parser.add_argument("--trnacc", type=int, default=10000, metavar="N",
                        help="measure training accuracy on the first N training images (or "
                             "the subset); 0 for all of them (default: 10000)")
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
            print(f"lenet: {e}", file=sys.stderr)
            return 2
    # Knet's `atype`: where the arrays live. knetc.gpu moves the whole data sets and the weights
    # to the GPU once, as KnetArrays; minibatch then slices them there, and predict, loss, train
    # and accuracy run unchanged.
    atype = knetc.gpu if args.gpu else (lambda tree: tree)
    optimizer, default_lr = OPTIMIZERS[args.optim]
    opt = optimizer(lr=default_lr if args.lr is None else args.lr)

    rng = np.random.default_rng(args.seed)
    knetc.seed(args.seed)
    xtrn, ytrn, xtst, ytst = knetc.data.mnist(args.data)
    xtrn, ytrn = images(xtrn[:, :args.subset]), onehot(ytrn[:args.subset])
    xtst, ytst = images(xtst), onehot(ytst)
    xtrn, ytrn, xtst, ytst = atype((xtrn, ytrn, xtst, ytst))
    dtrn = knetc.minibatch(xtrn, ytrn, args.batchsize, shuffle=True, axis=0)
    ntrn = args.trnacc or len(xtrn)
    dacc = knetc.minibatch(xtrn[:ntrn], ytrn[:, :ntrn], args.batchsize, partial=True, axis=0)
    dtst = knetc.minibatch(xtst, ytst, args.batchsize, partial=True, axis=0)
    w = atype(weights(rng))

    show(":epoch", 0, ":trn", accuracy(w, dacc), ":tst", accuracy(w, dtst))
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train(w, dtrn, opt, desc=f"epoch {epoch}")
        seconds = time.perf_counter() - start
        show(":epoch", epoch, ":trn", accuracy(w, dacc), ":tst", accuracy(w, dtst),
             ":time", seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
