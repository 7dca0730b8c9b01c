"""Corpus: parameters in lists, tuples, dicts and nestings; the tutorial models."""
import numpy as np
import pytest

import knetc
from corpus_util import case, randn, rng_for, run_case
from knetc import sumabs2

# ---------------------------------------------------------------- tutorial models


def linreg(w, x, y):
    return sumabs2(y - (w[0] @ x + w[1])) / y.shape[1]


def linreg_dict(w, x, y):
    return sumabs2(y - (w["w"] @ x + w["b"])) / y.shape[1]


def softmax_xent(w, x, ygold):
    ypred = w[0] @ x + w[1]
    ynorm = ypred - np.log(np.sum(np.exp(ypred), axis=0, keepdims=True))
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def softmax_xent_dict(w, x, ygold):
    ypred = w["w1"] @ x + w["b1"]
    ynorm = ypred - np.log(np.sum(np.exp(ypred), axis=0, keepdims=True))
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def mlp(w, x, y):
    for i in range(0, len(w) - 2, 2):
        x = np.maximum(0, w[i] @ x + w[i + 1])
    ypred = w[-2] @ x + w[-1]
    return sumabs2(y - ypred) / y.shape[1]


def mlp_dict(w, x, y):
    h = np.maximum(0, w["w1"] @ x + w["b1"])
    h = np.maximum(0, w["w2"] @ h + w["b2"])
    ypred = w["w3"] @ h + w["b3"]
    return sumabs2(y - ypred) / y.shape[1]


def mlp_dict_fstring_keys(w, x, ygold):
    nlayers = len(w) // 2
    for i in range(1, nlayers):
        x = np.maximum(0, w[f"w{i}"] @ x + w[f"b{i}"])
    ypred = w[f"w{nlayers}"] @ x + w[f"b{nlayers}"]
    ynorm = ypred - np.log(np.sum(np.exp(ypred), axis=0, keepdims=True))
    return -np.sum(ygold * ynorm) / ygold.shape[1]


def _data(r, nin=3, nout=2, n=5):
    return randn(r, nin, n), randn(r, nout, n)


def _onehot(r, nclass=3, n=5):
    labels = r.integers(0, nclass, n)
    return np.eye(nclass)[:, labels]


def _linreg_list(r):
    x, y = _data(r)
    return [randn(r, 2, 3), randn(r, 2, 1)], x, y


def _linreg_tuple(r):
    w, x, y = _linreg_list(r)
    return tuple(w), x, y


def _linreg_dict(r):
    x, y = _data(r)
    return {"w": randn(r, 2, 3), "b": randn(r, 2, 1)}, x, y


def _softmax_list(r):
    return [0.5 * randn(r, 3, 4), randn(r, 3, 1)], randn(r, 4, 5), _onehot(r)


def _softmax_tuple(r):
    w, x, y = _softmax_list(r)
    return tuple(w), x, y


def _softmax_dict(r):
    return {"w1": 0.5 * randn(r, 3, 4), "b1": randn(r, 3, 1)}, randn(r, 4, 5), _onehot(r)


def _mlp_weights(r, sizes=(3, 4, 4, 2)):
    w = []
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        w += [randn(r, nout, nin), 0.1 * randn(r, nout, 1)]
    return w


def _mlp_list(r):
    x, y = _data(r)
    return _mlp_weights(r), x, y


def _mlp_tuple(r):
    w, x, y = _mlp_list(r)
    return tuple(w), x, y


def _as_dict(w):
    d = {}
    for k in range(len(w) // 2):
        d[f"w{k + 1}"] = w[2 * k]
        d[f"b{k + 1}"] = w[2 * k + 1]
    return d


def _mlp_dict(r):
    x, y = _data(r)
    return _as_dict(_mlp_weights(r)), x, y


def _mlp_dict_softmax(r):
    return _as_dict(_mlp_weights(r, (4, 5, 3))), randn(r, 4, 5), _onehot(r)


# ------------------------------------------------------------ other containers


def dict_of_lists(params, x):
    h = x
    for W, b in zip(params["weights"], params["biases"]):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def list_of_tuples(layers, x):
    for W, b in layers:
        x = np.tanh(W @ x + b)
    return np.sum(x)


def nested_tuple_in_dict(p, x):
    enc_w, enc_b = p["enc"]
    z = np.tanh(enc_w @ x + enc_b)
    return np.sum((p["dec"] @ z - x) ** 2)


def float_leaf_in_list(w, x):
    # w = [W, scale] where scale is a Python float
    return np.sum(np.tanh(w[1] * (w[0] @ x)))


def float_leaf_in_dict(p, x):
    return np.sum((p["W"] @ x) ** 2) * p["lam"] + p["lam"] ** 2


def unused_leaf_dict(p, x):
    # p["unused"] never influences the result
    return np.sum(np.tanh(p["W"] @ x + p["b"]))


def unused_leaf_list(w, x):
    return np.sum(w[0] @ x)


def argnums_one(x, w):
    return np.sum(np.sin(w @ x))


def argnums_zero_two(w, x, b):
    return np.sum(np.tanh(w @ x + b) ** 2)


def dict_items_loop(p):
    total = 0.0
    for name, v in p.items():
        total = total + np.sum(v ** 2) * len(name)
    return total


def dict_values_l2(p, x, y):
    pred = p["w"] @ x + p["b"]
    reg = 0.0
    for v in p.values():
        reg = reg + np.sum(v ** 2)
    return np.mean((pred - y) ** 2) + 0.01 * reg


def list_of_lists(w, x):
    for layer in w:
        x = np.tanh(layer[0] @ x + layer[1])
    return np.sum(x)


def container_of_python_floats(c, x):
    a, b = c
    return np.sum(a * x ** 2 + b * x)


def mlp_predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = np.maximum(0, w[i] @ x + w[i + 1])
    return w[-2] @ x + w[-1]


def mlp_loss_calls_predict(w, x, y):
    return sumabs2(y - mlp_predict(w, x)) / y.shape[1]


def dict_key_loop(p, x):
    total = 0.0
    for k in p:
        total = total + np.sum(np.tanh(p[k] * x))
    return total


def dict_sorted_keys(p, x):
    h = x
    for k in sorted(p):
        h = np.tanh(p[k] @ h)
    return np.sum(h)


def argument_not_used(w, x):
    # differentiated with respect to w, which the result does not depend on
    return np.sum(x ** 2)


def result_from_shape_only(x, y):
    # the result depends on x only through its shape
    return x.shape[0] * 1.5 + np.sum(y ** 2)


def dict_of_list_of_dicts(p, x):
    h = x
    for layer in p["layers"]:
        h = np.tanh(layer["W"] @ h + layer["b"])
    return np.sum(h) * p["scale"]


def list_item_assignment(x):
    hs = [x, x, x]
    for i in range(1, 3):
        hs[i] = np.tanh(hs[i - 1] * 1.5)
    return np.sum(hs[2] * hs[0]) + np.sum(hs[1])


def dict_item_assignment(x):
    cache = dict()
    cache["h"] = np.tanh(x)
    cache["y"] = cache["h"] ** 2
    return np.sum(cache["y"] + cache["h"] * x)


def nested_lists_built_in_loop(xs):
    rows = []
    for a in xs:
        row = []
        row.append(a * 2.0)
        row.append(np.sin(a))
        rows.append(row)
    total = 0.0
    for row in rows:
        total = total + np.sum(row[0] * row[1])
    return total


ROWS = [
    case(linreg, _linreg_list, name="linreg-list"),
    case(linreg, _linreg_tuple, name="linreg-tuple"),
    case(linreg_dict, _linreg_dict, name="linreg-dict"),
    case(softmax_xent, _softmax_list, name="softmax_xent-list"),
    case(softmax_xent, _softmax_tuple, name="softmax_xent-tuple"),
    case(softmax_xent_dict, _softmax_dict, name="softmax_xent-dict"),
    case(mlp, _mlp_list, name="mlp-list"),
    case(mlp, _mlp_tuple, name="mlp-tuple"),
    case(mlp_dict, _mlp_dict, name="mlp-dict"),
    case(mlp_dict_fstring_keys, _mlp_dict_softmax),
    case(linreg, _linreg_list, (0, 1), name="linreg-list-argnums01"),
    case(dict_of_lists,
         lambda r: ({"weights": [randn(r, 4, 3), randn(r, 2, 4)],
                     "biases": [randn(r, 4, 1), randn(r, 2, 1)]}, randn(r, 3, 5))),
    case(list_of_tuples,
         lambda r: ([(randn(r, 4, 3), randn(r, 4)), (randn(r, 2, 4), randn(r, 2))], randn(r, 3))),
    case(nested_tuple_in_dict,
         lambda r: ({"enc": (randn(r, 2, 3), randn(r, 2, 1)), "dec": randn(r, 3, 2)},
                    randn(r, 3, 4))),
    case(float_leaf_in_list, lambda r: ([randn(r, 2, 3), 0.7], randn(r, 3, 4))),
    case(float_leaf_in_dict, lambda r: ({"W": randn(r, 2, 3), "lam": 0.3}, randn(r, 3))),
    case(unused_leaf_dict,
         lambda r: ({"W": randn(r, 2, 3), "b": randn(r, 2), "unused": randn(r, 4)}, randn(r, 3))),
    case(unused_leaf_list, lambda r: ([randn(r, 2, 3), randn(r, 5), 1.5], randn(r, 3))),
    case(argnums_one, lambda r: (randn(r, 3), randn(r, 2, 3)), 1),
    case(argnums_zero_two, lambda r: (randn(r, 2, 3), randn(r, 3, 4), randn(r, 2, 1)), (0, 2)),
    case(dict_items_loop,
         lambda r: ({"a": randn(r, 2), "bb": randn(r, 3), "ccc": randn(r, 2, 2)},)),
    case(dict_values_l2, lambda r: ({"w": randn(r, 2, 3), "b": randn(r, 2, 1)},
                                    randn(r, 3, 4), randn(r, 2, 4))),
    case(list_of_lists, lambda r: ([[randn(r, 3, 3), randn(r, 3)], [randn(r, 2, 3), randn(r, 2)]],
                                   randn(r, 3))),
    case(container_of_python_floats, lambda r: ((0.5, -1.25), randn(r, 4))),
    case(mlp_loss_calls_predict, _mlp_list),
    case(dict_key_loop, lambda r: ({"a": randn(r, 3), "b": randn(r, 3), "c": 0.5}, randn(r, 3))),
    case(dict_sorted_keys, lambda r: ({"l1": randn(r, 3, 3), "l2": randn(r, 2, 3)},
                                      randn(r, 3))),
    case(argument_not_used, lambda r: (randn(r, 2, 3), randn(r, 3))),
    case(result_from_shape_only, lambda r: (randn(r, 4, 2), randn(r, 3))),
    case(dict_of_list_of_dicts,
         lambda r: ({"layers": [{"W": randn(r, 3, 3), "b": randn(r, 3)},
                                {"W": randn(r, 2, 3), "b": randn(r, 2)}], "scale": 0.8},
                    randn(r, 3))),
    case(list_item_assignment, lambda r: (randn(r, 3),)),
    case(dict_item_assignment, lambda r: (randn(r, 4),)),
    case(nested_lists_built_in_loop, lambda r: ([randn(r, 2), randn(r, 3)],)),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_container_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


# ------------------------------------- explicit structure checks on the tutorial models


def _leaf_types(tree):
    if isinstance(tree, dict):
        return {k: _leaf_types(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_leaf_types(v) for v in tree)
    if isinstance(tree, np.ndarray):
        return ("ndarray", tree.shape, tree.dtype)
    return type(tree).__name__


@pytest.mark.parametrize("f, build", [
    pytest.param(linreg, _linreg_tuple, id="linreg-tuple"),
    pytest.param(softmax_xent_dict, _softmax_dict, id="softmax_xent-dict"),
    pytest.param(mlp, _mlp_list, id="mlp-list"),
    pytest.param(float_leaf_in_list, lambda r: ([randn(r, 2, 3), 0.7], randn(r, 3, 4)),
                 id="float_leaf"),
])
def test_gradient_mirrors_parameters(request, f, build):
    args = build(rng_for(request.node.name))
    dw = knetc.grad(f)(*args)
    assert _leaf_types(dw) == _leaf_types(args[0])


def test_unused_leaf_gets_zeros_not_none():
    r = rng_for("unused")
    p = {"W": randn(r, 2, 3), "b": randn(r, 2), "unused": randn(r, 4)}
    dp = knetc.grad(unused_leaf_dict)(p, randn(r, 3))
    assert dp["unused"] is not None
    assert isinstance(dp["unused"], np.ndarray)
    assert dp["unused"].shape == (4,)
    assert np.all(dp["unused"] == 0)

    w = [randn(r, 2, 3), randn(r, 5), 1.5]
    dw = knetc.grad(unused_leaf_list)(w, randn(r, 3))
    assert isinstance(dw[1], np.ndarray) and np.all(dw[1] == 0) and dw[1].shape == (5,)
    assert type(dw[2]) is float and dw[2] == 0.0


def test_python_float_leaf_gives_python_float():
    r = rng_for("float_leaf")
    W, x = randn(r, 2, 3), randn(r, 3, 4)
    dw = knetc.grad(float_leaf_in_list)([W, 0.7], x)
    assert type(dw) is list
    assert type(dw[1]) is float
    dp = knetc.grad(float_leaf_in_dict)({"W": W, "lam": 0.3}, randn(r, 3))
    assert type(dp["lam"]) is float


def test_argnums_tuple_returns_tuple_in_order():
    r = rng_for("argnums02")
    w, x, b = randn(r, 2, 3), randn(r, 3, 4), randn(r, 2, 1)
    g = knetc.grad(argnums_zero_two, argnums=(0, 2))(w, x, b)
    assert type(g) is tuple and len(g) == 2
    assert g[0].shape == w.shape and g[1].shape == b.shape
    g2 = knetc.grad(argnums_zero_two, argnums=(2, 0))(w, x, b)
    assert g2[0].shape == b.shape and g2[1].shape == w.shape
