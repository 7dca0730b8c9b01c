"""The errors knetc raises, each naming the user's file and line."""


class KnetcError(Exception):
    """Base class of every error knetc raises on purpose."""


class KnetcSyntaxError(KnetcError, SyntaxError):
    """Code outside the subset knetc can differentiate.

    The message names the construct, the file and line, shows the line, and
    says what to write instead.
    """

    def __init__(self, message, filename=None, lineno=None, line=None, hint=None):
        self.construct_message = message
        self.hint = hint
        where = f"{filename}:{lineno}" if filename and lineno else (filename or "<unknown>")
        text = f"{message}\n  at {where}"
        if line:
            text += f"\n    {line.strip()}"
        if hint:
            text += f"\n  {hint}"
        Exception.__init__(self, text)
        self.msg = text
        self.filename = filename
        self.lineno = lineno
        self.text = line
        self.offset = None

    def __str__(self):
        return self.msg


class NoAdjointError(KnetcSyntaxError):
    """A differentiated value flows into a function that has no adjoint rule."""


class NonScalarError(KnetcError, ValueError):
    """The differentiated function returned something other than a scalar."""


class NoGPUKernelError(TypeError):
    """A NumPy function was called on KnetArrays and knetc has no GPU kernel for it."""
