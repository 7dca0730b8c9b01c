"""The five models of the Knet tutorial at its sizes, float32, each written twice.

For every model: `loss`, the loss as a knetc user writes it (plain NumPy and knetc's
operators, differentiated by `knetc.grad`), and `hand`, a hand-written NumPy forward and
backward pass of the same mathematics that returns the gradient with the structure of `w`.
`make(name, seed)` returns a `Model` with both and random data of the tutorial's shapes.

LeNet's hand-written pass calls knetc/conv.py's conv4, conv4_grad_w, conv4_grad_x, pool and
pool_grad, the very kernels knetc's adjoint rules call, so that only the AD overhead differs.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from knetc import conv as kconv
from knetc import conv4, logp, mat, pool, relu, sigm, sumabs2

F32 = np.float32


@dataclass
class Model:
    name: str
    loss: Callable          # loss(w, *data): the knetc user's code
    hand: Callable          # hand(w, *data) -> gradient shaped like w
    w: list
    data: tuple
    fresh: Callable = None  # fresh(data) -> data for one call (the LSTM's state is mutated)

    def args(self):
        return (self.w,) + (self.fresh(self.data) if self.fresh else self.data)


def uniform(rng, *shape):
    """The tutorial's -0.1 + 0.2*rand(Float32, ...)."""
    return F32(-0.1) + F32(0.2) * rng.random(shape, dtype=F32)


def onehot(rng, nclass, n, axis=0):
    y = np.zeros((nclass, n), dtype=F32)
    y[rng.integers(0, nclass, n), np.arange(n)] = 1
    return y if axis == 0 else np.ascontiguousarray(y.T)


def xent_grad(ypred, ygold, axis=0):
    """d/dypred of -sum(ygold * logp(ypred, axis)) / n, n the examples (the other axis)."""
    e = np.exp(ypred - ypred.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    e *= ygold.sum(axis=axis, keepdims=True)
    e -= ygold
    e *= F32(1.0 / ypred.shape[1 - axis])
    return e


def times_transpose(g, b):
    """g @ b.T, turned into (b @ g.T).T where g has few rows against a wide b: OpenBLAS runs
    that NT product 1.3-2x slower than the turned one (bench/README.md, "Matrix products in
    the backward sweep"). knetc's `matmul_grad_a` makes the same choice, by the same rule."""
    m, n = g.shape
    if 2 <= m <= 32 and n >= 64 and b.shape[0] >= 128:
        return np.ascontiguousarray((b @ g.T).T)
    return g @ b.T


# ------------------------------------------------------------ linear regression (housing)

def linreg_loss(w, x, y):
    return sumabs2(y - (w[0] @ x + w[1])) / y.shape[1]


def linreg_hand(w, x, y):
    r = w[0] @ x
    r += w[1]
    r -= y                                  # r = prediction - y
    r *= F32(2.0 / y.shape[1])              # dloss/dprediction
    return [r @ x.T, r.sum(keepdims=True)]


# ------------------------------------------------------------ softmax classification (MNIST)

def softmax_loss(w, x, ygold):
    ypred = w[0] @ x + w[1]
    ynorm = logp(ypred, axis=0)
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def softmax_hand(w, x, ygold):
    ypred = w[0] @ x
    ypred += w[1]
    dy = xent_grad(ypred, ygold)
    return [times_transpose(dy, x), dy.sum(axis=1, keepdims=True)]


# ------------------------------------------------------------ multi-layer perceptron 784-64-10

def mlp_predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = relu(w[i] @ x + w[i + 1])
    return w[-2] @ x + w[-1]


def mlp_loss(w, x, ygold):
    ynorm = logp(mlp_predict(w, x), axis=0)
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def mlp_hand(w, x, ygold):
    hs = [x]                                # layer inputs
    for i in range(0, len(w) - 2, 2):
        h = w[i] @ hs[-1]
        h += w[i + 1]
        np.maximum(h, 0, out=h)
        hs.append(h)
    ypred = w[-2] @ hs[-1]
    ypred += w[-1]
    dy = xent_grad(ypred, ygold)
    dw = [None] * len(w)
    for i in range(len(w) - 2, -1, -2):
        h = hs[i // 2]
        dw[i], dw[i + 1] = dy @ h.T, dy.sum(axis=1, keepdims=True)
        if i:
            dy = w[i].T @ dy
            dy *= h > 0                     # relu'(z) through its output h = relu(z)
    return dw


# ------------------------------------------------------------ LeNet (NCHW, knetc's layout)

def lenet_predict(w, x0):
    x1 = pool(relu(conv4(w[0], x0) + w[1]))
    x2 = pool(relu(conv4(w[2], x1) + w[3]))
    x3 = relu(w[4] @ mat(x2) + w[5])
    return w[6] @ x3 + w[7]


def lenet_loss(w, x, ygold):
    ynorm = logp(lenet_predict(w, x), axis=0)
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def _conv_relu(w, b, x):
    z = kconv.conv4(w, x)
    z += b
    return np.maximum(z, 0, out=z)


def lenet_hand(w, x0, ygold):
    r1 = _conv_relu(w[0], w[1], x0)
    x1 = kconv.pool(r1)
    r2 = _conv_relu(w[2], w[3], x1)
    x2 = kconv.pool(r2)
    m = x2.reshape(x2.shape[0], -1).T
    x3 = w[4] @ m
    x3 += w[5]
    np.maximum(x3, 0, out=x3)
    ypred = w[6] @ x3
    ypred += w[7]
    dy = xent_grad(ypred, ygold)
    dw = [None] * 8
    dw[6], dw[7] = times_transpose(dy, x3), dy.sum(axis=1, keepdims=True)
    d3 = w[6].T @ dy
    d3 *= x3 > 0
    dw[4], dw[5] = d3 @ m.T, d3.sum(axis=1, keepdims=True)
    dx2 = (w[4].T @ d3).T.reshape(x2.shape)
    dr2 = kconv.pool_grad(dx2, x2, r2)
    dr2 *= r2 > 0
    dw[2], dw[3] = kconv.conv4_grad_w(dr2, w[2], x1), dr2.sum(axis=(0, 2, 3), keepdims=True)
    dr1 = kconv.pool_grad(kconv.conv4_grad_x(dr2, w[2], x1), x1, r1)
    dr1 *= r1 > 0
    dw[0], dw[1] = kconv.conv4_grad_w(dr1, w[0], x0), dr1.sum(axis=(0, 2, 3), keepdims=True)
    return dw


# ------------------------------------------------------------ character LSTM (rows = batch)

def lstm(weight, bias, hidden, cell, input):
    gates = np.hstack((input, hidden)) @ weight + bias
    hsize = hidden.shape[1]
    forget = sigm(gates[:, 0:hsize])
    ingate = sigm(gates[:, hsize:2 * hsize])
    outgate = sigm(gates[:, 2 * hsize:3 * hsize])
    change = np.tanh(gates[:, 3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return (hidden, cell)


def lstm_predict(w, s, x):
    x = x @ w[-3]
    for i in range(0, len(s), 2):
        s[i], s[i + 1] = lstm(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s[i]
    return x @ w[-2] + w[-1]


def lstm_loss(param, state, sequence):
    total = 0.0
    count = 0
    input = sequence[0]
    for t in range(len(sequence) - 1):
        ypred = lstm_predict(param, state, input)
        ynorm = logp(ypred, axis=1)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        input = ygold
    return -total / count


def lstm_hand(w, state, sequence):
    """One LSTM layer. The recurrence runs step by step; the embedding, the output layer and
    the weight gradients are single GEMMs over all steps (the same sums, fewer calls)."""
    W, b, E, Wo, bo = w
    h, c = state
    steps, (n, hs) = len(sequence) - 1, h.shape
    xin = np.stack(sequence[:-1]).reshape(steps * n, -1)       # one-hot inputs, all steps
    emb = xin @ E
    nx = emb.shape[1]
    xh = np.empty((steps, n, nx + hs), dtype=F32)              # hcat(x, h) of every step
    xh[:, :, :nx] = emb.reshape(steps, n, nx)
    acts = np.empty((steps, n, 4 * hs), dtype=F32)             # forget, in, out, change
    cells = np.empty((steps + 1, n, hs), dtype=F32)
    tanhc = np.empty((steps, n, hs), dtype=F32)
    hid = np.empty((steps, n, hs), dtype=F32)
    cells[0] = c
    for t in range(steps):
        xh[t, :, nx:] = h
        a = np.matmul(xh[t], W, out=acts[t])
        a += b
        sigm_inplace(a[:, :3 * hs])
        np.tanh(a[:, 3 * hs:], out=a[:, 3 * hs:])
        f, i, o, g = a[:, :hs], a[:, hs:2 * hs], a[:, 2 * hs:3 * hs], a[:, 3 * hs:]
        c = np.multiply(cells[t], f, out=cells[t + 1])
        c += i * g
        h = np.multiply(o, np.tanh(c, out=tanhc[t]), out=hid[t])
    state[0], state[1] = h.copy(), c.copy()
    hall = hid.reshape(steps * n, hs)
    ypred = hall @ Wo
    ypred += bo
    ygold = np.stack(sequence[1:]).reshape(steps * n, -1)
    dy = xent_grad(ypred, ygold, axis=1)
    dWo, dbo = hall.T @ dy, dy.sum(axis=0, keepdims=True)
    dhid = (dy @ Wo.T).reshape(steps, n, hs)
    dgates = np.empty_like(acts)
    dh = np.zeros((n, hs), dtype=F32)
    dc = np.zeros((n, hs), dtype=F32)
    for t in range(steps - 1, -1, -1):
        a, tc, dg = acts[t], tanhc[t], dgates[t]
        f, i, o, g = a[:, :hs], a[:, hs:2 * hs], a[:, 2 * hs:3 * hs], a[:, 3 * hs:]
        dh += dhid[t]
        np.multiply(dh, tc, out=dg[:, 2 * hs:3 * hs])                 # d outgate
        dc += dh * o * (1 - tc * tc)
        np.multiply(dc, cells[t], out=dg[:, :hs])                     # d forget
        np.multiply(dc, g, out=dg[:, hs:2 * hs])                      # d ingate
        np.multiply(dc, i, out=dg[:, 3 * hs:])                        # d change
        dg[:, :3 * hs] *= a[:, :3 * hs] * (1 - a[:, :3 * hs])         # through sigm
        dg[:, 3 * hs:] *= 1 - g * g                                   # through tanh
        dc *= f
        dh = times_transpose(dg, W[nx:])
    dgall = dgates.reshape(steps * n, 4 * hs)
    dW = xh.reshape(steps * n, -1).T @ dgall
    demb = dgall @ W[:nx].T
    return [dW, dgall.sum(axis=0, keepdims=True), xin.T @ demb, dWo, dbo]


def sigm_inplace(a):
    """a = 1 / (1 + exp(-a)), in place (float32: exp(-a) may overflow to inf, giving 0)."""
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1
        np.reciprocal(a, out=a)
    return a


def lstm_fresh(data):
    state, sequence = data
    return ([s.copy() for s in state], sequence)


# ------------------------------------------------------------ data

def make(name, seed=0):
    rng = np.random.default_rng(seed)
    if name == "linreg":
        x = rng.standard_normal((13, 506), dtype=F32)
        y = (F32(20) + F32(9) * rng.standard_normal((1, 506), dtype=F32))
        w = [F32(0.1) * rng.standard_normal((1, 13), dtype=F32), np.zeros((1, 1), F32)]
        return Model(name, linreg_loss, linreg_hand, w, (x, y))
    if name in ("softmax", "mlp"):
        x = rng.random((784, 100), dtype=F32)
        y = onehot(rng, 10, 100)
        sizes = [784, 10] if name == "softmax" else [784, 64, 10]
        w = []
        for nin, nout in zip(sizes[:-1], sizes[1:]):
            w += [uniform(rng, nout, nin), np.zeros((nout, 1), F32)]
        if name == "softmax":
            return Model(name, softmax_loss, softmax_hand, w, (x, y))
        return Model(name, mlp_loss, mlp_hand, w, (x, y))
    if name == "lenet":
        x = rng.random((100, 1, 28, 28), dtype=F32)
        y = onehot(rng, 10, 100)
        w = [uniform(rng, 20, 1, 5, 5), np.zeros((1, 20, 1, 1), F32),
             uniform(rng, 50, 20, 5, 5), np.zeros((1, 50, 1, 1), F32),
             uniform(rng, 500, 800), np.zeros((500, 1), F32),
             uniform(rng, 10, 500), np.zeros((10, 1), F32)]
        return Model(name, lenet_loss, lenet_hand, w, (x, y))
    if name == "lstm":
        vocab, embed, hidden, batch, steps = 84, 168, 256, 32, 25
        eye = np.eye(vocab, dtype=F32)
        sequence = [eye[rng.integers(0, vocab, batch)] for _ in range(steps + 1)]
        state = [F32(0.5) * rng.standard_normal((batch, hidden), dtype=F32) for _ in range(2)]
        bias = np.zeros((1, 4 * hidden), F32)
        bias[:, :hidden] = 1                                       # forget gates open
        w = [F32(0.3) * rng.standard_normal((embed + hidden, 4 * hidden), dtype=F32), bias,
             F32(0.3) * rng.standard_normal((vocab, embed), dtype=F32),
             F32(0.3) * rng.standard_normal((hidden, vocab), dtype=F32),
             np.zeros((1, vocab), F32)]
        return Model(name, lstm_loss, lstm_hand, w, (state, sequence), fresh=lstm_fresh)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


MODELS = ("linreg", "softmax", "mlp", "lenet", "lstm")
