"""Adjoints of functions that move elements without changing them: reshapes, joins, splits.

(np.linspace is here too: its samples are its endpoints, spread.)
"""
import numpy as np

from .. import nn
from . import rule

# ruff: noqa: F821, F841


@rule(np.squeeze, ".squeeze", np.expand_dims)
def squeeze(y, x, axis=None):
    dx = np.reshape(dy, np.shape(x))


@rule(np.atleast_1d, np.atleast_2d)
def atleast(y, x):
    dx = np.reshape(dy, np.shape(x))


@rule(np.reshape)
def reshape(y, x, newshape=None, order="C", *, shape=None, copy=None):
    dx = reshape_grad(dy, x, order)


@rule(".reshape")
def reshape_method(y, x, *shape, order="C", copy=None):
    dx = reshape_grad(dy, x, order)


@rule(np.ravel, ".ravel", ".flatten")
def ravel(y, x, order="C"):
    dx = reshape_grad(dy, x, order)


@rule(np.transpose)
def transpose(y, x, axes=None):
    dx = transpose_grad(dy, axes)


@rule(".transpose")
def transpose_method(y, x, *axes):
    dx = transpose_grad(dy, axes)


@rule(".T")
def T(y, x):
    dx = np.transpose(dy)


@rule(np.swapaxes, ".swapaxes")
def swapaxes(y, x, axis1, axis2):
    dx = np.swapaxes(dy, axis1, axis2)


@rule(np.broadcast_to)
def broadcast_to(y, x, shape):
    dx = unbroadcast(dy, x)


@rule(np.concatenate)
def concatenate(y, arrays, axis=0):
    darrays = split_like(dy, arrays, axis)


@rule(np.hstack)
def hstack(y, tup):
    dtup = split_like(dy, tup, hstack_axis(tup))


@rule(np.vstack)
def vstack(y, tup):
    dtup = vstack_grad(dy, tup)


@rule(np.stack)
def stack(y, arrays, axis=0):
    darrays = stack_grad(dy, arrays, axis)


@rule(np.r_)
def r_(y, *items):
    ditems = concatenator_grad(dy, np.r_, items, i)


@rule(np.c_)
def c_(y, *items):
    ditems = concatenator_grad(dy, np.c_, items, i)


@rule(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    dstart = unbroadcast(linspace_grad(dy, num, endpoint, retstep, axis, False), start)
    dstop = unbroadcast(linspace_grad(dy, num, endpoint, retstep, axis, True), stop)


@rule(np.meshgrid)
def meshgrid(y, *items, copy=True, sparse=False, indexing="xy"):
    ditems = meshgrid_grad(dy, items, i, indexing)


@rule(np.split)
def split(y, ary, indices_or_sections, axis=0):
    dary = concat_grads(dy, y, axis)


@rule(nn.mat)
def mat(y, x):
    dx = np.reshape(dy.T, np.shape(x))
