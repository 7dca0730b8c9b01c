"""Resolve `obj.name(...)` by what `obj.name` is, never by its spelling alone: a user class's
`sum` or `dot` is the user's method, and only an array's (or a list's, a dict's) method is
differentiated by the rule for `.sum`, `.dot`, `.get`."""
import inspect
import sys

from ..rules import NONDIFF, RULES

_LIBRARIES = ("builtins", "numpy", "knetc")  # classes whose methods the `.name` rules cover


def bound_user_method(obj):
    """The function of `obj` when it is a method bound to an object of a user class."""
    if not inspect.ismethod(obj) or not inspect.isfunction(obj.__func__):
        return None
    owner = obj.__self__ if isinstance(obj.__self__, type) else type(obj.__self__)
    return None if _library_class(owner) else obj.__func__


def library_method_key(obj, attr):
    """`.attr` when `obj` is the method `attr` of a library object (an ndarray's `sum`, a
    dict's `get`) that a `.attr` rule or NONDIFF entry covers, else None."""
    owner = getattr(obj, "__self__", None)
    key = "." + attr
    if owner is None or inspect.ismodule(owner) or not _library_class(type(owner)):
        return None
    return key if key in RULES or key in NONDIFF else None


def user_method_names(scope, self_type=None):
    """Names of the methods that the user classes a function can see (its module's globals,
    its closure, the class of `self`, and the classes of objects held there) define."""
    values = list(scope.module.values())
    for cell in scope.cells.values():
        try:
            values.append(cell.cell_contents)
        except ValueError:
            pass
    classes = {self_type} if self_type is not None else set()
    for value in values:
        if inspect.ismodule(value) or inspect.isroutine(value):
            continue
        classes.add(value if isinstance(value, type) else type(value))
    names = set()
    for cls in classes:
        for klass in getattr(cls, "__mro__", ()):
            if not _library_class(klass):
                names.update(k for k, v in vars(klass).items() if inspect.isfunction(v))
    return names


def _library_class(cls):
    top = (getattr(cls, "__module__", "") or "").split(".")[0]
    return top in _LIBRARIES or top in sys.stdlib_module_names  # (a logger is not the user's)
