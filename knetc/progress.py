"""A tqdm progress bar for training loops that stays silent where nobody is watching."""
import os
import sys

from tqdm import tqdm


def _wanted(enabled, stream):
    if enabled is not None:
        return bool(enabled)
    env = os.environ.get("KNETC_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:                      # a closed stream
        return False


def progress(iterable, total=None, desc=None, enabled=None, **options):
    """Wrap iterable in a tqdm bar showing count, speed and, if you set it, the loss.

    Args:
        iterable: what the loop runs over, e.g. a `knetc.minibatch` (total defaults to its len).
        total: the number of items, when iterable has no len().
        desc: a label before the bar, e.g. "epoch 3".
        enabled: True or False force the bar on or off. None (the default) shows it only when
            stderr (where it is drawn) is a terminal and KNETC_PROGRESS is not 0
            (KNETC_PROGRESS=1 shows it regardless of the terminal).
        options: passed on to tqdm (e.g. unit="batch"); by default the bar appears only once
            the loop has run for one second (delay=1.0).

    Returns the tqdm object: iterate over it, and call `set_postfix(loss=...)` to show a loss.
    Disabled, it is a do-nothing bar, so the same loop works either way.

        bar = knetc.progress(dtrn, desc="epoch 1")
        for x, y in bar:
            loss, dw = lossgrad(w, x, y)
            w = knetc.update(w, dw, opt)
            bar.set_postfix(loss=float(loss))
    """
    file = options.pop("file", sys.stderr)
    options.setdefault("delay", 1.0)
    options.setdefault("dynamic_ncols", True)
    return tqdm(iterable, total=total, desc=desc, file=file,
                disable=not _wanted(enabled, file), **options)
