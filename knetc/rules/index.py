"""Adjoints of indexing, gathering and building tuples and lists."""
import builtins

import numpy as np

from .. import runtime
from . import nondiff, rule

# ruff: noqa: F821, F841


@rule("[]")
def getitem(y, x, index):
    dx = add_at(dx, x, index, dy)
    y_dot = x_dot[index]


@rule("[]=")
def setitem(s, index, value):
    dvalue = item_grad(ds, index, value)
    ds = clear_grad(ds, index)


@rule(".append")
def append(s, item):
    ditem = unpack_grad(ds, len(s) - 1, item)
    ds = part_grad(ds, 0, len(s) - 1)


@rule(np.take, ".take")
def take(y, x, indices, axis=None):
    dx = take_grad(dy, x, indices, axis)
    y_dot = np.take(x_dot, indices, axis)


@rule("tuple", "list")
def build(y, *items):
    ditems = unpack_grad(dy, i, item)


@rule("join")
def join(y, a, b):
    da = part_grad(dy, 0, len(a))
    db = part_grad(dy, len(a), len(y))
    y_dot = join_tangent(a_dot, b_dot, a, b)


@rule("repeat")
def repeat(y, items, n):
    ditems = repeat_grad(dy, len(items))
    y_dot = items_dot * n


@rule(builtins.list, builtins.tuple, runtime.sequence)
def sequence(y, items):
    ditems = sequence_grad(dy, items)
    y_dot = sequence_tangent(items_dot, items, y)


@rule(builtins.sorted)
def sorted(y, items):
    ditems = sorted_grad(dy, items)
    y_dot = sorted_tangent(items_dot, items, y)


@rule(builtins.max, builtins.min)
def choose(y, *items):
    ditems = choice_grad(dy, y, items, i)
    y_dot = choice_tangent(items_dot, y, items)


@rule(".values")
def values(y, mapping):
    dmapping = values_grad(dy, mapping)
    y_dot = values_tangent(mapping_dot, mapping)


@rule(".items")
def items(y, mapping):
    dmapping = items_grad(dy, mapping)
    y_dot = items_tangent(mapping_dot, mapping)


@rule(".get")
def get(y, mapping, key, default=None):
    dmapping = add_at(dmapping, mapping, key, dy)
    y_dot = mapping_dot[key] if key in mapping else zero_tangent(y)


nondiff(".keys", runtime.zero_tangent, runtime.check_in_place)  # (the last two: in generated
#                                                                  code differentiated again)


# The helpers that forward rules call are linear in their tangent arguments; their own rows
# let the forward code be differentiated again (Hessian-vector products). The primal
# arguments give only structure (lengths, keys, order): constants to differentiation.
@rule(runtime.join_tangent)
def join_tangent(out, a_dot, b_dot, a, b):
    da_dot = part_grad(dout, 0, len(a))
    db_dot = part_grad(dout, len(a), len(out))
    da = zero_grad(a)
    db = zero_grad(b)
    out_dot = join_tangent(a_dot_dot, b_dot_dot, a_dot, b_dot)


@rule(runtime.sequence_tangent)
def sequence_tangent(out, t, items, y):
    dt = sequence_grad(dout, items)
    ditems = zero_grad(items)
    dy = zero_grad(y)
    out_dot = sequence_tangent(t_dot, items, y)


@rule(runtime.sorted_tangent)
def sorted_tangent(out, t, items, y):
    dt = sorted_grad(dout, items)
    ditems = zero_grad(items)
    dy = zero_grad(y)
    out_dot = sorted_tangent(t_dot, items, y)


@rule(runtime.values_tangent)
def values_tangent(out, t, mapping):
    dt = values_grad(dout, mapping)
    dmapping = zero_grad(mapping)
    out_dot = values_tangent(t_dot, mapping)


@rule(runtime.items_tangent)
def items_tangent(out, t, mapping):
    dt = items_grad(dout, mapping)
    dmapping = zero_grad(mapping)
    out_dot = items_tangent(t_dot, mapping)


@rule(runtime.aux_loss)
def aux_loss(y, pair):
    dpair = add_at(dpair, pair, 0, dy)
    y_dot = pair_dot[0]


@rule(runtime.match_tangent)
def match_tangent(y, t, like):
    dt = unbroadcast(dy, t)
    y_dot = match_tangent(t_dot, y)


@rule(".")
def attribute(y, obj, attr):
    dobj = add_attr(dobj, obj, attr, dy)


@rule("call")
def call_through(y, fn, *items):
    ditems = call_adjoint(fn, i, dy, y, items)
    y_dot = call_tangent(fn, y, items, items_dot)
