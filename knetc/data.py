"""Minibatching and the tutorial's data sets: MNIST, UCI housing and plain text.

Loaders look for their files in one data directory: the `data_dir` argument if given, else the
environment variable KNETC_DATA, else the per-user cache `~/.cache/knetc` (under
$XDG_CACHE_HOME when set). A missing file is downloaded from its public source into that
directory, unless `download=False` or KNETC_OFFLINE=1; if it cannot be had, FileNotFoundError
says which file, where knetc looked and where to put it.
"""
import gzip
import os
import struct
import tempfile
import urllib.request

import numpy as np

from . import stochastic as _stochastic
from .optim import _xp

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
HOUSING_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/housing/housing.data"
TIMEOUT = 30  # seconds, for each download


class Minibatches:
    """The batches of `minibatch`: iterable any number of times, with a len()."""

    def __init__(self, x, y, batchsize, shuffle, partial, rng, axis):
        self.x, self.y, self.batchsize = x, y, int(batchsize)
        self.shuffle, self.partial, self.rng = shuffle, partial, rng
        self.axis = axis % x.ndim
        self.n = x.shape[self.axis]
        if self.batchsize < 1:
            raise ValueError(f"batchsize must be at least 1, got {batchsize}")
        if y is not None and y.shape[-1] != self.n:
            raise ValueError(f"x has {self.n} instances along axis {axis}, y has "
                             f"{y.shape[-1]} along its last axis")

    def __len__(self):
        full, rest = divmod(self.n, self.batchsize)
        return full + (1 if self.partial and rest else 0)

    def _take(self, a, axis, index):
        """a's instances `index` (a slice: a view; indices: a copy) along axis."""
        if not isinstance(index, slice):    # indexing, not a.take, which first copies all of a
            index = _xp(a).asarray(index)   # when a is not C-contiguous
        return a[(slice(None),) * axis + (index,)]

    def __iter__(self):
        order = None
        if self.shuffle:
            # knetc's generator lives in knetc.conv; knetc.seed(n) replaces it, so read it now
            rng = _stochastic._RNG if self.rng is None else self.rng
            order = rng.permutation(self.n)
        for b in range(len(self)):
            lo, hi = b * self.batchsize, min((b + 1) * self.batchsize, self.n)
            index = slice(lo, hi) if order is None else order[lo:hi]
            xb = self._take(self.x, self.axis, index)
            if self.y is None:
                yield xb
            else:
                yield xb, self._take(self.y, self.y.ndim - 1, index)


def minibatch(x, y, batchsize, shuffle=False, partial=False, rng=None, axis=-1):
    """Split (x, y) into batches of `batchsize` instances, as the tutorial's `minibatch`.

    Args:
        x: the inputs, instances along `axis`: features x N for dense models (the tutorial's
            layout, axis=-1); for N-first arrays, e.g. N x C x H x W images, pass axis=0.
        y: the outputs (or None to batch x alone), instances along their LAST axis, e.g.
            labels of shape (N,) or targets 1 x N.
        batchsize: instances per batch. The last, smaller batch is dropped unless partial=True.
        shuffle: a fresh random order on every pass (from rng, by default `knetc.seed`'s
            generator); unshuffled batches are views of x and y, shuffled ones copies.

    Returns an object to iterate over once per epoch, with len() the number of batches.

        dtrn = knetc.minibatch(xtrn, ytrn, 100)          # 600 batches of 784 x 100, (100,)
        for x, y in dtrn: ...
    """
    return Minibatches(x, y, batchsize, shuffle, partial, rng, axis)


def data_root(path=None):
    """The directory loaders read: `path`, else $KNETC_DATA, else ~/.cache/knetc.

        knetc.data.data_root()     # e.g. '/home/me/.cache/knetc'
    """
    if path is not None:
        return os.fspath(path)
    if os.environ.get("KNETC_DATA"):
        return os.environ["KNETC_DATA"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "knetc")


def _offline(download):
    return download is False or os.environ.get("KNETC_OFFLINE", "") not in ("", "0")


def fetch(url, dest):
    """Download url to dest atomically (a temporary file in dest's directory, then a rename)."""
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=TIMEOUT) as r:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def find(name, root=None, sub=None, url=None, download=None, what="knetc"):
    """Path of data file `name` in the data directory (or its `sub` folder), downloading it from
    `url` into root/sub when missing and allowed; else FileNotFoundError saying what to do.

        path = knetc.data.find("housing.data", download=False)
    """
    root = data_root(root)
    places = ([os.path.join(root, sub, name)] if sub else []) + [os.path.join(root, name)]
    for p in places:
        if os.path.isfile(p):
            return p
    if url is not None and not _offline(download):
        try:
            fetch(url, places[0])
            return places[0]
        except Exception as exc:  # any failure (HTTP, timeout, disk) ends in the same advice
            why = f"Downloading {url} failed: {exc}."
    elif url is not None:
        why = "Downloads are off (download=False or KNETC_OFFLINE=1)."
    else:
        why = "knetc does not download it."
    raise FileNotFoundError(
        f"{what}: cannot find data file {name!r}; looked for {' and '.join(places)}. {why} "
        f"Put {name} in {os.path.dirname(places[0])}, or point the environment variable "
        f"KNETC_DATA (or the data_dir argument) at a directory that has it.")


def _read_idx(path, magic, ndim):
    """The uint8 array of an IDX file (big-endian: magic, then ndim sizes, then the data)."""
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        raw = f.read()
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes)")
    got, *dims = struct.unpack(f">{1 + ndim}I", raw[:head])
    if got != magic:
        raise ValueError(f"{path}: bad IDX magic number {got} (expected {magic}); not an "
                         f"MNIST {'image' if ndim == 3 else 'label'} file, or corrupted")
    size = int(np.prod(dims))
    if len(raw) - head != size:
        raise ValueError(f"{path}: header says {dims} ({size} bytes of data), file has "
                         f"{len(raw) - head}")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims)


def mnist(data_dir=None, download=None):
    """MNIST as (xtrn, ytrn, xtst, ytst), read from the four standard IDX gzip files.

    x is float32 in [0, 1], 784 x N (pixel r*28+c of an image is row r*28+c; N = 60000 and
    10000); y is int64 labels 0..9 of shape (N,). Files are looked for in <dir>/mnist/ and
    <dir>/ (see the module docstring for <dir>) and downloaded into <dir>/mnist/ when missing.

        xtrn, ytrn, xtst, ytst = knetc.data.mnist()
        dtrn = knetc.minibatch(xtrn, ytrn, 100)
    """
    out = []
    for part in ("train", "t10k"):
        files = [f"{part}-images-idx3-ubyte.gz", f"{part}-labels-idx1-ubyte.gz"]
        paths = [find(f, data_dir, "mnist", MNIST_URL + f, download, "knetc.data.mnist")
                 for f in files]
        images, labels = _read_idx(paths[0], 2051, 3), _read_idx(paths[1], 2049, 1)
        if len(images) != len(labels):
            raise ValueError(f"{paths[0]} has {len(images)} images but {paths[1]} "
                             f"{len(labels)} labels")
        x = images.reshape(len(images), -1).astype(np.float32)
        x /= 255
        out += [x.T, labels.astype(np.int64)]
    return tuple(out)


def housing(data_dir=None, download=None):
    """UCI Boston housing as (x, y): x 13 x 506, each feature normalized to mean 0 and sample
    standard deviation 1 (as the tutorial), y 1 x 506 (median value in $1000s); float64.

        x, y = knetc.data.housing()
    """
    path = find("housing.data", data_dir, None, HOUSING_URL, download, "knetc.data.housing")
    raw = np.loadtxt(path, ndmin=2)
    if raw.shape[1] != 14:
        raise ValueError(f"{path}: expected 14 whitespace-separated columns, found "
                         f"{raw.shape[1]}")
    x = raw[:, :13].T
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    return x, raw[:, 13:14].T.copy()


def text(path, data_dir=None):
    """A text file's contents and its vocabulary {char: index}, indices in sorted char order.

    `path` may be gzipped (.gz). A relative path not found from the current directory is looked
    for in the data directory, with and without .gz (e.g. "shakespeare.txt").

        s, vocab = knetc.data.text("shakespeare.txt")
        ids = [vocab[c] for c in s]
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        if os.path.isabs(path):
            raise FileNotFoundError(f"knetc.data.text: no file {path}")
        root = data_root(data_dir)
        names = [path] if path.endswith(".gz") else [path, path + ".gz"]
        found = [p for p in (os.path.join(root, n) for n in names) if os.path.isfile(p)]
        if not found:
            raise FileNotFoundError(
                f"knetc.data.text: cannot find {path!r} (or .gz) in the current directory or "
                f"in {root}; pass a full path, or point KNETC_DATA (or the data_dir argument) "
                f"at a directory that has it.")
        path = found[0]
    with (gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz")
          else open(path, encoding="utf-8")) as f:
        s = f.read()
    return s, {c: i for i, c in enumerate(sorted(set(s)))}
