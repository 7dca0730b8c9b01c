"""What each name and attribute chain a user function calls resolved to when its gradient was
compiled, and whether it still resolves to the same object when the gradient is called.

Generated code bakes in those decisions (a rule pasted for `helpmod.act(x)`, a forward and
backward pair for `self.predict(x)`), so rebinding any of them makes the code stale:

    helpmod.act = np.exp        act = np.cos (a closure cell)       Model.predict = other
"""
import builtins
import types

MISSING = object()
_METHODS = (types.MethodType, types.BuiltinMethodType)  # a fresh object on every access


class Scope:
    """The names of one user function: its closure cells, then its module, then builtins."""

    def __init__(self, fn):
        self.module = fn.__globals__
        self.cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
        self.deps = {}  # (holder id, name, attributes) -> (holder, name, attributes, object)

    def resolve(self, root, attrs=()):
        """The object `root.attrs[0].attrs[1]...` names now (MISSING if none), recorded."""
        holder = self.cells.get(root, self.module)
        return self.watch(holder, root, tuple(attrs))

    def watch(self, holder, key, attrs=()):
        """Record what `key` (then `attrs`) resolves to in `holder`: a module's globals, a
        closure cell, or an object such as a class; return it."""
        value = current(holder, key, attrs)
        self.deps[(id(holder), key, attrs)] = (holder, key, attrs, value)
        return value

    def is_builtin(self, name):
        """Whether `name`, read outside the function's own locals, is Python's builtin."""
        builtin = getattr(builtins, name, MISSING)
        return builtin is not MISSING and self.resolve(name) is builtin


def current(holder, key, attrs=()):
    if type(holder) is dict:  # module globals, falling back to builtins as Python does
        value = holder.get(key, MISSING)
        if value is MISSING:
            value = getattr(builtins, key, MISSING)
    elif type(holder) is types.CellType:
        try:
            value = holder.cell_contents
        except ValueError:  # not assigned yet
            value = MISSING
    else:
        try:
            value = getattr(holder, key)
        except Exception:
            value = MISSING
    for attr in attrs:
        if value is MISSING:
            break
        try:
            value = getattr(value, attr)
        except Exception:
            value = MISSING
    return value


class Dependencies:
    """The recorded resolutions of a whole program, checked on every call: module globals
    (the common case) by one dict lookup each, the rest by resolving them again."""

    def __init__(self, deps):
        self.plain, self.dotted, self.other = [], [], []
        for holder, key, attrs, value in deps:
            if type(holder) is dict and len(attrs) == 1 \
                    and type(holder.get(key)) is types.ModuleType:  # np.exp: inlined
                self.dotted.append((holder, key, attrs[0], value))
            elif type(holder) is dict and not attrs and key in holder:
                self.plain.append((holder, key, value))
            elif type(holder) is dict and not attrs:  # a builtin: shadowed if defined later
                self.plain.append((holder, key, MISSING))
            else:
                self.other.append((holder, key, attrs, value))

    def __len__(self):
        return len(self.plain) + len(self.dotted) + len(self.other)

    def stale(self):
        for namespace, key, obj in self.plain:
            if namespace.get(key, MISSING) is not obj:
                return True
        for namespace, key, attr, obj in self.dotted:
            if getattr(namespace.get(key, MISSING), attr, MISSING) is not obj:
                return True
        for holder, key, attrs, obj in self.other:
            now = current(holder, key, attrs)
            if now is not obj and not (type(now) in _METHODS and now == obj):
                return True
        return False
