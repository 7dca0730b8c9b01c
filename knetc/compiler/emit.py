"""Assemble the sweeps into one function, print it with comments, and compile it.

The printed function is the product the user reads: `# <line>` above each group of forward
statements and `# grad of: <line>` above each group of backward statements. It is compiled
inside a factory whose parameters are the runtime helpers (so the user's module globals stay
untouched and stay live), and registered with linecache so tracebacks and pdb show it.
"""
import itertools
import textwrap

from .. import runtime
from .syntax import ast, compile_function, to_source

_counter = itertools.count(1)
HELPERS = {k: v for k, v in vars(runtime).items()
           if callable(v) and not k.startswith("_") and getattr(v, "__module__", "") ==
           runtime.__name__}
HELPERS["np"] = runtime.np


class Comments:
    """Comment lines carried through astor as string markers, then swapped back in."""

    def __init__(self, source):
        self.source = source
        self.texts = {}

    def marker(self, text):
        key = f"__knetc_comment_{len(self.texts)}__"
        self.texts[key] = text
        return ast.Expr(value=ast.Constant(value=key, kind=None))

    def annotate(self, stmts, prefix):
        """A copy of `stmts` with a comment before each run of statements from one line."""
        out, last = [], None
        for stmt in stmts:
            lineno = getattr(stmt, "lineno", None)
            if lineno is not None and lineno != last:
                line = self.source.line(lineno).strip()
                if line:
                    out.append(self.marker(prefix + line))
                last = lineno
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block:
                    setattr(stmt, field, self.annotate(block, prefix))
            out.append(stmt)
        return out

    def render(self, text):
        lines = []
        for line in text.splitlines():
            stripped = line.strip().strip("'\"")
            if stripped in self.texts:
                indent = line[: len(line) - len(line.lstrip())]
                lines.append(f"{indent}# {self.texts[stripped]}")
            else:
                lines.append(line)
        return "\n".join(lines) + "\n"


def emit(source, fn_name, args, head, forward, seed, backward, returns):
    """Build, print and compile the gradient function; returns (function, source text)."""
    comments = Comments(source)
    body = list(head)
    body.append(comments.marker("forward sweep"))
    body += comments.annotate(forward, "")
    if backward or seed:
        body.append(comments.marker("backward sweep"))
        body += seed
        body += comments.annotate(backward, "grad of: ")
    body.append(returns)
    fn_def = ast.FunctionDef(name=fn_name, args=args, body=body, decorator_list=[],
                             returns=None, type_comment=None, type_params=[])
    text = comments.render(to_source(fn_def))
    closure = list(source.fn.__code__.co_freevars)
    params = list(HELPERS) + closure
    factory = (f"def __knetc_factory__({', '.join(params)}):\n"
               + textwrap.indent(text, "    ") + f"    return {fn_name}\n")
    filename = f"<knetc gradient of {source.fn.__qualname__} #{next(_counter)}>"
    make = compile_function(factory, filename, source.fn.__globals__, "__knetc_factory__")
    cells = [c.cell_contents for c in (source.fn.__closure__ or ())]
    fn = make(*HELPERS.values(), *cells)
    fn.__defaults__ = source.fn.__defaults__
    fn.__kwdefaults__ = source.fn.__kwdefaults__
    return fn, text
