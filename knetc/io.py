"""Save and load parameters and optimizer state as one .npz file, written atomically.

The file holds each array under a generated name plus one JSON description (`__knetc__`) of
the nesting (lists, tuples, dicts) and of the non-array leaves (floats, ints, bools, strings,
None), so `load` gives back the structure that was saved. It never needs pickle. CuPy arrays
are saved from host copies and load as NumPy arrays: move them back with `cupy.asarray`.
"""
import json
import os
import tempfile

import numpy as np

from .optim import _xp, restore, state_of

FORMAT = "knetc"
VERSION = 1
_META = "__knetc__"


class _Encoder:
    """Turns a structure into a JSON-able description, collecting its arrays by name."""

    def __init__(self):
        self.arrays = {}

    def _array(self, a):
        name = f"a{len(self.arrays)}"
        a = np.asarray(a) if _xp(a) is np else a.get()
        if a.dtype.kind == "O":
            raise TypeError("object arrays cannot be saved without pickle")
        self.arrays[name] = a
        return name

    def encode(self, x, where="params"):
        if isinstance(x, bool):
            return {"bool": x}
        if isinstance(x, int):
            return {"int": x}
        if isinstance(x, float):
            return {"float": x}
        if isinstance(x, str):
            return {"str": x}
        if x is None:
            return {"none": None}
        if isinstance(x, np.generic):
            return {"scalar": self._array(np.asarray(x))}
        if isinstance(x, (list, tuple)):
            kind = "list" if isinstance(x, list) else "tuple"
            return {kind: [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        if isinstance(x, dict):
            return {"dict": [[self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                             for k, v in x.items()]}
        if hasattr(x, "shape") and hasattr(x, "dtype"):
            return {"array": self._array(x)}
        raise TypeError(f"knetc.save cannot store {where}, a {type(x).__name__}: use arrays, "
                        "numbers, strings, None and lists, tuples or dicts of them")


def _decode(spec, arrays):
    (kind, v), = spec.items()
    if kind in ("bool", "int", "float", "str"):
        return v
    if kind == "none":
        return None
    if kind == "array":
        return arrays[v]
    if kind == "scalar":
        return arrays[v][()]
    if kind == "list":
        return [_decode(s, arrays) for s in v]
    if kind == "tuple":
        return tuple(_decode(s, arrays) for s in v)
    if kind == "dict":
        return {_decode(k, arrays): _decode(s, arrays) for k, s in v}
    raise ValueError(f"unknown entry {kind!r} in a knetc file")


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return                              # e.g. Windows: directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(path, params, opt=None, **extra):
    """Write params, optimizer state and extra values to the .npz file `path`, atomically.

    Args:
        path: the file name, used as given (no ".npz" is appended).
        params: arrays, numbers, strings, None, and lists/tuples/dicts nesting them.
        opt: an optimizer or a structure of optimizers (or their saved state), or None.
        extra: more values of the same kinds, e.g. epoch=3, vocab={"a": 0}.

    The data goes to a temporary file in the same directory, is flushed to disk, and then
    replaces `path` in one rename: a crash or error midway leaves any previous file intact.

        knetc.save("model.npz", w, opt, epoch=epoch)
        w, ostate, extra = knetc.load("model.npz")
    """
    path = os.fspath(path)
    enc = _Encoder()
    meta = {"format": FORMAT, "version": VERSION, "params": enc.encode(params),
            "opt": None if opt is None else enc.encode(state_of(opt, copy=False), "opt"),
            "extra": enc.encode(extra, "extra")}
    arrays = dict(enc.arrays)
    arrays[_META] = np.array(json.dumps(meta))
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def load(path):
    """Read a file written by `save`: returns (params, opt_state or None, extra dict).

    opt_state is the optimizer's state as saved; rebuild the optimizer(s) with
    `knetc.optim.restore(opt_state)`, or load it into one you made: `opt.load_state(opt_state)`.

        w, ostate, extra = knetc.load("model.npz")
        opt = knetc.optim.restore(ostate)
    """
    with np.load(os.fspath(path), allow_pickle=False) as z:
        if _META not in z.files:
            raise ValueError(f"{path} is not a knetc file (no {_META} entry)")
        meta = json.loads(str(z[_META][()]))
        if meta.get("format") != FORMAT or meta.get("version", 0) > VERSION:
            raise ValueError(f"{path}: unsupported format {meta.get('format')} "
                             f"version {meta.get('version')}")
        arrays = {name: z[name] for name in z.files if name != _META}
    params = _decode(meta["params"], arrays)
    ostate = None if meta["opt"] is None else _decode(meta["opt"], arrays)
    return params, ostate, _decode(meta["extra"], arrays)


def load_optimizer(path):
    """Just the optimizer(s) saved in `path`, rebuilt (None if none was saved).

        opt = knetc.io.load_optimizer("model.npz")
    """
    return restore(load(path)[1])
