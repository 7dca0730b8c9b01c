"""Report errors raised inside generated gradient code at the user's own source line."""
from .compiler.emit import LOCATIONS
from .errors import KnetcSyntaxError, NoAdjointError, NoGPUKernelError, NonScalarError


def user_location(exc):
    """(file, line, code) of the user statement whose generated code raised `exc`, or None."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        table = LOCATIONS.get(tb.tb_frame.f_code.co_filename)
        if table is not None:
            found = table.get(tb.tb_lineno, found)
        tb = tb.tb_next
    for _ in range(8):  # code generated from generated code (a higher derivative): on to
        table = LOCATIONS.get(found[0]) if found is not None else None  # the user's line
        if table is None or table.get(found[1]) is None:
            break
        found = table[found[1]]
    return found


def relocate(exc, compiled=None):
    """The exception to raise instead of `exc`, or None to re-raise it with a note."""
    where = user_location(exc)
    if where is None and isinstance(exc, NonScalarError) and compiled is not None:
        where = compiled.result_where  # the function's `return`
    if where is None:
        return None
    filename, lineno, code = where
    if (isinstance(exc, TypeError) and not isinstance(exc, NoGPUKernelError)
            and str(exc).startswith("knetc ")):
        message, _, hint = str(exc).partition("; ")
        kind = NoAdjointError if "no adjoint rule" in message else KnetcSyntaxError
        return kind(message, filename, lineno, code,
                    hint=f"Instead: {hint}." if hint else None)
    if hasattr(exc, "add_note"):
        exc.add_note(f"knetc: raised by the gradient of {filename}:{lineno}\n    {code}")
    return None
