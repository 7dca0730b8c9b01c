"""KnetArray: an array on a GPU device whose every operation runs a knetc kernel.

A KnetArray wraps a raw buffer (a CuPy array on a GPU, a NumPy array on the test emulator)
and the Device that owns it. NumPy calls on it (`np.exp(x)`, `np.sum(x, axis=0)`, `x @ w`,
`x + 1`) reach knetc's own ops through `__array_ufunc__` / `__array_function__` and the
operator methods, so the user's unchanged NumPy loss runs on the GPU, never on CuPy's kernels
and never through a host round trip. Ops register themselves in UFUNCS / FUNCTIONS with
`implements`; a NumPy function with no GPU op raises a TypeError naming it.

Views (reshape of contiguous data, transpose, basic slicing) share the buffer and launch
nothing; everything that computes goes through a kernel from kernels/*.cu.
"""
import numpy as np

from ..errors import NoGPUKernelError

UFUNCS = {}     # NumPy ufunc -> op(*inputs, **kwargs)
FUNCTIONS = {}  # NumPy function -> op(*args, **kwargs)


def implements(*numpy_functions):
    """Register the decorated op as the GPU implementation of these NumPy functions/ufuncs."""
    def register(op):
        for f in numpy_functions:
            (UFUNCS if isinstance(f, np.ufunc) else FUNCTIONS)[f] = op
        return op
    return register


def _missing(name):
    return NoGPUKernelError(f"knetc has no GPU kernel for {name} yet; call it on NumPy arrays "
                     "(knetc.cpu(x)) or write it with operations knetc supports on the GPU")


class KnetArray:
    """An N-d array of float32/float64 on a knetc device (see module docstring)."""

    __array_priority__ = 1000  # NumPy scalars and arrays defer to us in mixed operators
    # A float64 result computed from numbers and bool/integer arrays alone (np.where(m, 1.0,
    # 0.1)): like a Python float, it takes the precision of the float arrays it meets.
    weak = False

    def __init__(self, raw, device=None):
        if device is None:  # KnetArray(x): a NumPy array, list or CuPy array, to the GPU
            raw, device = _from_any(raw)
        self.raw, self.device = raw, device

    # ---- metadata: no kernels ----
    shape = property(lambda self: self.raw.shape)
    dtype = property(lambda self: self.raw.dtype)
    ndim = property(lambda self: self.raw.ndim)
    size = property(lambda self: self.raw.size)
    itemsize = property(lambda self: self.raw.itemsize)
    nbytes = property(lambda self: self.raw.nbytes)

    @property
    def strides(self):
        """Element (not byte) strides; broadcast views have 0."""
        return tuple(s // self.raw.itemsize for s in self.raw.strides)

    @property
    def is_contiguous(self):
        return self.raw.flags.c_contiguous

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d KnetArray")
        return self.shape[0]

    def wrap(self, raw):
        """A KnetArray on this array's device around another raw buffer."""
        return KnetArray(raw, self.device)

    # ---- host transfer: explicit only ----
    def get(self):
        """A NumPy copy on the host (like CuPy's `get`)."""
        return self.device.to_host(self.raw)

    def item(self):
        if self.size != 1:
            raise ValueError("can only convert a KnetArray of size 1 to a Python scalar")
        return self.get().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        return bool(self.item())

    def __format__(self, spec):
        if spec and self.size == 1:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __iter__(self):
        """Views of the rows (items along axis 0), like iterating over a NumPy array."""
        if not self.shape:
            raise TypeError("iteration over a 0-d KnetArray")
        raw, device = self.raw, self.device
        return (KnetArray(raw[i, ...], device) for i in range(self.shape[0]))  # 0-d: a view

    def __copy__(self):
        """A new buffer on the same device (copy kernel), as copy.copy of an ndarray copies."""
        return FUNCTIONS[np.copy](self)

    def __deepcopy__(self, memo):
        out = memo[id(self)] = self.__copy__()  # the device is shared, never copied
        return out

    def __reduce__(self):
        """Pickles as its values; unpickling puts them on knetc.cuda.default_device()."""
        return KnetArray, (self.get(),)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("knetc will not copy a KnetArray to the host implicitly; "
                        "call knetc.cpu(x) or x.get()")

    def __repr__(self):
        return f"KnetArray({np.array2string(self.get(), separator=', ')}, dtype={self.dtype})"

    # ---- NumPy protocols: route to knetc ops ----
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and ufunc in UFUNCS:
            return UFUNCS[ufunc](*inputs, **kwargs)
        if method != "__call__" and (ufunc, method) in FUNCTIONS:
            return FUNCTIONS[(ufunc, method)](*inputs, **kwargs)
        suffix = "" if method == "__call__" else f".{method}"
        raise _missing(f"np.{ufunc.__name__}{suffix}")

    def __array_function__(self, func, types, args, kwargs):
        if func in FUNCTIONS:
            return FUNCTIONS[func](*args, **kwargs)
        raise _missing(f"np.{func.__name__}")


def _from_any(x):
    """(raw buffer, device) for KnetArray(x): CuPy arrays are wrapped where they are, anything
    else is copied to knetc.cuda.default_device()."""
    from . import default_device, device_of
    if isinstance(x, KnetArray):
        return x.raw, x.device
    device = device_of(x)  # a CuPy array's own GPU, or None
    if device is not None:
        return x, device
    device = default_device()
    return device.from_host(np.asarray(x)), device


def common_device(what, xs):
    """The device of the KnetArrays among xs: a TypeError when there is none, a ValueError when
    they are on different devices (`what` names the operation in both)."""
    device = next((x.device for x in xs if isinstance(x, KnetArray)), None)
    if device is None:
        raise TypeError(f"knetc's GPU {what} needs a KnetArray operand")
    if any(isinstance(x, KnetArray) and x.device is not device for x in xs):
        raise ValueError(f"knetc's GPU {what}: operands are on different devices")
    return device


def to_device(x, device, dtype=None):
    """x as a KnetArray on `device`: KnetArrays as they are, NumPy arrays and numbers copied
    there (with `dtype` if given: a float constant meets a float32 array as float32)."""
    if isinstance(x, KnetArray):
        return x
    x = np.asarray(x, dtype=dtype)
    return KnetArray(device.from_host(x), device)


def _method(function, name):
    """ndarray.<name>(...) as the registered GPU op of np.<name>(self, ...)."""
    def method(self, *args, **kwargs):
        op = FUNCTIONS.get(function)
        if op is None:
            raise _missing(f"np.{function.__name__} (x.{name}())")
        return op(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"x.{name}(...): np.{function.__name__}(x, ...) on the GPU."
    return method


def _transpose_method(self, *axes):
    """x.transpose(), x.transpose(1, 0) or x.transpose((1, 0)), like ndarray.transpose."""
    if len(axes) == 1 and (axes[0] is None or np.ndim(axes[0]) == 1):
        axes = axes[0]
    return FUNCTIONS[np.transpose](self, axes if axes != () else None)


_METHODS = [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min),
            ("argmax", np.argmax), ("argmin", np.argmin), ("prod", np.prod), ("std", np.std),
            ("var", np.var), ("all", np.all), ("any", np.any), ("clip", np.clip),
            ("dot", np.dot), ("squeeze", np.squeeze), ("ravel", np.ravel),
            ("swapaxes", np.swapaxes), ("copy", np.copy), ("cumsum", np.cumsum),
            ("round", np.round)]
if hasattr(np, "astype"):  # NumPy >= 2.1
    _METHODS.append(("astype", np.astype))
for _name, _function in _METHODS:
    setattr(KnetArray, _name, _method(_function, _name))
KnetArray.transpose = _transpose_method


def _reshape_method(self, *shape, order="C", copy=None):
    """x.reshape(2, 3) or x.reshape((2, 3)), like ndarray.reshape."""
    if len(shape) == 1 and np.ndim(shape[0]) == 1:
        shape = shape[0]
    return FUNCTIONS[np.reshape](self, shape, order=order, copy=copy)


def _flatten_method(self, order="C"):
    """x.flatten(): always a new contiguous array, like ndarray.flatten."""
    from .shape import flatten
    return flatten(self, order)


KnetArray.reshape = _reshape_method
KnetArray.flatten = _flatten_method
KnetArray.T = property(lambda self: FUNCTIONS[np.transpose](self), doc="The transpose (a view).")
KnetArray.mT = property(lambda self: FUNCTIONS[np.swapaxes](self, -1, -2),
                        doc="Transpose of the last two dims (a view).")


def _operator(ufunc, reflected=False):
    if reflected:
        return lambda self, other: self.__array_ufunc__(ufunc, "__call__", other, self)
    return lambda self, other: self.__array_ufunc__(ufunc, "__call__", self, other)


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.true_divide), ("pow", np.power), ("matmul", np.matmul),
                      ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                      ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal),
                      ("and", np.logical_and), ("or", np.logical_or)]:
    setattr(KnetArray, f"__{_name}__", _operator(_ufunc))
    if _name not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(KnetArray, f"__r{_name}__", _operator(_ufunc, reflected=True))
KnetArray.__neg__ = lambda self: self.__array_ufunc__(np.negative, "__call__", self)
KnetArray.__abs__ = lambda self: self.__array_ufunc__(np.absolute, "__call__", self)
KnetArray.__pos__ = lambda self: self
KnetArray.__hash__ = object.__hash__  # __eq__ is elementwise, but arrays stay usable as keys
