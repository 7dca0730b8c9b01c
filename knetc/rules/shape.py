"""Adjoints of functions that move elements without changing them: reshapes, joins, splits.

(np.linspace is here too: its samples are its endpoints, spread.)
"""
import numpy as np

from .. import nn, runtime
from . import rule

# ruff: noqa: F821, F841


@rule(np.squeeze, ".squeeze", np.expand_dims)
def squeeze(y, x, axis=None):
    dx = np.reshape(dy, np.shape(x))
    y_dot = np.reshape(x_dot, np.shape(y))


@rule(np.atleast_1d, np.atleast_2d)
def atleast(y, x):
    dx = np.reshape(dy, np.shape(x))
    y_dot = np.reshape(x_dot, np.shape(y))


@rule(np.reshape)
def reshape(y, x, newshape=None, order="C", *, shape=None, copy=None):
    dx = reshape_grad(dy, x, order)
    y_dot = reshape_tangent(x_dot, x, y, order)


@rule(".reshape")
def reshape_method(y, x, *shape, order="C", copy=None):
    dx = reshape_grad(dy, x, order)
    y_dot = reshape_tangent(x_dot, x, y, order)


@rule(np.ravel, ".ravel", ".flatten")
def ravel(y, x, order="C"):
    dx = reshape_grad(dy, x, order)
    y_dot = reshape_tangent(x_dot, x, y, order)


@rule(np.transpose)
def transpose(y, x, axes=None):
    dx = transpose_grad(dy, axes)
    y_dot = np.transpose(x_dot, axes)


@rule(".transpose")
def transpose_method(y, x, *axes):
    dx = transpose_grad(dy, axes)
    y_dot = np.transpose(x_dot, method_axes(axes))


@rule(".T")
def T(y, x):
    dx = np.transpose(dy)
    y_dot = np.transpose(x_dot)


@rule(np.swapaxes, ".swapaxes")
def swapaxes(y, x, axis1, axis2):
    dx = np.swapaxes(dy, axis1, axis2)
    y_dot = np.swapaxes(x_dot, axis1, axis2)


@rule(np.broadcast_to)
def broadcast_to(y, x, shape):
    dx = unbroadcast(dy, x)
    y_dot = np.broadcast_to(x_dot, shape)


@rule(np.concatenate)
def concatenate(y, arrays, axis=0):
    darrays = split_like(dy, arrays, axis)
    y_dot = np.concatenate(arrays_dot, axis)


@rule(np.hstack)
def hstack(y, tup):
    dtup = split_like(dy, tup, hstack_axis(tup))
    y_dot = np.hstack(tup_dot)


@rule(np.vstack)
def vstack(y, tup):
    dtup = vstack_grad(dy, tup)
    y_dot = np.vstack(tup_dot)


@rule(np.stack)
def stack(y, arrays, axis=0):
    darrays = stack_grad(dy, arrays, axis)
    y_dot = np.stack(arrays_dot, axis)


@rule(np.r_)
def r_(y, *items):
    ditems = concatenator_grad(dy, np.r_, items, i)
    y_dot = concatenator_tangent(np.r_, items, items_dot)


@rule(np.c_)
def c_(y, *items):
    ditems = concatenator_grad(dy, np.c_, items, i)
    y_dot = concatenator_tangent(np.c_, items, items_dot)


@rule(np.linspace)
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    dstart = unbroadcast(linspace_grad(dy, num, endpoint, retstep, axis, False), start)
    dstop = unbroadcast(linspace_grad(dy, num, endpoint, retstep, axis, True), stop)
    y_dot = linspace_tangent(start_dot, stop_dot, start, stop, num, endpoint, retstep, dtype,
                             axis)


@rule(np.meshgrid)
def meshgrid(y, *items, copy=True, sparse=False, indexing="xy"):
    ditems = meshgrid_grad(dy, items, i, indexing)
    y_dot = meshgrid_tangent(items_dot, copy, sparse, indexing)


@rule(np.split)
def split(y, ary, indices_or_sections, axis=0):
    dary = concat_grads(dy, y, axis)
    y_dot = np.split(ary_dot, indices_or_sections, axis)


@rule(nn.mat)
def mat(y, x):
    dx = np.reshape(dy.T, np.shape(x))
    y_dot = np.transpose(np.reshape(x_dot, (np.shape(x)[0], -1)))


@rule(runtime.reshape_tangent)  # (forward rules call it: its row differentiates them again)
def reshape_tangent(out, t, x, y, order="C"):
    dt = reshape_grad(dout, x, order)
    dx = zero_grad(x)
    dy = zero_grad(y)
    out_dot = reshape_tangent(t_dot, x, y, order)
