"""knetc.conv4, knetc.pool and knetc.dropout: forward values against nested-loop references,
their adjoints, gradient checks of small convolutional networks, and dropout's switches."""
import itertools

import numpy as np
import pytest

import knetc
from knetc import conv as K

# ---------------------------------------------------------------- nested-loop references


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def ref_conv4(w, x, padding=0, stride=1):
    """y[n, o, a, b] = sum_{c, i, j} w[o, c, i, j] * xpad[n, c, a*sh + i, b*sw + j]."""
    (ph, pw), (sh, sw) = _pair(padding), _pair(stride)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for b_, o_, a, b in itertools.product(range(n), range(o), range(ho), range(wo)):
        total = 0.0
        for c_, i, j in itertools.product(range(c), range(kh), range(kw)):
            r, s = a * sh + i - ph, b * sw + j - pw
            if 0 <= r < h and 0 <= s < wd:
                total += float(w[o_, c_, i, j]) * float(x[b_, c_, r, s])
        y[b_, o_, a, b] = total
    return y


def ref_conv4_grads(dy, w, x, padding=0, stride=1):
    """(dw, dx) of sum(dy * conv4(w, x)), by the same loops."""
    (ph, pw), (sh, sw) = _pair(padding), _pair(stride)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    dw, dx = np.zeros(w.shape), np.zeros(x.shape)
    for b_, o_, a, b in itertools.product(*map(range, dy.shape)):
        for c_, i, j in itertools.product(range(c), range(kh), range(kw)):
            r, s = a * sh + i - ph, b * sw + j - pw
            if 0 <= r < h and 0 <= s < wd:
                dw[o_, c_, i, j] += dy[b_, o_, a, b] * x[b_, c_, r, s]
                dx[b_, c_, r, s] += dy[b_, o_, a, b] * w[o_, c_, i, j]
    return dw, dx


def ref_pool(x, window=2, stride=None, padding=0, mode="max"):
    """Returns (y, dy -> dx): max takes the first maximum of each window in row-major order
    (padding is -inf); avg divides the window sum by kh*kw, padding counted as zeros."""
    (kh, kw), (ph, pw) = _pair(window), _pair(padding)
    sh, sw = _pair(window if stride is None else stride)
    n, c, h, wd = x.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n, c, ho, wo))
    picks = {}
    for b_, c_, a, b in itertools.product(range(n), range(c), range(ho), range(wo)):
        cells = [(a * sh + i - ph, b * sw + j - pw) for i in range(kh) for j in range(kw)]
        inside = [(r, s) for r, s in cells if 0 <= r < h and 0 <= s < wd]
        values = [x[b_, c_, r, s] for r, s in inside]
        if mode == "max":
            k = int(np.argmax(values))  # the first maximum
            y[b_, c_, a, b] = values[k]
            picks[b_, c_, a, b] = [(inside[k], 1.0)]
        else:
            y[b_, c_, a, b] = sum(values) / (kh * kw)
            picks[b_, c_, a, b] = [(cell, 1.0 / (kh * kw)) for cell in inside]

    def backward(dy):
        dx = np.zeros(x.shape)
        for (b_, c_, a, b), cells in picks.items():
            for (r, s), share in cells:
                dx[b_, c_, r, s] += share * dy[b_, c_, a, b]
        return dx

    return y, backward


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


@pytest.fixture(params=["auto", "CNHW", "CHWN"])
def layout(request, monkeypatch):
    """Run a conv4 test with each internal column order (see knetc.conv._Conv)."""
    choice = {"auto": K._auto_layout, "CNHW": K._CNHW, "CHWN": K._CHWN}[request.param]
    monkeypatch.setattr(K, "_layout", choice)
    return request.param


# ---------------------------------------------------------------- conv4

# (N, C, H, W, O, kh, kw, padding, stride)
CONV_CASES = [
    (1, 1, 5, 5, 1, 3, 3, 0, 1),
    (2, 3, 7, 6, 4, 3, 2, 0, 1),
    (2, 2, 7, 7, 3, 3, 3, 1, 1),
    (3, 2, 6, 5, 2, 3, 3, 2, 1),
    (2, 3, 9, 8, 2, 3, 3, 1, 2),
    (2, 2, 8, 7, 3, 2, 3, 0, 2),
    (2, 3, 7, 9, 2, 3, 2, (1, 2), (1, 2)),
    (1, 2, 6, 7, 2, 2, 3, (2, 0), (2, 1)),
    (3, 1, 5, 5, 2, 5, 5, 2, 1),        # kernel as large as the image
    (2, 2, 4, 4, 3, 2, 2, 0, 2),        # windows tile the image exactly
    (2, 2, 7, 7, 2, 1, 1, 0, 3),        # 1x1 filters, stride larger than the kernel
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv4_matches_loops(case, dtype, layout):
    n, c, h, wd, o, kh, kw, padding, stride = case
    r = np.random.default_rng(1)
    x = r.standard_normal((n, c, h, wd)).astype(dtype)
    w = r.standard_normal((o, c, kh, kw)).astype(dtype)
    y = knetc.conv4(w, x, padding=padding, stride=stride)
    assert y.dtype == dtype
    assert y.flags.c_contiguous
    np.testing.assert_allclose(y, ref_conv4(w, x, padding, stride), **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv4_adjoints_match_loops(case, dtype, layout):
    n, c, h, wd, o, kh, kw, padding, stride = case
    r = np.random.default_rng(2)
    x = r.standard_normal((n, c, h, wd)).astype(dtype)
    w = r.standard_normal((o, c, kh, kw)).astype(dtype)
    dy = r.standard_normal(knetc.conv4(w, x, padding, stride).shape).astype(dtype)
    dw_ref, dx_ref = ref_conv4_grads(dy, w, x, padding, stride)
    dw = K.conv4_grad_w(dy, w, x, padding, stride)
    dx = K.conv4_grad_x(dy, w, x, padding, stride)
    assert dw.dtype == dtype and dx.dtype == dtype
    assert dw.shape == w.shape and dx.shape == x.shape
    np.testing.assert_allclose(dw, dw_ref, **tol(dtype))
    np.testing.assert_allclose(dx, dx_ref, **tol(dtype))


def test_conv4_layout_choice():
    """The cost model picks batch-last columns for LeNet's second layer, not for its first."""
    first = K._Conv(np.zeros((20, 1, 5, 5)), np.zeros((100, 1, 28, 28)), 0, 1)
    second = K._Conv(np.zeros((50, 20, 5, 5)), np.zeros((100, 20, 12, 12)), 0, 1)
    assert K._auto_layout(first) == K._CNHW
    assert K._auto_layout(second) == K._CHWN


def test_conv4_mixed_and_integer_dtypes():
    x = np.arange(2 * 1 * 4 * 4).reshape(2, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), dtype=np.float32)
    assert knetc.conv4(w, x).dtype == np.float64            # int images become float64
    assert knetc.conv4(w, x.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(knetc.conv4(w, x), ref_conv4(w, x))


def test_conv4_rejects_bad_shapes():
    with pytest.raises(ValueError, match="input channels"):
        knetc.conv4(np.ones((2, 3, 2, 2)), np.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="N x C x H x W"):
        knetc.conv4(np.ones((2, 3, 2, 2)), np.ones((3, 5, 5)))
    with pytest.raises(ValueError, match="does not fit"):
        knetc.conv4(np.ones((2, 1, 6, 6)), np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="stride"):
        knetc.conv4(np.ones((2, 1, 2, 2)), np.ones((1, 1, 5, 5)), stride=0)
    with pytest.raises(TypeError, match="padding"):
        knetc.conv4(np.ones((2, 1, 2, 2)), np.ones((1, 1, 5, 5)), padding=1.5)


def test_scratch_buffers_are_not_returned():
    """Outputs never alias the reused work arrays: a second call leaves the first result."""
    r = np.random.default_rng(3)
    w, x = r.standard_normal((3, 2, 3, 3)), r.standard_normal((2, 2, 6, 6))
    y1 = knetc.conv4(w, x, padding=1)
    keep = y1.copy()
    dy = r.standard_normal(y1.shape)
    dx1 = K.conv4_grad_x(dy, w, x, 1)
    keep_dx = dx1.copy()
    knetc.conv4(2 * w, 3 * x, padding=1)
    K.conv4_grad_x(2 * dy, w, x, 1)
    knetc.pool(x, 3, 1, 1)
    np.testing.assert_array_equal(y1, keep)
    np.testing.assert_array_equal(dx1, keep_dx)


# ---------------------------------------------------------------- pool

# (N, C, H, W, window, stride, padding)
POOL_CASES = [
    (2, 3, 4, 4, 2, None, 0),
    (2, 2, 5, 7, 2, None, 0),           # odd sizes: the last row/column is not pooled
    (1, 2, 7, 7, 3, 2, 1),              # overlapping windows with padding
    (2, 1, 6, 5, 3, 1, 0),
    (2, 2, 6, 6, 2, 1, 1),
    (1, 3, 7, 8, (2, 3), (1, 2), (1, 0)),
    (2, 2, 5, 5, 3, None, 2),
    (1, 1, 4, 6, (1, 2), None, 0),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_pool_matches_loops(case, dtype, mode):
    n, c, h, wd, window, stride, padding = case
    r = np.random.default_rng(4)
    x = r.standard_normal((n, c, h, wd)).astype(dtype)
    y = knetc.pool(x, window, stride, padding, mode)
    y_ref, backward = ref_pool(x, window, stride, padding, mode)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol(dtype))
    dy = r.standard_normal(y.shape).astype(dtype)
    dx = K.pool_grad(dy, y, x, window, stride, padding, mode)
    assert dx.dtype == dtype and dx.shape == x.shape
    np.testing.assert_allclose(dx, backward(dy), **tol(dtype))


@pytest.mark.parametrize("window, stride", [(2, None), (3, 1), (2, 1)])
def test_max_pool_gradient_goes_to_the_first_maximum(window, stride):
    r = np.random.default_rng(5)
    x = r.integers(0, 3, (2, 2, 6, 6)).astype(np.float64)  # many ties
    y = knetc.pool(x, window, stride)
    dy = r.standard_normal(y.shape)
    y_ref, backward = ref_pool(x, window, stride)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(K.pool_grad(dy, y, x, window, stride), backward(dy))


def test_pool_defaults_and_errors():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(knetc.pool(x), [[[[5, 7], [13, 15]]]])
    np.testing.assert_array_equal(knetc.pool(x, mode="avg"), [[[[2.5, 4.5], [10.5, 12.5]]]])
    # avg counts the padding in the divisor: the corner window holds x[0, 0] and 3 pads
    corner = knetc.pool(x, window=2, stride=2, padding=1, mode="avg")[0, 0, 0, 0]
    assert corner == x[0, 0, 0, 0] / 4
    with pytest.raises(ValueError, match="mode"):
        knetc.pool(x, mode="sum")
    with pytest.raises(ValueError, match="smaller than the window"):
        knetc.pool(x, window=2, padding=2)


# ---------------------------------------------------------------- gradients through knetc.grad


def lenet(w, x):
    """A tiny LeNet: two conv-relu-pool stages, then two dense layers, in Knet's layout."""
    h = knetc.pool(knetc.relu(knetc.conv4(w[0], x, padding=1) + w[1]))
    h = knetc.pool(knetc.relu(knetc.conv4(w[2], h) + w[3]), window=2, mode="avg")
    h = knetc.relu(w[4] @ knetc.mat(h) + w[5])
    return np.sum((w[6] @ h + w[7]) ** 2) / x.shape[0]


def lenet_params(r, dtype=np.float64):
    shapes = [(3, 2, 3, 3), (1, 3, 1, 1), (4, 3, 3, 3), (1, 4, 1, 1), (5, 4), (5, 1), (3, 5),
              (3, 1)]
    return [(0.5 * r.standard_normal(s)).astype(dtype) for s in shapes]


def strided(w, x):
    """Strides, pairs and overlapping max pooling with padding."""
    h = knetc.conv4(w[0], x, padding=(1, 2), stride=(2, 1))
    h = knetc.pool(np.tanh(h), window=3, stride=2, padding=1)
    return np.sum(knetc.mat(h) * w[1])


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_lenet_gradients(argnums, layout):
    r = np.random.default_rng(6)
    w, x = lenet_params(r), r.standard_normal((3, 2, 10, 10))
    knetc.check_grads(lenet, w, x, argnums=argnums)


def test_strided_gradients(layout):
    r = np.random.default_rng(7)
    x = r.standard_normal((2, 2, 7, 6))
    w0 = r.standard_normal((3, 2, 3, 3))
    h = knetc.pool(np.tanh(knetc.conv4(w0, x, padding=(1, 2), stride=(2, 1))), 3, 2, 1)
    w = [w0, r.standard_normal(knetc.mat(h).shape)]
    knetc.check_grads(strided, w, x, argnums=(0, 1))


def test_lenet_float32_gradients_stay_float32():
    r = np.random.default_rng(8)
    w, x = lenet_params(r, np.float32), r.standard_normal((3, 2, 10, 10)).astype(np.float32)
    assert np.asarray(lenet(w, x)).dtype == np.float32
    dw = knetc.grad(lenet)(w, x)
    assert all(g.dtype == np.float32 and g.shape == p.shape for g, p in zip(dw, w))
    dw64 = knetc.grad(lenet)([p.astype(np.float64) for p in w], x.astype(np.float64))
    for g, g64 in zip(dw, dw64):
        np.testing.assert_allclose(g, g64, rtol=1e-3, atol=1e-4)


def test_generated_code_calls_the_adjoints():
    src = knetc.source(knetc.grad(lenet))
    assert src.count("conv4_grad_w(") == 2 and src.count("pool_grad(") == 2
    assert src.count("conv4_grad_x(") == 1  # x is data: no gradient computed for it


# ---------------------------------------------------------------- dropout


@pytest.fixture
def restore_training():
    yield
    knetc.training(False)


def test_training_switch(restore_training):
    assert knetc.is_training() is False                    # the default
    knetc.training(True)
    assert knetc.is_training() is True
    with knetc.training(False):
        assert knetc.is_training() is False
        with knetc.training():
            assert knetc.is_training() is True
        assert knetc.is_training() is False
    assert knetc.is_training() is True                      # restored after the block
    knetc.training(False)
    assert knetc.is_training() is False


def test_dropout_is_the_identity_when_not_training():
    x = np.random.default_rng(9).standard_normal((4, 5)).astype(np.float32)
    for y in (knetc.dropout(x, 0.5), knetc.dropout(x, 0.9, training=False)):
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, x)
    with knetc.training():
        np.testing.assert_array_equal(knetc.dropout(x, 0.5, training=False), x)
        np.testing.assert_array_equal(knetc.dropout(x, 0.0), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_scaling_and_mask_statistics(p, dtype, restore_training):
    knetc.seed(10)
    x = np.full((200, 500), 3.0, dtype=dtype)
    with knetc.training():
        y = knetc.dropout(x, p)
    assert y.dtype == dtype and y.shape == x.shape
    kept = y != 0
    np.testing.assert_allclose(y[kept], 3.0 / (1 - p), rtol=1e-6)
    # 100000 Bernoulli(1 - p) draws: the kept fraction is within 5 standard deviations
    sd = np.sqrt(p * (1 - p) / x.size)
    assert abs(kept.mean() - (1 - p)) < 5 * sd
    assert abs(y.mean() - 3.0) < 3.0 * 5 * sd / (1 - p)     # unbiased in expectation
    assert np.all(knetc.dropout(x, 1.0, training=True) == 0)


def test_dropout_is_deterministic_under_seed(restore_training):
    x = np.random.default_rng(11).standard_normal((30, 40))
    knetc.training(True)
    knetc.seed(123)
    a1, a2 = knetc.dropout(x, 0.5), knetc.dropout(x, 0.5)
    knetc.seed(123)
    b1, b2 = knetc.dropout(x, 0.5), knetc.dropout(x, 0.5)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1 != 0, a2 != 0)             # successive masks differ
    knetc.seed(124)
    assert not np.array_equal(knetc.dropout(x, 0.5) != 0, a1 != 0)
    # seed= gives a mask of its own, leaving knetc's generator alone
    np.testing.assert_array_equal(knetc.dropout(x, 0.5, seed=7), knetc.dropout(x, 0.5, seed=7))
    knetc.seed(123)
    knetc.dropout(x, 0.5, seed=7)
    np.testing.assert_array_equal(knetc.dropout(x, 0.5), a1)


def dropout_loss(x, c, p):
    return np.sum(knetc.dropout(x, p) * c)


@pytest.mark.parametrize("p", [0.3, 0.5])
def test_dropout_gradient_uses_the_forward_mask(p, restore_training):
    r = np.random.default_rng(12)
    x = r.standard_normal((6, 7))
    x[0, :3] = 0.0                                          # zeros in x keep their gradient
    c = r.standard_normal((6, 7))
    x_nonzero = np.where(x == 0, 1.0, x)
    dloss = knetc.grad(dropout_loss)
    with knetc.training():
        knetc.seed(5)
        mask = knetc.dropout(x_nonzero, p) != 0              # the mask of the next draw
        knetc.seed(5)
        g = dloss(x, c, p)
        knetc.seed(5)
        value, g2 = knetc.value_and_grad(dropout_loss)(x, c, p)
    np.testing.assert_allclose(g, c * mask / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(g2, g)
    np.testing.assert_allclose(value, np.sum(x * mask / (1 - p) * c), rtol=1e-12)
    assert 0 < mask.sum() < mask.size
    # not training: the gradient is c
    np.testing.assert_allclose(dloss(x, c, p), c)


def dropout_lenet(w, x):
    h = knetc.pool(knetc.relu(knetc.conv4(w[0], x) + w[1]))
    h = knetc.dropout(knetc.mat(h), 0.5, seed=3)             # a fixed mask: checkable
    return np.sum((w[2] @ h) ** 2)


def test_dropout_in_a_network_gradient_check(restore_training):
    r = np.random.default_rng(13)
    x = r.standard_normal((2, 1, 6, 6))
    w = [r.standard_normal((2, 1, 3, 3)), r.standard_normal((1, 2, 1, 1)),
         r.standard_normal((3, 8))]
    with knetc.training():
        knetc.check_grads(dropout_lenet, w, x, argnums=(0, 1))


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="p must lie"):
        knetc.dropout(np.ones(3), 1.5, training=True)
