"""Thin weight-adjoint products summed as stacked rows (knetc/runtime/deferred.py).

A `Pending` must read exactly like the array it stands for, whatever reads it, and sums must
be values: adding never changes an operand, forks copy. The gradients of recurrent models
large enough to take this path are checked against finite differences.
"""
import copy

import numpy as np
import pytest

import knetc
from knetc.runtime import deferred, linalg
from knetc.runtime.deferred import Pending, pending_product
from test_charlm_loss import loss as charlm_loss
from test_charlm_loss import loss_fresh_state

M, N = 300, 260  # thin for batches up to about 35 rows


def pieces(rng, count, k=8, dtype=np.float64):
    return [(rng.standard_normal((k, M)).astype(dtype), rng.standard_normal((k, N)).astype(dtype))
            for _ in range(count)]


def product(p, q):
    return p.T @ q


def thin_product(p, q):
    pending = pending_product(p, q)
    return product(p, q) if pending is None else pending


def test_thin_products_wait_and_others_do_not():
    rng = np.random.default_rng(0)
    (p, q), = pieces(rng, 1)
    assert type(thin_product(p, q)) is Pending
    assert type(thin_product(p[:, :20], q[:, :20])) is np.ndarray     # small output
    fat = rng.standard_normal((200, M)), rng.standard_normal((200, N))
    assert type(thin_product(*fat)) is np.ndarray                      # many rows
    assert type(thin_product(p.astype(np.float32), q)) is np.ndarray  # mixed dtypes
    assert type(thin_product(p.astype(int), q.astype(int))) is np.ndarray


@pytest.fixture
def small_buffers(monkeypatch):
    """Row buffers of twice the output's size, so that long sums multiply out on the way."""
    monkeypatch.setattr(deferred, "BUFFER_ELEMENTS", 0)


def test_sum_of_many_matches_eager_across_flushes(small_buffers):
    rng = np.random.default_rng(1)
    parts = pieces(rng, 60)  # 480 rows: more than one buffer's worth, so some multiply out
    total, want = None, np.zeros((M, N))
    for p, q in parts:
        d = thin_product(p, q)
        total = d if total is None else total + d
        want += product(p, q)
    assert type(total) is Pending
    np.testing.assert_allclose(np.asarray(total), want, rtol=1e-12, atol=1e-10)


def test_sums_are_values_forks_do_not_share_rows():
    rng = np.random.default_rng(2)
    (a, b, c, d) = [thin_product(p, q) for p, q in pieces(rng, 4)]
    va, vb, vc, vd = (product(x.rows.p, x.rows.q) for x in (a, b, c, d))
    s1 = a + b
    s2 = s1 + c          # grows s1's buffer
    s3 = s1 + d          # must not see c
    s4 = s2 + s3         # two Pendings with owned buffers
    s5 = d + s1          # the shorter run goes after the longer
    for got, want in [(s1, va + vb), (s2, va + vb + vc), (s3, va + vb + vd),
                      (s4, 2 * (va + vb) + vc + vd), (s5, va + vb + vd),
                      (a, va), (b, vb)]:
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-10)


def test_sums_with_arrays_either_side():
    rng = np.random.default_rng(3)
    (p, q), (p2, q2) = pieces(rng, 2)
    x = rng.standard_normal((M, N))
    d, d2 = thin_product(p, q), thin_product(p2, q2)
    for got in [x + d, d + x, np.add(x, d), (x + d) + d2, d2 + (d + x)]:
        assert type(got) is Pending
    np.testing.assert_allclose(np.asarray(d2 + (x + d)), x + product(p, q) + product(p2, q2),
                               rtol=1e-12, atol=1e-10)
    x_before = x.copy()
    np.asarray(x + d)
    assert np.array_equal(x, x_before), "a sum changed its array operand"
    wrong = rng.standard_normal((M, 1))   # broadcasting: made as arrays
    assert type(d + wrong) is np.ndarray
    np.testing.assert_allclose(d + wrong, product(p, q) + wrong)


@pytest.mark.parametrize("read", [
    lambda v: v * 2, lambda v: 2 * v, lambda v: v - 1, lambda v: 1 - v, lambda v: -v,
    lambda v: v / 3, lambda v: v ** 2, lambda v: abs(v), lambda v: v > 0, lambda v: v.T,
    lambda v: v.sum(axis=0), lambda v: np.sum(v), lambda v: np.exp(v), lambda v: v[3:7, 1],
    lambda v: v.reshape(-1), lambda v: np.concatenate([v, v]), lambda v: np.tanh(v).mean(),
    lambda v: v.astype(np.float32), lambda v: np.add.reduce(v, axis=1), lambda v: v @ v.T,
    lambda v: np.linalg.norm(v), lambda v: list(v)[2], lambda v: len(v), lambda v: v.shape,
    lambda v: v.dtype, lambda v: v.size, lambda v: np.shape(v), lambda v: np.ndim(v),
])
def test_anything_else_reads_the_array(read):
    rng = np.random.default_rng(4)
    (p, q), (p2, q2) = pieces(rng, 2)
    pending = thin_product(p, q) + thin_product(p2, q2)
    want = read(product(p, q) + product(p2, q2))
    got = read(pending)
    if isinstance(want, (np.ndarray, np.generic, float)):
        assert type(got) is type(want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-10)
    else:
        assert got == want


def test_multiplied_out_once_and_in_place_updates_stay():
    rng = np.random.default_rng(5)
    (p, q), = pieces(rng, 1)
    d = thin_product(p, q)
    first = np.asarray(d)
    assert np.asarray(d) is first and d.value() is first
    d[0, 0] = 7.0
    assert np.asarray(d)[0, 0] == 7.0
    out = np.zeros((M, N))
    out += d
    np.testing.assert_allclose(out, first)


def test_np_array_copies_and_add_at_leaves_the_pending_alone():
    from knetc.runtime import add_at
    rng = np.random.default_rng(11)
    (p, q), = pieces(rng, 1)
    d = thin_product(p, q)
    want = product(p, q)
    assert not np.shares_memory(np.array(d), np.asarray(d))      # copy=True copies
    assert np.asarray(d) is np.asarray(d)                         # asarray does not
    out = add_at(d, np.zeros((M, N)), np.s_[0:3], 1.0)            # copies, then adds
    np.testing.assert_allclose(np.asarray(d), want, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(out[:3], want[:3] + 1, rtol=1e-12, atol=1e-10)
    assert np.asarray(d, dtype=np.float32).dtype == np.float32


def test_repr_copy_and_dtype():
    rng = np.random.default_rng(6)
    (p, q), = pieces(rng, 1, dtype=np.float32)
    d = thin_product(p, q)
    assert d.dtype == np.float32 and d.shape == (M, N) and d.ndim == 2
    assert "not multiplied out yet" in repr(d)
    e = copy.copy(d)
    np.testing.assert_allclose(np.asarray(e), product(p, q), rtol=1e-5)
    assert np.asarray(d + d).dtype == np.float32


# ------------------------------------------------------------------ whole gradients


def rnn_loss(w, xs):
    h = np.zeros((xs[0].shape[0], w[0].shape[1]))
    total = 0.0
    for x in xs:
        h = np.tanh(np.hstack((x, h)) @ w[0] + w[1])
        total += np.sum(h * h)
    return total / len(xs)


def knet_layout_loss(w, xs):
    """Weights on the left, as Knet writes them: `w @ x`, batch along the columns."""
    h = np.zeros((w[0].shape[0], xs[0].shape[1]))
    total = 0.0
    for x in xs:
        h = np.tanh(w[0] @ np.vstack((x, h)) + w[1])
        total += np.sum(h * h)
    return total / len(xs)


def eager(monkeypatch):
    monkeypatch.setattr(linalg, "pending_product", lambda p, q: None)


def count_pending(monkeypatch):
    made = []

    def counting(p, q):
        out = deferred.pending_product(p, q)
        made.append(out is not None)
        return out
    monkeypatch.setattr(linalg, "pending_product", counting)
    return made


def test_rnn_gradient_takes_the_path_and_matches_finite_differences(small_buffers, monkeypatch):
    rng = np.random.default_rng(7)
    hidden, nin, batch, steps = 300, 40, 4, 90  # 360 rows: over the small
    # buffers (318 rows), so one multiply-out on the way
    w = [0.05 * rng.standard_normal((nin + hidden, hidden)), 0.1 * rng.standard_normal((1, hidden))]
    xs = [rng.standard_normal((batch, nin)) for _ in range(steps)]
    made = count_pending(monkeypatch)
    g = knetc.grad(rnn_loss)(w, xs)
    assert sum(made) == steps and all(type(x) is np.ndarray for x in g)
    knetc.check_grads(rnn_loss, w, xs, directions=3)
    monkeypatch.undo()
    eager(monkeypatch)
    want = knetc.grad(rnn_loss)(w, xs)
    np.testing.assert_allclose(g[0], want[0], rtol=1e-10, atol=1e-12)


def test_knet_layout_gradient_matches_finite_differences(monkeypatch):
    rng = np.random.default_rng(8)
    hidden, nin, batch, steps = 300, 40, 4, 12
    w = [0.05 * rng.standard_normal((hidden, nin + hidden)), 0.1 * rng.standard_normal((hidden, 1))]
    xs = [rng.standard_normal((nin, batch)) for _ in range(steps)]
    made = count_pending(monkeypatch)
    knetc.grad(knet_layout_loss)(w, xs)
    assert sum(made) == steps
    knetc.check_grads(knet_layout_loss, w, xs, directions=3)


def test_charlm_at_a_size_that_waits(monkeypatch):
    rng = np.random.default_rng(9)
    vocab, embed, hidden, batch, steps = 30, 64, 128, 3, 10
    param = [0.2 * rng.standard_normal((embed + hidden, 4 * hidden)),
             0.1 * rng.standard_normal((1, 4 * hidden)),
             0.2 * rng.standard_normal((vocab, embed)),
             0.2 * rng.standard_normal((hidden, vocab)),
             0.1 * rng.standard_normal((1, vocab))]
    sequence = [np.eye(vocab)[rng.integers(0, vocab, batch)] for _ in range(steps + 1)]

    def fresh():
        return [0.3 * np.ones((batch, hidden)), np.zeros((batch, hidden))]

    made = count_pending(monkeypatch)
    g = knetc.grad(charlm_loss)(param, fresh(), sequence)
    assert sum(made) >= steps

    knetc.check_grads(loss_fresh_state, param, fresh(), sequence, directions=3)
    monkeypatch.undo()
    eager(monkeypatch)
    want = knetc.grad(charlm_loss)(param, fresh(), sequence)
    for a, b in zip(g, want):
        assert type(a) is np.ndarray
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------ every program, every product waiting

def defer_everything(monkeypatch):
    """Every float matrix adjoint product becomes a Pending, the row buffers as small as they
    go (so sums multiply out on the way), and every narrow NT product is turned round."""
    def always(p, q):
        if p.dtype == q.dtype and p.dtype in deferred._FLOATS:
            return Pending(None, deferred._Rows(p, q, p.shape[0], owned=False), p.shape[0])
        return None
    monkeypatch.setattr(linalg, "pending_product", always)
    monkeypatch.setattr(deferred, "BUFFER_ELEMENTS", 0)
    monkeypatch.setattr(linalg, "_times_transpose",
                        lambda g, b: np.ascontiguousarray((b @ g.T).T))


def _program_rows():
    from test_cuda_programs import ROWS
    return [pytest.param(*row[1:], id=row[0]) for row in ROWS]


@pytest.mark.parametrize("f, build, argnums", _program_rows())
def test_every_program_with_every_product_waiting(monkeypatch, request, f, build, argnums):
    """The corpus and the examples' losses (their gradients checked against finite differences
    in their own tests) give the same gradients when every product waits: nothing reads a
    Pending wrongly, and none reaches the caller."""
    import zlib

    from corpus_util import assert_mirrors
    name = request.node.callspec.id
    args = build(np.random.default_rng(zlib.crc32(name.encode())))
    want = knetc.grad(f, argnums=argnums)(*copy.deepcopy(args))
    defer_everything(monkeypatch)
    got = knetc.grad(f, argnums=argnums)(*copy.deepcopy(args))
    pairs = [(got, want, args[argnums])] if isinstance(argnums, int) else \
        [(g, w, args[i]) for g, w, i in zip(got, want, argnums)]
    for g, w, arg in pairs:
        assert_mirrors(g, arg, name)
        for a, b in zip(_leaves(g), _leaves(w)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=name)


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for k in sorted(tree, key=repr) for x in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for item in tree for x in _leaves(item)]
    if hasattr(tree, "__dict__") and not isinstance(tree, np.ndarray):
        return _leaves(vars(tree))
    return [tree]
