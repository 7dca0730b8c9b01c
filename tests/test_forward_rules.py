"""Every forward rule, checked on every row of the primitive table (tests/test_primitives.py).

* `test_forward_rule`: `knetc.jvp` of each row's function, in a random direction of the
  differentiated arguments (the others held still), against central differences of f in
  float64; the tangent out has the value's shape.
* `test_second_derivative`: the Hessian of each row's function times a random direction
  (`knetc.hvp`, reverse mode over the generated forward code) against central differences
  of knetc's gradient.
* `test_every_rule_has_a_forward_rule`: every rule in the table has a `y_dot = ...` statement,
  except the few that the forward pass does structurally (building tuples, lists and dicts,
  reading an attribute, `s[i] = v`, `s.append(v)`).
"""
import copy

import numpy as np
import pytest

import knetc
from knetc.pytree import attributes, children, is_object, with_attributes
from knetc.rules import all_rules
from test_primitives import TABLE, _build, _params

STRUCTURAL = {"build", "attribute", "setitem", "append"}  # done by the pass itself


def random_tangent(x, rng):
    """A random direction shaped like x: normal entries for float leaves, zeros elsewhere."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "f":
            return rng.standard_normal(x.shape).astype(x.dtype)
        return np.zeros(x.shape)
    if isinstance(x, (float, np.floating)):
        return type(x)(rng.standard_normal())
    if isinstance(x, (bool, int, np.integer)):
        return 0.0
    if isinstance(x, list):
        return [random_tangent(v, rng) for v in x]
    if isinstance(x, tuple):
        items = [random_tangent(v, rng) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if isinstance(x, dict):
        return {k: random_tangent(v, rng) for k, v in x.items()}
    if is_object(x):
        return with_attributes(x, {k: random_tangent(v, rng) for k, v in attributes(x).items()})
    return knetc.runtime.zero_tangent(x)


def moved(x, t, eps):
    """x + eps * t, leaf by leaf; leaves that are not floats stay as they are."""
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        out = x.copy()
        out += eps * t
        return out
    if isinstance(x, (float, np.floating)) and not isinstance(x, bool):
        return type(x)(x + eps * t)
    if isinstance(x, list):
        return [moved(v, tv, eps) for v, tv in zip(x, t)]
    if isinstance(x, tuple):
        items = [moved(v, tv, eps) for v, tv in zip(x, t)]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if isinstance(x, dict):
        return {k: moved(v, t[k], eps) for k, v in x.items()}
    if is_object(x):
        ts = attributes(t)
        return with_attributes(x, {k: moved(v, ts[k], eps) for k, v in attributes(x).items()})
    return x


def _float32(x):
    return any(leaf.dtype == np.float32 for leaf in leaves(x)) if not isinstance(
        x, np.ndarray) else x.dtype == np.float32


def check_jvp(f, args, argnums, seed=0, eps=1e-6, rtol=1e-5):
    if any(_float32(a) for a in args):  # differences in float32: a longer step
        eps, rtol = 1e-2, 2e-2
    rng = np.random.default_rng(seed)
    wrt = argnums if isinstance(argnums, tuple) else (argnums,)
    tangents = tuple(random_tangent(a, rng) if i in wrt else knetc.runtime.zero_tangent(a)
                     for i, a in enumerate(args))
    value, tangent = knetc.jvp(f, copy.deepcopy(args), copy.deepcopy(tangents))
    plus = f(*[moved(a, t, eps) for a, t in zip(copy.deepcopy(args), tangents)])
    minus = f(*[moved(a, t, -eps) for a, t in zip(copy.deepcopy(args), tangents)])
    numeric = (plus - minus) / (2 * eps)
    assert np.shape(tangent) == np.shape(value), \
        f"tangent has shape {np.shape(tangent)}, value {np.shape(value)}"
    np.testing.assert_allclose(value, f(*copy.deepcopy(args)), rtol=1e-12, atol=1e-12)
    scale = (1e-6 if rtol < 1e-3 else 1e-3) * (1 + abs(f(*copy.deepcopy(args))))
    assert abs(tangent - numeric) <= rtol * abs(numeric) + scale, \
        f"jvp {tangent!r}, central differences {numeric!r}"


@pytest.mark.parametrize("r", list(_params(TABLE)))
def test_forward_rule(r):
    check_jvp(r.f, _build(r), r.argnums)


def leaves(x):
    """The float leaves of a gradient, in order, as float64 arrays."""
    kids = children(x)
    if kids:
        return [leaf for _, v in kids for leaf in leaves(v)]
    if x is None or isinstance(x, (str, bool, int)) and not isinstance(x, float):
        return []
    return [np.asarray(x, dtype=np.float64)]


def check_hvp(f, args, argnums, seed=0, eps=1e-5, rtol=1e-4):
    rng = np.random.default_rng(seed)
    wrt = argnums if isinstance(argnums, tuple) else (argnums,)
    v = tuple(random_tangent(args[a], rng) for a in wrt)
    product = knetc.hvp(f, argnums)(*copy.deepcopy(args), copy.deepcopy(
        v if isinstance(argnums, tuple) else v[0]))
    gradient = knetc.grad(f, argnums)

    def at(step):
        moved_args = list(copy.deepcopy(args))
        for a, t in zip(wrt, v):
            moved_args[a] = moved(moved_args[a], t, step)
        return leaves(gradient(*moved_args))

    numeric = [(p - m) / (2 * eps) for p, m in zip(at(eps), at(-eps))]
    got = leaves(product)
    assert len(got) == len(numeric)
    scale = max([np.max(np.abs(n)) for n in numeric if n.size] + [1.0])
    for g, n in zip(got, numeric):
        np.testing.assert_allclose(g, n, rtol=rtol, atol=1e-5 * scale)


# Rows refused at second order, with the message (a nested list changed in place: see
# tests/test_corpus_higher.py).
SECOND_ORDER_REFUSED = {"setitem_nested": "mutating `.*` here: its object is also held"}


@pytest.mark.parametrize("r", list(_params(TABLE)))
def test_second_derivative(r):
    name = r.f.__name__
    if name in SECOND_ORDER_REFUSED:
        with pytest.raises(knetc.KnetcError, match=SECOND_ORDER_REFUSED[name]):
            check_hvp(r.f, _build(r), r.argnums)
        return
    check_hvp(r.f, _build(r), r.argnums)


def test_every_rule_has_a_forward_rule():
    missing = [r.name for r in all_rules() if r.tangent is None and r.name not in STRUCTURAL]
    assert not missing, "rules without a forward rule (`y_dot = ...`): " + ", ".join(missing)
