"""Corpus: attributes and methods of arrays (`x.T`, `x.shape[0]`, `x.sum(axis=1)`), small
Model classes whose attributes hold parameters, methods differentiated through the class
(`knetc.grad(Model.loss)`) calling `self.predict`, and lists of objects.

The gradient of an object is an object of the same class whose parameter attributes hold
the gradients. Checked against finite differences in float64.
"""
import numpy as np
import pytest

import knetc
from corpus_util import case, check_program, distinct, positive, randn, rng_for, run_case

# ------------------------------------------------------------------ array attributes/methods


def transpose_attribute(x, W):
    return np.sum((x.T @ W) ** 2)


def shape_normalizes(x):
    return np.sum(x ** 2) / x.shape[0] + np.sum(x) / x.shape[1]


def size_and_ndim(x):
    return np.sum(np.sin(x)) / x.size * x.ndim


def sum_method_axis(x):
    return np.sum(x.sum(axis=1) ** 2) + x.sum(0)[1]


def mean_method_keepdims(x):
    return np.sum((x - x.mean(axis=1, keepdims=True)) ** 2) + x.mean()


def reshape_and_ravel_methods(x):
    # x: (2, 6)
    return np.sum(x.reshape(3, 4)[1] ** 2) + np.sum(x.ravel()[::2]) + np.sum(x.reshape(-1))


def dot_method(x, y):
    return np.sum(x.dot(y) ** 2)


def transpose_method(x):
    # x: (2, 3, 4)
    return np.sum(x.transpose(2, 0, 1)[0] * x.transpose()[1].T)


def max_min_methods(x):
    return np.sum(x.max(axis=0)) - x.min()


def var_std_prod_methods(x):
    return x.var() + x.std(axis=0).sum() + x.prod()


def clip_method(x):
    return np.sum(x.clip(-0.5, 0.5) ** 2)


def astype_copy_methods(x):
    return np.sum(x.astype(np.float64).copy() ** 3)


def swapaxes_squeeze_methods(x):
    # x: (1, 3, 2)
    return np.sum(x.swapaxes(1, 2).squeeze() @ np.ones((3, 2)))


def chained_methods(x):
    return (x.T.sum(axis=0) ** 2).mean() + x.T.T.sum()


# ------------------------------------------------------------------ classes


class Layer:
    """Weight and bias, plus a non-parameter label."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.label = "layer"

    def apply(self, x):
        return np.tanh(self.W @ x + self.b)


class Model:
    def __init__(self, W, b, scale=1.0):
        self.W = W
        self.b = b
        self.scale = scale
        self.name = "model"
        self.depth = 1

    def predict(self, x):
        return self.scale * (self.W @ x + self.b)

    def loss(self, x, y):
        return np.sum((self.predict(x) - y) ** 2)

    def features(self, x):
        return np.tanh(self.predict(x))

    def deep_loss(self, x):
        # a method calling a method calling a method
        return np.sum(self.features(x) ** 2)

    def loss_with_default(self, x, weight=0.5):
        return weight * np.sum(self.features(x)) + self.regularizer()

    def regularizer(self):
        return 0.01 * np.sum(self.W ** 2)

    def loss_with_branch(self, x):
        if np.sum(x) > 0:
            return np.sum(self.predict(x) ** 2)
        return np.sum(np.exp(self.predict(x)))


class Stack:
    """A list of Layer objects as an attribute."""

    def __init__(self, layers):
        self.layers = layers

    def predict(self, x):
        for layer in self.layers:
            x = layer.apply(x)
        return x

    def loss(self, x):
        return np.sum(self.predict(x) ** 2)

    def loss_indexed(self, x):
        h = x
        for i in range(len(self.layers)):
            h = np.tanh(self.layers[i].W @ h + self.layers[i].b)
        return np.sum(h)


class Nested:
    def __init__(self, enc, dec):
        self.enc = enc
        self.dec = dec

    def loss(self, x):
        return np.sum(self.dec.apply(self.enc.apply(x)) ** 2)


class DictModel:
    def __init__(self, params):
        self.params = params

    def loss(self, x):
        return np.sum(np.tanh(self.params["W"] @ x) * self.params["v"])


# ------------------------------------------------------------------ plain functions of objects


def loss_reads_attributes(m, x, y):
    return np.sum((m.W @ x + m.b - y) ** 2) * m.scale


def loss_calls_method(m, x, y):
    return m.loss(x, y) + 0.5 * np.sum(m.W)


def loss_list_of_objects(layers, x):
    for layer in layers:
        x = np.tanh(layer.W @ x + layer.b)
    return np.sum(x ** 2)


def loss_list_of_objects_method(layers, x):
    for layer in layers:
        x = layer.apply(x)
    return np.sum(x)


def loss_dict_of_objects(net, x):
    return np.sum(net["dec"].W @ np.tanh(net["enc"].W @ x + net["enc"].b))


def loss_nested_attributes(n, x):
    return np.sum(np.tanh(n.dec.W @ np.tanh(n.enc.W @ x)))


def loss_attribute_in_loop_index(m, xs):
    total = 0.0
    for x in xs:
        total = total + np.sum(m.predict(x) ** 2) / m.depth
    return total


# ------------------------------------------------------------------ builders


def _layer(r, nout, nin):
    return Layer(randn(r, nout, nin), randn(r, nout))


def _model(r, columns=False):
    return Model(randn(r, 2, 3), randn(r, 2, 1) if columns else randn(r, 2), 0.7)


def refused(f, build, argnums, name, reason):
    """A row knetc once refused (`reason`); methods found at run time now work."""
    return pytest.param(f, build, argnums, id=name)


def _two_layers(r):
    return [_layer(r, 3, 2), _layer(r, 2, 3)]


ROWS = [
    case(transpose_attribute, lambda r: (randn(r, 3, 2), randn(r, 3, 4)), (0, 1)),
    case(shape_normalizes, lambda r: (randn(r, 3, 4),)),
    case(size_and_ndim, lambda r: (randn(r, 2, 3),)),
    case(sum_method_axis, lambda r: (randn(r, 3, 4),)),
    case(mean_method_keepdims, lambda r: (randn(r, 3, 4),)),
    case(reshape_and_ravel_methods, lambda r: (randn(r, 2, 6),)),
    case(dot_method, lambda r: (randn(r, 2, 3), randn(r, 3, 2)), (0, 1)),
    case(transpose_method, lambda r: (randn(r, 2, 3, 4),)),
    case(max_min_methods, lambda r: (distinct(r, 3, 4),)),
    case(var_std_prod_methods, lambda r: (positive(r, 2, 3),)),
    case(clip_method, lambda r: (distinct(r, 2, 3, gap=0.13),)),
    case(astype_copy_methods, lambda r: (randn(r, 3),)),
    case(swapaxes_squeeze_methods, lambda r: (randn(r, 1, 3, 2),)),
    case(chained_methods, lambda r: (randn(r, 3, 2),)),
    case(loss_reads_attributes, lambda r: (_model(r, True), randn(r, 3, 4), randn(r, 2, 4)),
         (0, 1)),
    case(loss_list_of_objects, lambda r: (_two_layers(r), randn(r, 2)), (0, 1)),
    case(loss_dict_of_objects, lambda r: ({"enc": _layer(r, 3, 2), "dec": _layer(r, 2, 3)},
                                          randn(r, 2))),
    case(loss_nested_attributes, lambda r: (Nested(*_two_layers(r)), randn(r, 2)), (0, 1)),
    case(Model.loss, lambda r: (_model(r, True), randn(r, 3, 4), randn(r, 2, 4)), (0, 1),
         "Model.loss"),
    case(Model.loss, lambda r: (_model(r, True), randn(r, 3, 4), randn(r, 2, 4)), 1,
         "Model.loss_wrt_x"),
    case(Model.deep_loss, lambda r: (_model(r), randn(r, 3, 2)), 0, "Model.deep_loss"),
    case(Model.loss_with_default, lambda r: (_model(r), randn(r, 3)), 0,
         "Model.loss_with_default"),
    case(Model.loss_with_branch, lambda r: (_model(r), positive(r, 3)), 0,
         "Model.loss_with_branch_then"),
    case(Model.loss_with_branch, lambda r: (_model(r), -positive(r, 3)), 0,
         "Model.loss_with_branch_else"),
    case(Stack.loss_indexed, lambda r: (Stack(_two_layers(r)), randn(r, 2)), 0,
         "Stack.loss_indexed"),
    case(DictModel.loss, lambda r: (DictModel({"W": randn(r, 2, 3), "v": randn(r, 2)}),
                                    randn(r, 3)), (0, 1), "DictModel.loss"),
    # method calls on objects other than `self`
    refused(loss_calls_method, lambda r: (_model(r, True), randn(r, 3, 4), randn(r, 2, 4)),
            (0, 1), "loss_calls_method",
            "m.loss(x, y) on an object parameter is refused: '`.loss` has no adjoint rule'"),
    refused(loss_list_of_objects_method, lambda r: (_two_layers(r), randn(r, 2)), (0, 1),
            "loss_list_of_objects_method",
            "layer.apply(x) on a list item is refused: '`.apply` has no adjoint rule'"),
    refused(loss_attribute_in_loop_index, lambda r: (_model(r), [randn(r, 3), randn(r, 3)]),
            0, "loss_attribute_in_loop_index",
            "m.predict(x) in a plain function is refused: '`.predict` has no adjoint rule'"),
    refused(Stack.loss, lambda r: (Stack(_two_layers(r)), randn(r, 2)), (0, 1), "Stack.loss",
            "layer.apply(x) on an item of self.layers is refused: '`.apply` has no adjoint "
            "rule'"),
    refused(Nested.loss, lambda r: (Nested(*_two_layers(r)), randn(r, 2)), 0, "Nested.loss",
            "self.enc.apply(x), a method of an attribute, is refused: '`.apply` has no "
            "adjoint rule'"),
]


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_object_program(request, f, build, argnums):
    run_case(request, f, build, argnums)


# ------------------------------------------------------------------ gradient objects


def test_gradient_of_model_is_a_model_of_gradients():
    r = rng_for("model_grad")
    m, x, y = _model(r, True), randn(r, 3, 4), randn(r, 2, 4)
    d = knetc.grad(Model.loss)(m, x, y)
    assert type(d) is Model
    res = 2 * (m.scale * (m.W @ x + m.b) - y)   # analytic
    np.testing.assert_allclose(d.W, m.scale * res @ x.T, rtol=1e-12)
    np.testing.assert_allclose(d.b, m.scale * res.sum(axis=1, keepdims=True), rtol=1e-12)
    assert type(d.scale) is float
    np.testing.assert_allclose(d.scale, np.sum(res * (m.W @ x + m.b)), rtol=1e-12)
    assert d.name == "model" and d.depth == 1     # non-parameters are left as they are
    assert d is not m and d.W is not m.W


def test_gradient_of_list_of_objects():
    r = rng_for("list_objects")
    layers, x = [_layer(r, 3, 2), _layer(r, 2, 3)], randn(r, 2)
    d = knetc.grad(loss_list_of_objects)(layers, x)
    assert type(d) is list and [type(e) for e in d] == [Layer, Layer]
    assert [e.W.shape for e in d] == [(3, 2), (2, 3)]


def test_method_source_has_predict_pair():
    src = knetc.source(knetc.grad(Model.deep_loss))
    assert "features_forward" in src and "predict_forward" in src


# ------------------------------------------------------------------ dispatch on the subclass


class SineModel(Model):
    """Overrides predict; loss is inherited, so `self.predict` means SineModel.predict."""

    def predict(self, x):
        return np.sin(self.W @ x + self.b) * 3.0


def test_inherited_method_calls_the_override():
    # Python calls SineModel.predict from the inherited Model.loss; the gradient must too
    # (or knetc must refuse), never differentiate Model.predict instead.
    r = rng_for("override")
    m, x, y = SineModel(randn(r, 2, 3), randn(r, 2, 1)), randn(r, 3, 4), randn(r, 2, 4)
    try:
        check_program(SineModel.loss, (m, x, y), 0)
    except knetc.KnetcSyntaxError:
        pass


def test_bound_method():
    r = rng_for("bound")
    m, x, y = _model(r, True), randn(r, 3, 4), randn(r, 2, 4)
    dx = knetc.grad(m.loss)(x, y)
    np.testing.assert_allclose(dx, knetc.grad(Model.loss, argnums=1)(m, x, y), rtol=1e-12)
