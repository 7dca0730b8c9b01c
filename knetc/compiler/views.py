"""Which expressions give a NumPy view of (or another name for) an existing object.

knetc compiles `a *= 2.0` as `a = a * 2.0`; that is exact only if nothing else reaches
a's memory. These helpers tell the alias check (aliases.py) which assignments make a
second way to reach an object: `v = a[0]`, `v = a[1:]` (a view of an array, a copy of a
list: knetc cannot tell which, so it assumes the view), `a.T`, `a.reshape(...)`, `np.squeeze(a)`,
`t = s if c else u`, ...

    _view_roots(`a[..., 0].T`) == {'a'}        _view_roots(`a * 2.0`) is None
"""
from .activity import SHAPE_ATTRIBUTES
from .syntax import ast

# methods and numpy functions whose result may share memory with their first operand
VIEW_METHODS = {"reshape", "ravel", "transpose", "squeeze", "swapaxes", "view", "diagonal",
                "conj", "conjugate", "__array__", "newbyteorder"}
VIEW_FUNCTIONS = {"reshape", "ravel", "transpose", "squeeze", "swapaxes", "moveaxis",
                  "rollaxis", "asarray", "asanyarray", "atleast_1d", "atleast_2d",
                  "atleast_3d", "expand_dims", "broadcast_to", "diagonal", "real", "imag",
                  "ascontiguousarray", "asfortranarray", "require", "flip", "fliplr",
                  "flipud", "rot90", "split", "array_split", "hsplit", "vsplit", "dsplit",
                  "matrix_transpose", "permute_dims", "diag", "broadcast_arrays",
                  "stop_gradient", "mat"}
OUTSIDE = "<outside the function>"  # a global, or an attribute of one


def view_roots(value, locals_, returns_argument):
    """The variables whose object (or memory) `value` may be, or None for a new object.

    A root that is not a plain local variable comes back as OUTSIDE (a global: its object
    is held by the module); a temporary (`(x * 2.0).T`) as None in the set's place, which
    the caller treats as unknown.
    """
    if isinstance(value, ast.Name):
        return {value.id if value.id in locals_ else OUTSIDE}
    if isinstance(value, ast.IfExp):
        return _union(view_roots(value.body, locals_, returns_argument),
                      view_roots(value.orelse, locals_, returns_argument))
    if isinstance(value, ast.BoolOp):
        out = None
        for v in value.values:
            out = _union(out, view_roots(v, locals_, returns_argument))
        return out
    if isinstance(value, ast.Subscript):
        return _base(value.value, locals_, returns_argument)
    if isinstance(value, ast.Attribute):
        if value.attr in SHAPE_ATTRIBUTES:
            return None
        return _base(value.value, locals_, returns_argument)
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in VIEW_METHODS \
                and not _is_module(func.value, locals_):
            return _base(func.value, locals_, returns_argument)
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if called in VIEW_FUNCTIONS and value.args:
            return _base(value.args[0], locals_, returns_argument)
        if returns_argument(value):
            out = set()
            for a in value.args + [k.value for k in value.keywords]:
                out |= view_roots(a, locals_, returns_argument) or set()
            return out or None
    return None


def _base(node, locals_, returns_argument):
    """The roots of the object a view is taken of; {None} for a temporary."""
    roots = view_roots(node, locals_, returns_argument)
    return roots if roots else {None}


def _is_module(node, locals_):
    return isinstance(node, ast.Name) and node.id not in locals_


def _union(a, b):
    if a is None:
        return b
    return a if b is None else a | b
