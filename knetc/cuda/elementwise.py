"""Elementwise ops on KnetArrays: unary functions, broadcasting arithmetic, comparisons, logic,
where, casts and fills, registered as the GPU versions of NumPy's ufuncs and functions.

Every op launches one kernel from kernels/elementwise.cu (plus a cast where an operand's
dtype needs one). Operands are KnetArrays on one device, Python or NumPy numbers (passed to
the kernel by value, in the array's dtype, as NumPy does for Python numbers), size-1
KnetArrays (read on the device, never copied to the host), or NumPy arrays (copied to the
device explicitly). Results are new contiguous arrays.

Dtypes: float32 and float64 compute in their own precision and never mix (a TypeError says
which to convert); comparisons and logic give bool arrays. A bool array in arithmetic counts
as 0/1 in the other operand's float dtype (float32 when there is none; the mask kernel reads
it directly, no cast). int32/int64 arrays convert with astype, compare exactly (in float64),
and count as floats beside a float array; arithmetic on integers alone is refused.
"""
import numbers

import numpy as np

from . import registry
from .array import KnetArray, common_device, implements, to_device
from .layout import broadcast_strides, kernel_layout, size_of

FAMILY = "elementwise"
BOOL = np.dtype(bool)

# Op codes of kernels/elementwise.cu.
UNARY = {name: code for code, name in enumerate(
    ["negative", "absolute", "exp", "log", "log1p", "expm1", "sqrt", "square", "tanh", "sin",
     "cos", "sign", "reciprocal", "sigm", "relu", "clip", "sinh", "cosh", "tan", "arctan",
     "floor", "ceil", "identity"])}
BINARY = {name: code for code, name in enumerate(
    ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "relu_backward",
     "sigm_backward", "tanh_backward"])}
COMPARE = {name: code for code, name in enumerate(
    ["greater", "greater_equal", "less", "less_equal", "equal", "not_equal"])}
LOGICAL = {"and": 0, "or": 1, "xor": 2, "not": 3, "bool": 4}


# ---- allocation and launching ----

def empty(shape, dtype, device):
    """An uninitialised contiguous KnetArray (allocation only, no kernel)."""
    return KnetArray(device.xp.empty(tuple(shape), dtype=dtype), device)


def _launch(device, kernel, dtype, n, args, vector=False):
    """One 1-d launch over n items (n / vector width threads for the vectorised kernels).
    Kernels that only touch bool arrays are launched with their float32 instantiation."""
    dtype = np.dtype(dtype)
    if dtype == BOOL:
        dtype = np.dtype(np.float32)
    if vector:
        n = -(-n // (16 // dtype.itemsize))
    device.launch(FAMILY, kernel, dtype, device.grid(n), (device.block,), args)


def _float(dtype, what):
    """dtype if knetc's kernels take it (float32/float64), else a TypeError naming `what`."""
    dtype = np.dtype(dtype)
    if dtype not in registry.CTYPES:
        raise TypeError(f"knetc's GPU {what} takes float32 or float64 arrays, not {dtype}; "
                        "convert with x.astype(np.float32)")
    return dtype


def _no_kwargs(name, kwargs):
    extra = sorted(f"{k}=" for k, v in kwargs.items() if v is not None)
    if extra:
        raise TypeError(f"knetc's GPU np.{name} does not take {', '.join(extra)}; "
                        f"write y = np.{name}(...) and convert or select y afterwards")


# ---- operands: KnetArrays, numbers, NumPy arrays ----

def _is_number(x):
    return (isinstance(x, (numbers.Real, np.bool_, np.number))
            and not isinstance(x, (complex, np.complexfloating)))


def _operands(name, *xs):
    """(device, operands): NumPy 0-d arrays become numbers, other NumPy arrays KnetArrays on
    the device of the KnetArray operands (float ones in their float dtype)."""
    device = common_device(f"np.{name}", xs)
    floats = {x.dtype for x in xs if _is_float(x) and not x.weak} or {
        x.dtype for x in xs if _is_float(x)}
    out = []
    for x in xs:
        if isinstance(x, np.ndarray) and x.ndim == 0:
            x = x[()]
        if isinstance(x, np.ndarray):
            target = None if x.dtype == BOOL or len(floats) != 1 else next(iter(floats))
            x = to_device(x, device, target)
        elif not isinstance(x, KnetArray) and not _is_number(x):
            raise TypeError(f"knetc's GPU np.{name} takes KnetArrays, numbers and NumPy arrays, "
                            f"not {type(x).__name__}")
        out.append(x)
    return device, out


def _is_int(x):
    return isinstance(x, KnetArray) and x.dtype.kind in "iu"


def _is_float(x):
    return isinstance(x, KnetArray) and x.dtype.kind == "f"


def _is_weak(xs):
    """Whether no operand fixes the precision: only numbers, bool/integer and weak arrays."""
    return not any(_is_float(x) and not x.weak for x in xs)


def _result_dtype(name, xs):
    """The one float dtype of the KnetArray operands (weak ones take it too); float64, as
    NumPy, when only bool arrays, weak arrays and numbers meet (the result is then weak;
    integer arrays count like bool ones, but need a float array beside them)."""
    dtypes = {np.dtype(x.dtype) for x in xs if _is_float(x) and not x.weak}
    if len(dtypes) > 1:
        raise TypeError(f"np.{name} of {' and '.join(sorted(map(str, dtypes)))} KnetArrays: "
                        "knetc's GPU ops do not mix precisions; convert one with "
                        "x.astype(np.float32) (or float64)")
    if dtypes:
        return _float(dtypes.pop(), f"np.{name}")
    if any(_is_int(x) for x in xs) and not any(_is_float(x) for x in xs):
        raise TypeError(f"np.{name} of integer KnetArrays: knetc's GPU kernels take float32 or "
                        "float64 arrays; convert with x.astype(np.float32)")
    return np.dtype(np.float64)


def _shape(x):
    return x.shape if isinstance(x, KnetArray) else ()


def _strides(x, shape):
    return broadcast_strides(x, shape) if isinstance(x, KnetArray) else [0] * len(shape)


def _full_shape(x, shape):
    return isinstance(x, KnetArray) and x.shape == shape and x.is_contiguous


def _as_float(x, dtype):
    """A KnetArray of another dtype (bool, integer) converted to dtype; numbers unchanged."""
    if isinstance(x, KnetArray) and x.dtype != dtype:
        return astype(x, dtype)
    return x


# ---- unary ----

def unary(op, x, p=0.0, q=0.0):
    """y = op(x) elementwise for a float KnetArray x (op a key of UNARY; p, q clip's bounds)."""
    if not isinstance(x, KnetArray):
        raise TypeError(f"knetc's GPU {op} takes a KnetArray, not {type(x).__name__}")
    dtype = _float(x.dtype, f"np.{op}")
    y = empty(x.shape, dtype, x.device)
    n = size_of(x.shape)
    if n == 0:
        return y
    if x.is_contiguous:
        _launch(x.device, "unary_forward", dtype, n, [x, y, n, p, q, UNARY[op]], vector=True)
    else:
        _launch(x.device, "unary_strided_forward", dtype, n,
                [x, y, n, p, q, UNARY[op], *kernel_layout(x.shape, x.strides)])
    return y


def _register(ufunc, op, run, what):
    """Register run(op, *operands) as the GPU version of ufunc (called with no keywords)."""
    def ufunc_op(*operands, **kwargs):
        _no_kwargs(ufunc.__name__, kwargs)
        return run(op, *operands)
    ufunc_op.__name__ = op
    ufunc_op.__doc__ = f"np.{ufunc.__name__} on the GPU: {what}."
    implements(ufunc)(ufunc_op)


for _ufunc, _op in [(np.negative, "negative"), (np.absolute, "absolute"), (np.exp, "exp"),
                    (np.log, "log"), (np.log1p, "log1p"), (np.expm1, "expm1"),
                    (np.sqrt, "sqrt"), (np.square, "square"), (np.tanh, "tanh"),
                    (np.sin, "sin"), (np.cos, "cos"), (np.sign, "sign"),
                    (np.reciprocal, "reciprocal"), (np.sinh, "sinh"), (np.cosh, "cosh"),
                    (np.tan, "tan"), (np.arctan, "arctan"), (np.floor, "floor"),
                    (np.ceil, "ceil"), (np.positive, "identity")]:
    _register(_ufunc, _op, unary, "one elementwise kernel")


def sigm(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), computed without overflow."""
    return unary("sigm", x)


def relu(x):
    """max(0, x) (NaN stays NaN)."""
    return unary("relu", x)


def relu_backward(y, dy):
    """Adjoint of relu from its output y: dy * (y > 0)."""
    return binary("relu_backward", y, dy)


def sigm_backward(y, dy):
    """Adjoint of sigm from its output y: dy * y * (1 - y)."""
    return binary("sigm_backward", y, dy)


def tanh_backward(y, dy):
    """Adjoint of tanh from its output y: dy * (1 - y * y)."""
    return binary("tanh_backward", y, dy)


# ---- binary arithmetic ----

_BOOL_ARITHMETIC = {"add": "or", "maximum": "or", "multiply": "and", "minimum": "and"}


def binary(op, a, b):
    """z = op(a, b) with NumPy broadcasting (op a key of BINARY)."""
    device, (a, b) = _operands(op, a, b)
    if all(isinstance(x, KnetArray) and x.dtype == BOOL or isinstance(x, (bool, np.bool_))
           for x in (a, b)):
        if op not in _BOOL_ARITHMETIC:  # NumPy keeps bool for these, refuses the others
            raise TypeError(f"np.{op} of two bool arrays; convert one with x.astype(np.float32)")
        return logical(_BOOL_ARITHMETIC[op], a, b)
    dtype, weak = _result_dtype(op, (a, b)), _is_weak((a, b))
    a, b = (_as_float(x, dtype) if _is_int(x) or _is_float(x) else x for x in (a, b))
    if op == "power" and _is_number(b) and float(b) in (2.0, 1.0, 0.5, -1.0):
        a = _as_float(a, dtype)
        return {2.0: lambda: unary("square", a), 1.0: lambda: unary("identity", a),
                0.5: lambda: unary("sqrt", a), -1.0: lambda: unary("reciprocal", a)}[float(b)]()
    shape = np.broadcast_shapes(_shape(a), _shape(b))
    z = empty(shape, dtype, device)
    z.weak = weak
    n = size_of(shape)
    if n == 0:
        return z
    code = BINARY[op]
    masks = [isinstance(x, KnetArray) and x.dtype == BOOL for x in (a, b)]
    if any(masks):  # arithmetic with a bool array (dy * (x > 0)): read it as 0/1 directly
        m, u = (a, b) if masks[0] else (b, a)
        scalar = not isinstance(u, KnetArray)
        _launch(device, "binary_bool_forward", dtype, n,
                [z if scalar else u, m, z, n, u if scalar else 0, int(scalar), code,
                 int(masks[0]), *kernel_layout(shape, _strides(u, shape), _strides(m, shape))])
    elif _full_shape(a, shape) and _full_shape(b, shape):
        _launch(device, "binary_forward", dtype, n, [a, b, z, n, code], vector=True)
    elif any(_full_shape(x, shape) and (not isinstance(s, KnetArray) or s.size == 1)
             for x, s in ((a, b), (b, a))):
        x, s, swap = (a, b, 0) if _full_shape(a, shape) else (b, a, 1)
        on_device = isinstance(s, KnetArray)
        _launch(device, "binary_scalar_forward", dtype, n,
                [x, s if on_device else x, z, n, 0 if on_device else s, code,
                 swap | (2 if on_device else 0)], vector=True)
    else:
        _launch(device, "binary_strided_forward", dtype, n, _pair_args(a, b, z, shape, n, code))
    return z


def _pair_args(a, b, z, shape, n, code):
    """Arguments of binary_strided_forward / compare_forward: a number operand passes by value
    (its bit set in `scalars`; the other operand stands in for its pointer, never read)."""
    ua, ub = not isinstance(a, KnetArray), not isinstance(b, KnetArray)
    return [b if ua else a, a if ub else b, z, n, a if ua else 0, b if ub else 0,
            int(ua) | 2 * int(ub), code,
            *kernel_layout(shape, _strides(a, shape), _strides(b, shape))]


for _ufunc, _op in [(np.add, "add"), (np.subtract, "subtract"), (np.multiply, "multiply"),
                    (np.true_divide, "divide"), (np.power, "power"), (np.maximum, "maximum"),
                    (np.minimum, "minimum")]:
    _register(_ufunc, _op, binary, "with broadcasting")


# ---- comparisons and logic: bool results ----

def compare(op, a, b):
    """bool z = a op b with broadcasting (op a key of COMPARE); bool operands count as 0/1."""
    device, (a, b) = _operands(op, a, b)
    if any(_is_int(x) for x in (a, b)):  # integers compare exactly in float64 (to 2**53)
        dtype = np.dtype(np.float64)
    else:
        dtype = _result_dtype(op, (a, b))
    a, b = _as_float(a, dtype), _as_float(b, dtype)
    shape = np.broadcast_shapes(_shape(a), _shape(b))
    z = empty(shape, BOOL, device)
    n = size_of(shape)
    if n:
        _launch(device, "compare_forward", dtype, n, _pair_args(a, b, z, shape, n, COMPARE[op]))
    return z


for _op in COMPARE:
    _register(getattr(np, _op), _op, compare, "a bool KnetArray")


def logical(op, a, b=None):
    """bool z = a op b ('and', 'or', 'xor'), or op a ('not', 'bool'), broadcast; non-bool
    operands count as true where nonzero."""
    device, xs = _operands(f"logical_{op}", a, *([] if b is None else [b]))
    numbers_ = [bool(x) for x in xs if not isinstance(x, KnetArray)]
    if numbers_:  # x and True = x, x or True = all true, x xor True = not x ...
        x = next(x for x in xs if isinstance(x, KnetArray))
        if op == "and":
            return logical("bool", x) if numbers_[0] else fill(x.shape, BOOL, False, device)
        if op == "or":
            return fill(x.shape, BOOL, True, device) if numbers_[0] else logical("bool", x)
        return logical("not" if numbers_[0] else "bool", x)
    xs = [x if x.dtype == BOOL else astype(x, BOOL) for x in xs]
    a, b = xs[0], xs[-1]
    shape = np.broadcast_shapes(a.shape, b.shape)
    z = empty(shape, BOOL, device)
    n = size_of(shape)
    if n:
        _launch(device, "logical_forward", BOOL, n,
                [a, b, z, n, LOGICAL[op],
                 *kernel_layout(shape, _strides(a, shape), _strides(b, shape))])
    return z


@implements(np.logical_and)
def logical_and(a, b, **kwargs):
    _no_kwargs("logical_and", kwargs)
    return logical("and", a, b)


@implements(np.logical_or)
def logical_or(a, b, **kwargs):
    _no_kwargs("logical_or", kwargs)
    return logical("or", a, b)


@implements(np.logical_xor)
def logical_xor(a, b, **kwargs):
    _no_kwargs("logical_xor", kwargs)
    return logical("xor", a, b)


@implements(np.logical_not)
def logical_not(x, **kwargs):
    _no_kwargs("logical_not", kwargs)
    return logical("not", x)


# ---- where ----

@implements(np.where)
def where(condition, a=None, b=None):
    """np.where(condition, a, b) with broadcasting; a and b may be numbers."""
    if a is None or b is None:
        raise TypeError("knetc's GPU np.where needs all three arguments: np.where(condition) "
                        "has a data-dependent shape (use a mask, or knetc.cpu(x))")
    device, (c, a, b) = _operands("where", condition, a, b)
    if not isinstance(c, KnetArray):
        c = fill((), BOOL, bool(c), device)
    elif c.dtype != BOOL:
        c = astype(c, BOOL)
    if all(isinstance(x, KnetArray) and x.dtype == BOOL or isinstance(x, (bool, np.bool_))
           for x in (a, b)):  # NumPy keeps bool: choose among 0/1, then back to bool
        return astype(where(c, _as_float(a, np.float32), _as_float(b, np.float32)), BOOL)
    dtype = _result_dtype("where", (a, b))
    a, b = _as_float(a, dtype), _as_float(b, dtype)
    shape = np.broadcast_shapes(c.shape, _shape(a), _shape(b))
    z = empty(shape, dtype, device)
    z.weak = _is_weak((a, b))
    n = size_of(shape)
    if n:
        ua, ub = not isinstance(a, KnetArray), not isinstance(b, KnetArray)
        _launch(device, "where_forward", dtype, n,
                [c, z if ua else a, z if ub else b, z, n, a if ua else 0, b if ub else 0,
                 int(ua) | 2 * int(ub),
                 *kernel_layout(shape, _strides(c, shape), _strides(a, shape),
                                _strides(b, shape))])
    return z


# ---- casts, copies, fills ----

_CASTS = {np.dtype(np.float32): "from_float_forward", np.dtype(np.float64): "from_double_forward",
          np.dtype(np.int32): "from_int_forward", np.dtype(np.int64): "from_long_forward",
          BOOL: "from_bool_forward"}
_TO_INT = {np.dtype(np.int32): "to_int_forward", np.dtype(np.int64): "to_long_forward"}


def astype(x, dtype, copy=True):
    """x converted between float32, float64, bool (nonzero is true), int32 and int64 (floats
    truncate toward zero), as a contiguous array (x itself when the dtype matches and copy is
    False). Casts with no kernel of their own go through a float: bool -> int through float32,
    integer -> bool or integer through float64 (exact to 2**53)."""
    dtype, source = np.dtype(dtype), np.dtype(x.dtype)
    if dtype == source:
        return _copy(x) if copy else x
    for d in (dtype, source):
        if d not in _CASTS:
            _float(d, "astype")
    if source.kind in "iub" and dtype.kind in "iub":
        return astype(astype(x, np.float32 if source == BOOL else np.float64), dtype)
    y = empty(x.shape, dtype, x.device)
    n = size_of(x.shape)
    if n:
        if dtype.kind == "f":
            kernel, T = _CASTS[source], dtype
        else:
            kernel, T = _TO_INT.get(dtype, "to_bool_forward"), source
        _launch(x.device, kernel, T, n, [x, y, n, *kernel_layout(x.shape, x.strides)])
    return y


if hasattr(np, "astype"):  # NumPy >= 2.1 (x.astype(...) reaches this through array.py)
    @implements(np.astype)
    def _np_astype(x, dtype, order="K", casting="unsafe", subok=True, copy=True, *,
                   device=None):
        """np.astype(x, dtype, copy=...) and x.astype(dtype, ...) (no other orders)."""
        return astype(x, dtype, copy)


_SAME_SIZE_FLOAT = {4: np.dtype(np.float32), 8: np.dtype(np.float64)}


@implements(np.copy)
def copy(x, order="K", subok=False):
    """A contiguous copy of KnetArray x (any strides, broadcast views included). Integer
    arrays of 4 or 8 bytes are copied bit for bit through a float view of their buffer."""
    y = empty(x.shape, x.dtype, x.device)
    n = size_of(x.shape)
    if n == 0:
        return y
    if x.dtype == BOOL:  # the logic kernel's identity op, x as both operands
        _launch(x.device, "logical_forward", BOOL, n,
                [x, x, y, n, LOGICAL["bool"], *kernel_layout(x.shape, x.strides, x.strides)])
        return y
    dtype = x.dtype if x.dtype.kind == "f" else _SAME_SIZE_FLOAT.get(x.dtype.itemsize, x.dtype)
    _launch(x.device, "copy_forward", _float(dtype, "copy"), n,
            [x.raw.view(dtype), y.raw.view(dtype), n, *kernel_layout(x.shape, x.strides)])
    return y


_copy = copy  # for astype, whose `copy` argument hides the function


def contiguous(x):
    """x itself when C-contiguous, else a contiguous copy made by the copy kernel."""
    if x.is_contiguous:
        return x
    return copy(x)


@implements(np.ascontiguousarray)
def ascontiguousarray(x, dtype=None, *, like=None):
    """Reached only with like=<KnetArray> (NumPy does not dispatch on the first argument)."""
    x = contiguous(x)
    return x if dtype is None else astype(x, dtype, copy=False)


def fill(shape, dtype, value, device):
    """A new contiguous KnetArray of `shape` filled with `value` (float32, float64 or bool)."""
    dtype = np.dtype(dtype)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    y = empty(shape, dtype, device)
    n = size_of(shape)
    if n == 0:
        return y
    if dtype == BOOL:
        _launch(device, "fill_bool_forward", BOOL, n, [y, n, int(bool(value))])
    else:
        _launch(device, "fill_forward", _float(dtype, "fill"), n, [y, n, value], vector=True)
    return y


def zeros(shape, dtype, device):
    return fill(shape, dtype, 0, device)


def ones(shape, dtype, device):
    return fill(shape, dtype, 1, device)


def full(shape, value, dtype, device):
    return fill(shape, dtype, value, device)


def _like(name, a, dtype, shape, device):
    if device is not None and device != "cpu":
        raise TypeError(f"np.{name} of a KnetArray does not take device={device!r}")
    return (a.shape if shape is None else shape), (a.dtype if dtype is None else dtype)


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    shape, dtype = _like("zeros_like", a, dtype, shape, device)
    return fill(shape, dtype, 0, a.device)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    shape, dtype = _like("ones_like", a, dtype, shape, device)
    return fill(shape, dtype, 1, a.device)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    shape, dtype = _like("full_like", a, dtype, shape, device)
    if isinstance(fill_value, KnetArray):
        raise TypeError("knetc's GPU np.full_like takes a number as fill_value; for an array, "
                        "use np.broadcast_to(value, shape) or value + np.zeros_like(a)")
    return fill(shape, dtype, fill_value, a.device)


@implements(np.empty_like)
def empty_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    shape, dtype = _like("empty_like", a, dtype, shape, device)
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return empty(shape, dtype, a.device)


# ---- clip ----

_NO_VALUE = getattr(np, "_NoValue", None)


@implements(np.clip)
def clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE, max=_NO_VALUE,
         **kwargs):
    """np.clip: bounds as numbers (one kernel) or arrays (maximum, then minimum); None is none."""
    _no_kwargs("clip", {"out": out, **kwargs})
    lo = min if a_min is _NO_VALUE else a_min
    hi = max if a_max is _NO_VALUE else a_max
    lo, hi = (None if v is _NO_VALUE else v for v in (lo, hi))
    if lo is None and hi is None:
        raise ValueError("np.clip needs at least one of a_min and a_max")
    if not isinstance(a, KnetArray):
        raise TypeError("knetc's GPU np.clip clips a KnetArray")
    if all(v is None or _is_number(v) or not isinstance(v, KnetArray) and np.ndim(v) == 0
           for v in (lo, hi)):
        return unary("clip", a, -np.inf if lo is None else float(np.asarray(lo)),
                     np.inf if hi is None else float(np.asarray(hi)))
    y = a if lo is None else binary("maximum", a, lo)
    return y if hi is None else binary("minimum", y, hi)


def check_dtype(*arrays):
    """The one dtype of the KnetArrays among `arrays` (a TypeError if they mix dtypes)."""
    dtypes = {np.dtype(a.dtype) for a in arrays if isinstance(a, KnetArray)}
    if len(dtypes) > 1:
        raise TypeError("knetc's GPU ops need operands of one dtype, "
                        f"got {sorted(map(str, dtypes))}")
    return dtypes.pop()
