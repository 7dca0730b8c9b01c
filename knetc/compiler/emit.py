"""Print generated functions with comments and turn them into live Python functions.

The printed function is the product the user reads: `# <line>` above each group of forward
statements and `# grad of: <line>` above each group of backward statements. Each function
is compiled with the user function's own module globals (so they stay live and untouched)
and a closure holding the runtime helpers, the user's own closure cells, and the other
generated functions; the text is registered with linecache so tracebacks and pdb show it.
"""
import itertools
import linecache
import textwrap
import types

from .. import runtime
from .syntax import ast, names_loaded, to_source

_counter = itertools.count(1)
LOCATIONS = {}  # generated file name -> {line: (user file, user line, code)}
HELPERS = {k: v for k, v in vars(runtime).items()  # what generated code may call by name
           if callable(v) and not k.startswith("_")
           and getattr(v, "__module__", "").startswith(runtime.__name__ + ".")}
NUMPY = runtime.np  # generated code calls NumPy as `np`, like the user's code


class Comments:
    """Comment lines carried through astor as string markers, then swapped back in."""

    def __init__(self):
        self.texts = {}
        self.where = {}  # marker -> (user file, line number, line) it stands for

    def marker(self, text, where=None):
        key = f"__knetc_comment_{len(self.texts)}__"
        self.texts[key] = text
        self.where[key] = where
        return ast.Expr(value=ast.Constant(value=key, kind=None))

    def annotate(self, stmts, source, prefix):
        """`stmts` with a comment before each run of statements from one user line."""
        out, last = [], None
        for stmt in stmts:
            lineno = getattr(stmt, "lineno", None)
            if lineno is not None and lineno != last:
                line = source.line(lineno).strip()
                if line:
                    out.append(self.marker(prefix + line, (source.filename, lineno, line)))
                last = lineno
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if isinstance(block, list) and block:
                    setattr(stmt, field, self.annotate(block, source, prefix))
            out.append(stmt)
        return out

    def render(self, fn_def):
        """(source text, {line number in the text: (user file, user line, its code)})."""
        lines, where, scopes = [], {}, []  # scopes: (indent, location) of enclosing comments
        for line in to_source(fn_def).splitlines():
            indent = len(line) - len(line.lstrip())
            stripped = line.strip().strip("'\"")
            if stripped in self.texts:
                while scopes and scopes[-1][0] >= indent:
                    scopes.pop()
                if self.where[stripped]:
                    scopes.append((indent, self.where[stripped]))
                lines.append(f"{line[:indent]}# {self.texts[stripped]}")
                continue
            while scopes and scopes[-1][0] > indent:
                scopes.pop()
            lines.append(line)
            if scopes:
                where[len(lines)] = scopes[-1][1]
        return "\n".join(lines) + "\n", where


def function_def(fn_name, args, body):
    return ast.FunctionDef(name=fn_name, args=args, body=body, decorator_list=[],
                           returns=None, type_comment=None, type_params=[])


def build(text, where, fn_name, user_fn, linked, aliases, loads=None):
    """A live function from generated `text`.

    `linked` maps the names of generated functions to cells, `aliases` maps names that
    stand for runtime helpers and other objects to them (`zero_grad_2` -> runtime.zero_grad
    when the user's code has a `zero_grad` of its own); `loads`, the names the text reads
    (found from its tree, to save parsing the text again).
    """
    user_cells = dict(zip(user_fn.__code__.co_freevars, user_fn.__closure__ or ()))
    helpers = dict(aliases)
    if "np" not in user_fn.__globals__ and "np" not in user_cells:
        helpers["np"] = NUMPY
    loads = _loads(text) if loads is None else loads
    free = sorted(n for n in loads if n in helpers or n in linked or n in user_cells)
    factory = (f"def __knetc_factory__({', '.join(free)}):\n"
               + textwrap.indent(text, "    ") + f"    return {fn_name}\n")
    filename = f"<knetc {fn_name} #{next(_counter)}>"
    LOCATIONS[filename] = {line + 1: at for line, at in where.items()}  # +1: factory line
    lines = factory.splitlines(True)
    linecache.cache[filename] = (len(factory), None, lines, filename)
    module = compile(factory, filename, "exec")
    factory_code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    code = next(c for c in factory_code.co_consts
                if isinstance(c, types.CodeType) and c.co_name == fn_name)

    def cell(var):
        if var in linked:
            return linked[var]
        if var in user_cells:
            return user_cells[var]
        return types.CellType(helpers[var])

    return types.FunctionType(code, user_fn.__globals__, fn_name, None,
                              tuple(cell(v) for v in code.co_freevars))


def _loads(text):
    return names_loaded(ast.parse(text))
