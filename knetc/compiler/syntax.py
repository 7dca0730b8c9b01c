"""The one module that touches the AST libraries: parse user code with gast, print with astor."""
import copy as copy_module
import inspect
import linecache
import textwrap
import types
from collections import deque

import astor
import gast

from ..errors import KnetcError



def walk(node, _node_type=gast.AST):
    """Every node under `node`, itself first, in ast.walk's breadth-first order; about twice
    as fast (no generator per node), which is a tenth of the compile time of a long loss."""
    todo = deque([node])
    pop, push, extend = todo.popleft, todo.append, todo.extend
    while todo:
        n = pop()
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, list):
                extend([item for item in value if isinstance(item, _node_type)])
            elif isinstance(value, _node_type):
                push(value)
        yield n


# Passes build and inspect nodes through this name only: gast's names, with the faster walk.
ast = types.ModuleType("knetc.compiler.syntax.ast", gast.__doc__)
ast.__dict__.update({k: v for k, v in vars(gast).items() if not k.startswith("__")})
ast.walk = walk


class FunctionSource:
    """A user function's parsed definition and where it came from."""

    def __init__(self, fn, node, filename, lines):
        self.fn = fn
        self.node = node
        self.filename = filename
        self.lines = lines  # the file's lines, for quoting in errors

    def where(self, lineno, what):
        """(what, file, line, its code) for an error at `lineno`; in code knetc generated (a
        second derivative differentiates forward-mode code), at the user's line it came
        from."""
        from .emit import LOCATIONS
        at = LOCATIONS.get(self.filename, {}).get(lineno)
        if at is None:
            return what, self.filename, lineno, self.line(lineno)
        return (what + " (in the forward-mode code of this line, differentiated again for a "
                "second derivative)", *at)

    def line(self, lineno):
        if lineno and 0 < lineno <= len(self.lines):
            return self.lines[lineno - 1].rstrip("\n")
        return ""


def parse_function(fn):
    """Parse `fn`'s source into a gast FunctionDef whose line numbers are the file's."""
    name = getattr(fn, "__name__", repr(fn))
    # The function's own code, never inspect's unwrapping through `__wrapped__`: a
    # `functools.wraps` wrapper is compiled as the wrapper it is (its `f` a closure cell).
    code = getattr(fn, "__code__", None)
    try:
        if code is None:
            raise TypeError(f"{type(fn).__name__} is not a Python function")
        lines, start = inspect.getsourcelines(code)
        filename = inspect.getsourcefile(code) or code.co_filename
    except (OSError, TypeError) as exc:
        raise KnetcError(
            f"knetc cannot read the source of {name!r} ({exc}). knetc differentiates Python "
            "functions defined with `def` in a file (or a notebook cell); builtins, C "
            "functions and code typed at the interactive prompt have no source to read."
        ) from None
    try:
        tree = gast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        tree = gast.parse("")
    defs = [n for n in tree.body if isinstance(n, gast.FunctionDef)]
    if any(isinstance(n, gast.AsyncFunctionDef) for n in tree.body):
        from ..errors import KnetcSyntaxError
        raise KnetcSyntaxError("knetc cannot differentiate an `async def`", filename, start,
                               lines[0], hint="Instead: differentiate a plain `def` function.")
    if not defs:
        node = _lambda_as_def(tree, fn, filename)
        if node is None:
            raise KnetcError(
                f"knetc cannot read {name!r} at {filename}:{start} as one function. "
                "Write it as `def name(...):` (or a lambda alone on its line).")
        defs = [node]
    node = defs[0]
    if node.name != "lambda_" and _signature(node) != _code_signature(code):
        raise KnetcError(
            f"the source of {name!r} in {filename} no longer matches the function Python "
            f"loaded (line {start} now reads {lines[0].strip()!r}): the file changed after "
            "it was imported. Reload the module (importlib.reload) or restart, so knetc "
            "differentiates the code that runs.")
    gast.increment_lineno(node, max(start, 1) - 1)
    file_lines = linecache.getlines(filename) or lines
    return FunctionSource(fn, node, filename, file_lines)


def _signature(node):
    args = node.args
    return node.name, [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]


def _code_signature(code):
    return code.co_name, list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])


def _lambda_as_def(tree, fn, filename):
    """`f = lambda a, b: expr` read as `def lambda_(a, b): return expr`."""
    params = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
    found = [node for node in walk(tree) if isinstance(node, gast.Lambda)]
    if len(found) > 1:
        raise KnetcError(f"knetc cannot tell which of the {len(found)} lambdas at "
                         f"{filename}:{fn.__code__.co_firstlineno} is {fn.__name__!r}; write it "
                         "as a `def` or give it a line of its own")
    for node in found:
        if [a.id for a in node.args.args] == params:
            body = [gast.Return(value=node.body)]
            gast.copy_location(body[0], node)
            fdef = gast.FunctionDef(name="lambda_", args=node.args, body=body,
                                    decorator_list=[], returns=None, type_comment=None,
                                    type_params=[])
            return gast.copy_location(fdef, node)
    return None


def to_source(node):
    """Print a gast node as Python source."""
    return astor.to_source(gast.gast_to_ast(node))


def parse_expr(text):
    """Parse one expression into a gast node."""
    return gast.parse(text, mode="eval").body


def function_body(fn):
    """The statements of a plain Python function (adjoint templates are written this way)."""
    tree = gast.parse(textwrap.dedent(inspect.getsource(fn)))
    return tree.body[0]


def expr_text(node):
    """Source text of an expression node, on one line."""
    return to_source(node).strip()


def name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value):
    if isinstance(target, str):
        target = name(target, store=True)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def call(func, args, keywords=()):
    if isinstance(func, str):
        func = parse_expr(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def copy(node, _node_type=gast.AST):
    """A deep copy of a node or a list of nodes: what copy.deepcopy gives for the trees knetc
    builds (nodes, lists and immutable leaves), in a tenth of its time (no memo)."""
    if isinstance(node, list):
        return [copy(item) for item in node]
    if not isinstance(node, _node_type):
        return node
    new = type(node).__new__(type(node))
    fields = new.__dict__
    for key, value in node.__dict__.items():
        if isinstance(value, (list, _node_type)):
            value = copy(value)
        elif not isinstance(value, (str, int, float, complex, bytes, type(None), type(...))):
            value = copy_module.deepcopy(value)  # anything else a pass attached: as before
        fields[key] = value
    return new


def names_loaded(node):
    """Every Name read anywhere under `node` (a node or a list of nodes)."""
    return _names(node, gast.Load)


def names_stored(node):
    """Every Name assigned anywhere under `node` (a node or a list of nodes)."""
    return _names(node, gast.Store)


def _names(node, context, _node_type=gast.AST, _name=gast.Name):
    out = set()
    todo = list(node) if isinstance(node, list) else [node]
    while todo:
        n = todo.pop()
        if type(n) is _name and type(n.ctx) is context:
            out.add(n.id)
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, _node_type)])
            elif isinstance(value, _node_type):
                todo.append(value)
    return out
