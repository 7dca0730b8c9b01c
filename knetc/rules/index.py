"""Adjoints of indexing, gathering and building tuples and lists."""
import numpy as np

from . import rule

# ruff: noqa: F821, F841


@rule("[]")
def getitem(y, x, index):
    dx = add_at(dx, x, index, dy)


@rule(np.take, ".take")
def take(y, x, indices, axis=None):
    dx = take_grad(dy, x, indices, axis)


@rule("tuple", "list")
def build(y, *items):
    ditems = unpack_grad(dy, i, item)


@rule("join")
def join(y, a, b):
    da = part_grad(dy, 0, len(a))
    db = part_grad(dy, len(a), len(y))
