"""The seed tutorial's character-level LSTM language model ("Recurrent neural network"),
in Python as the tutorial writes it in Julia: row vectors (batch x features), one matrix
for all four gates, `predict` mutating the state list in place with
`s[i], s[i+1] = lstm(...)`, and the loss averaging `sum(ygold .* logp(ypred, 2))`.

Checked against finite differences in float64 with fresh state for every evaluation, and
the state the gradient leaves behind is compared with what the plain loss leaves behind.
"""
import builtins
import copy

import numpy as np
import pytest

import knetc
from corpus_util import assert_mirrors, check_mutating_program, randn, rng_for
from knetc import logp, sigm


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


def predict(w, s, x):
    x = x @ w[-3]
    for i in range(0, len(s), 2):
        s[i], s[i + 1] = lstm(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s[i]
    return x @ w[-2] + w[-1]


def loss(param, state, sequence, span=None):
    # the tutorial's `range=1:length(sequence)-1`, 0-based (`range` is a builtin in Python)
    if span is None:
        span = range(len(sequence) - 1)
    total = 0.0
    count = 0
    input = sequence[span[0]]
    for t in span:
        ypred = predict(param, state, input)
        ynorm = logp(ypred, axis=1)  # ypred .- log(sum(exp(ypred),2))
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        input = ygold
    return -total / count


def loss_tutorial_signature(param, state, sequence, range=None):
    # word for word: the optional argument is called `range`, as in the tutorial
    if range is None:
        range = builtins.range(len(sequence) - 1)
    total = 0.0
    count = 0
    input = sequence[range[0]]
    for t in range:
        ypred = predict(param, state, input)
        ynorm = logp(ypred, axis=1)
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        input = ygold
    return -total / count


def loss_fresh_state(param, state0, sequence):
    """The loss on a copy of the initial state, so that the caller's state is left alone."""
    state = list(state0)
    return loss(param, state, sequence)


def loss_fresh_state_comprehension(param, state0, sequence):
    state = [h for h in state0]   # a new list, built by a comprehension
    return loss(param, state, sequence)


# ------------------------------------------------------------------ data


def init_params(r, vocab, embed, hidden, layers):
    w = []
    nin = embed
    for _ in range(layers):
        w.append(0.5 * randn(r, nin + hidden, 4 * hidden))
        w.append(0.1 * randn(r, 1, 4 * hidden))
        nin = hidden
    w.append(0.5 * randn(r, vocab, embed))      # embedding
    w.append(0.5 * randn(r, hidden, vocab))     # output weight
    w.append(0.1 * randn(r, 1, vocab))          # output bias
    return w


def init_state(r, batch, hidden, layers, zero=True):
    s = []
    for _ in range(layers):
        if zero:
            s += [np.zeros((batch, hidden)), np.zeros((batch, hidden))]
        else:
            s += [0.3 * randn(r, batch, hidden), 0.3 * randn(r, batch, hidden)]
    return s


def one_hot_sequence(r, length, batch, vocab):
    return [np.eye(vocab)[r.integers(0, vocab, batch)] for _ in range(length)]


def problem(name, layers, zero_state=True, length=4, batch=2, vocab=5, embed=3, hidden=3):
    r = rng_for(name)
    return (init_params(r, vocab, embed, hidden, layers),
            init_state(r, batch, hidden, layers, zero_state),
            one_hot_sequence(r, length, batch, vocab))


CONFIGS = [
    pytest.param(1, True, id="1layer_zero_state"),
    pytest.param(2, True, id="2layers_zero_state"),
    pytest.param(1, False, id="1layer_random_state"),
    pytest.param(2, False, id="2layers_random_state"),
]


@pytest.mark.parametrize("layers, zero", CONFIGS)
def test_charlm_gradient_wrt_param(request, layers, zero):
    param, state, seq = problem(request.node.name, layers, zero)
    check_mutating_program(loss, (param, state, seq), 0)


@pytest.mark.parametrize("layers, zero", CONFIGS)
def test_charlm_gradient_wrt_param_and_initial_state(request, layers, zero):
    param, state, seq = problem(request.node.name, layers, zero)
    check_mutating_program(loss, (param, state, seq), (0, 1))


@pytest.mark.parametrize("layers, wrapper", [
    (1, loss_fresh_state), (2, loss_fresh_state),
    pytest.param(2, loss_fresh_state_comprehension, id="2-comprehension"),
])
def test_charlm_fresh_state_wrapper(request, layers, wrapper):
    # the state is copied inside; check_grads may then call it directly
    param, state, seq = problem(request.node.name, layers, False)
    before = copy.deepcopy(state)
    knetc.check_grads(wrapper, param, state, seq, argnums=(0, 1))
    g = knetc.grad(wrapper)(param, state, seq)
    assert_mirrors(g, param, "param")
    for a, b in zip(state, before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layers", [1, 2])
def test_state_after_gradient_equals_state_after_loss(request, layers):
    param, state, seq = problem(request.node.name, layers, False)
    plain_state = [a.copy() for a in state]
    value = loss(param, plain_state, seq)
    grad_state = [a.copy() for a in state]
    v, dparam = knetc.value_and_grad(loss)(param, grad_state, seq)
    np.testing.assert_allclose(v, value, rtol=1e-12)
    assert len(grad_state) == len(plain_state) == 2 * layers
    for a, b, s0 in zip(grad_state, plain_state, state):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        assert not np.allclose(a, s0)      # the state did advance
    assert_mirrors(dparam, param, "param")
    # the state list keeps being usable: a second gradient call continues from it
    v2 = loss(param, [a.copy() for a in grad_state], seq)
    v2g, _ = knetc.value_and_grad(loss)(param, grad_state, seq)
    np.testing.assert_allclose(v2g, v2, rtol=1e-12)


def test_explicit_range_argument(request):
    param, state, seq = problem(request.node.name, 2, False, length=5)
    check_mutating_program(loss, (param, state, seq, [1, 2, 3]), 0)


def test_tutorial_signature_with_range_parameter(request):
    param, state, seq = problem(request.node.name, 2, False, length=5)
    check_mutating_program(loss_tutorial_signature, (param, state, seq), 0)


def test_gradient_descent_lowers_the_loss(request):
    param, _, seq = problem(request.node.name, 2, True, length=6)
    batch, hidden = seq[0].shape[0], param[0].shape[1] // 4

    def fresh():
        return init_state(None, batch, hidden, 2, zero=True)

    g = knetc.grad(loss)
    first = loss(param, fresh(), seq)
    for _ in range(5):
        d = g(param, fresh(), seq)
        param = [p - 0.5 * dp for p, dp in zip(param, d)]
    assert loss(param, fresh(), seq) < first


def test_source_has_lstm_and_predict_pairs():
    src = knetc.source(knetc.grad(loss))
    for fn in ("lstm", "predict"):
        assert f"{fn}_forward" in src and f"{fn}_backward" in src
