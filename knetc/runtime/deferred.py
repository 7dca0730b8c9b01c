"""Weight adjoints of thin products, summed as stacked rows and multiplied out once.

A recurrent model adds one weight adjoint per time step: `dW += a.T @ g` with k (the batch)
rows in `a` and `g`, an m x n result from k x m and k x n operands. Made one step at a time,
each step writes a whole m x n product and then adds it into the running sum: for the char
LSTM's 424 x 1024 weight, 25 products of 32 rows and 25 additions of 1.7 MB. Stacked, the same
sum is a few GEMMs over hundreds of rows, which is what a careful hand-written pass does.

So `matmul_grad_a/_b` return a `Pending` for a thin product of NumPy matrices (small k, large
m x n): the sum `dense + p.T @ q` whose rows p (k x m) and q (k x n) are not multiplied yet.
Adding two of them stacks their rows in row buffers (up to 8 MiB or twice the output, then
they are multiplied out into `dense`). Anything else that reads a Pending (a NumPy function or
ufunc, an operator, an attribute, `np.asarray`) multiplies it out first, once, and works on the
array: a Pending reads like the array it stands for. Pendings are values: adding never changes
an operand, and two sums that grow from one Pending copy its rows instead of sharing them.
"""
import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def pending_product(p, q):
    """p.T @ q for NumPy matrices p (k x m) and q (k x n) as a Pending where the product is
    thin (m x n large next to its k rows); None where it is better made now."""
    k, m = p.shape
    n = q.shape[1]
    if m * n >= 65536 and m * n >= 4 * k * (m + n) and p.dtype == q.dtype \
            and p.dtype in _FLOATS:
        return Pending(None, _Rows(p, q, k, owned=False), k)
    return None


class _Rows:
    """Row buffers p and q; the first `used` rows are taken. Buffers it does not own (the
    operands of one product) are never written."""
    __slots__ = ("p", "q", "used", "owned")

    def __init__(self, p, q, used, owned):
        self.p, self.q, self.used, self.owned = p, q, used, owned


class Pending:
    """The m x n array `dense + rows.p[:n].T @ rows.q[:n]`, with dense None for zero."""
    __slots__ = ("dense", "rows", "n", "shape", "dtype", "_value")
    ndim = 2

    def __init__(self, dense, rows, n):
        self.dense, self.rows, self.n, self._value = dense, rows, n, None
        self.shape = (rows.p.shape[1], rows.q.shape[1])
        self.dtype = rows.p.dtype

    @property
    def size(self):
        return self.shape[0] * self.shape[1]

    def value(self):
        """The array itself: multiplied out on the first call, the same array after it."""
        if self._value is None:
            rows, n = self.rows, self.n
            if rows.owned:
                _ROWS_SEEN[self.shape, self.dtype] = n
            out = rows.p[:n].T @ rows.q[:n]
            if self.dense is not None:
                out += self.dense
            self._value = out
            self.dense = self.rows = None  # the operands can go
        return self._value

    def is_unread(self):
        """Whether value() has not been called yet (its array would be new)."""
        return self._value is None

    def plus(self, other):
        """self + other for a Pending or an array of the same shape and dtype; None if the sum
        is better made as arrays (another shape or dtype, a multiplied-out operand)."""
        if self._value is not None:
            return None
        if type(other) is np.ndarray:
            if other.shape != self.shape or other.dtype != self.dtype:
                return None
            dense = other if self.dense is None else self.dense + other
            return Pending(dense, self.rows, self.n)
        if type(other) is not Pending or other._value is not None or \
                other.shape != self.shape or other.dtype != self.dtype:
            return None
        if other.n > self.n:  # append the shorter run of rows to the longer one
            self, other = other, self
        dense = _sum(self.dense, other.dense)
        rows, n = self.rows, self.n
        k = other.n
        if not rows.owned or rows.used != n or n + k > len(rows.p):
            rows, n, dense = _fresh_rows(rows, n, k, dense, self.shape)
        rows.p[n:n + k] = other.rows.p[:k]
        rows.q[n:n + k] = other.rows.q[:k]
        rows.used = n + k
        return Pending(dense, rows, n + k)

    # --- everything else reads the array ------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        value = self.value()
        if dtype is not None and np.dtype(dtype) != value.dtype:
            return value.astype(dtype)  # a new array anyway
        return value.copy() if copy else value  # np.array(d) copies, as for an array

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.add and method == "__call__" and len(inputs) == 2 and not kwargs:
            a, b = inputs
            out = a.plus(b) if type(a) is Pending else b.plus(a)
            if out is not None:
                return out
        inputs = tuple(_array(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_array(x) for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        args = tuple(_array_deep(a) for a in args)
        kwargs = {key: _array_deep(v) for key, v in kwargs.items()}
        return func(*args, **kwargs)

    def __getattr__(self, name):  # .T, .sum, .reshape, .copy, ...: the array's
        if name.startswith("__") or name in Pending.__slots__:
            raise AttributeError(name)  # copy and pickle probe for these before __init__
        return getattr(self.value(), name)

    def __repr__(self):
        if self._value is not None:
            return repr(self._value)
        return (f"<knetc Pending {self.shape[0]}x{self.shape[1]} {self.dtype} adjoint: a sum "
                f"of products over {self.n} stacked rows, not multiplied out yet; "
                f"np.asarray(...) gives the array>")

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        return iter(self.value())

    def __bool__(self):
        return bool(self.value())

    def __float__(self):
        return float(self.value())

    def __getitem__(self, index):
        return self.value()[index]

    def __setitem__(self, index, item):
        self.value()[index] = item


def _operator(ufunc, reflected=False):
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.true_divide), ("floordiv", np.floor_divide),
                      ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul)]:
    setattr(Pending, f"__{_name}__", _operator(_ufunc))
    setattr(Pending, f"__r{_name}__", _operator(_ufunc, reflected=True))
for _name, _ufunc in [("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                      ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)]:
    setattr(Pending, f"__{_name}__", _operator(_ufunc))
Pending.__neg__ = lambda self: np.negative(self)
Pending.__pos__ = lambda self: np.positive(self)
Pending.__abs__ = lambda self: np.absolute(self)
Pending.__hash__ = None


def _sum(a, b):
    if a is None:
        return b
    return a if b is None else a + b


BUFFER_ELEMENTS = 1 << 21  # row buffers may hold this many elements (8 MiB of float32)
_ROWS_SEEN = {}  # (shape, dtype) -> rows the last such sum held when it was multiplied out


def _fresh_rows(rows, n, k, dense, shape):
    """Owned buffers holding rows[:n], with room for k more (sized from the last sum of this
    shape, else doubling). Buffers are kept to about 8 MiB or twice the output, whichever is
    more: rows beyond that are multiplied out into dense first."""
    m, cols = shape
    limit = max(2 * m * cols, BUFFER_ELEMENTS) // (m + cols)
    if n + k > limit:  # multiply out what is there; the buffers start empty
        product = rows.p[:n].T @ rows.q[:n]
        dense = product if dense is None else np.add(product, dense, out=product)
        n = 0
    capacity = max(min(limit, max(128, 2 * (n + k), _ROWS_SEEN.get((shape, rows.p.dtype), 0))),
                   n + k)
    p = np.empty((capacity, m), rows.p.dtype)
    q = np.empty((capacity, cols), rows.q.dtype)
    p[:n] = rows.p[:n]
    q[:n] = rows.q[:n]
    return _Rows(p, q, n, owned=True), n, dense


def _array(x):
    return x.value() if type(x) is Pending else x


def _array_deep(x):
    if type(x) is Pending:
        return x.value()
    if type(x) in (list, tuple):
        return type(x)(_array_deep(v) for v in x)
    return x
