"""Drop adjoint computations whose results nothing reads.

The backward sweep computes an adjoint for every operand that may carry a gradient, but
some are never read: the adjoint of input data that was reassigned (`x = x @ w` makes the
name `x` active, yet the adjoint of the data `x` held first is asked for by nobody). A
backward liveness analysis removes every pure assignment whose target is dead, and so
every computation that only fed it:

    dx = matmul_grad_a(dmatmul, x, w_m3)       ->   (removed: dx is not returned)

Inside a loop an adjoint may be needed by the next iteration but not after the last one
(the adjoint of the data a loop starts from, `x = relu(w[i] @ x + ...)`); for a loop over
a `range`, whose items are distinct, such statements are guarded so that the last
iteration of the backward loop (the first of the forward one) skips them:

    dw_i = matmul_grad_a(dmatmul, w_i, x)
    if i != steps[0]:
        dx = matmul_grad_b(dmatmul, w_i, x)

Only assignments of pure expressions go: arithmetic, NumPy calls and runtime helpers that
build new values. Anything that pops the stack, mutates a container (`add_at` into a list)
or calls a generated or user function stays.
"""
import builtins

from .. import runtime
from .syntax import ast, name, names_loaded, names_stored

# runtime helpers that change their arguments or run user code: never dropped
IMPURE_HELPERS = {"add_at", "add_attr", "call_adjoint", "method_forward", "method_backward",
                  "snapshot"}
PURE_OBJECTS = {id(getattr(runtime, n)) for n in dir(runtime)
                if callable(getattr(runtime, n)) and not n.startswith("_")
                and n not in IMPURE_HELPERS}
PURE_OBJECTS |= {id(builtins.len), id(builtins.range), id(builtins.reversed),
                 id(builtins.min), id(builtins.max)}


class Liveness:
    def __init__(self, aliases, range_names=()):
        self.aliases = aliases            # name in generated code -> object it stands for
        self.range_names = set(range_names)  # loop sequences known to be `range(...)`
        self._loads = {}  # id(node) -> names it reads (nodes are not changed meanwhile)
        self._pure = {}

    def loads(self, node):
        out = self._loads.get(id(node))
        if out is None:
            out = self._loads[id(node)] = names_loaded(node)
        return out

    def prune(self, stmts, tail_loads):
        """Remove dead pure assignments from `stmts` in place; `tail_loads` are the names
        read after them (the return)."""
        self._block(stmts, set(tail_loads), remove=True)

    # analysis ---------------------------------------------------------------------------
    def _block(self, stmts, live, remove):
        """Live names before `stmts` given `live` after them; with remove, drop dead ones."""
        live = set(live)
        k = len(stmts) - 1
        while k >= 0:
            stmt = stmts[k]
            if self._dead(stmt, live):
                if remove:
                    del stmts[k]
                k -= 1
                continue
            live = self._stmt(stmt, live, remove)
            k -= 1
        if remove and not stmts:
            stmts.append(ast.Pass())
        return live

    def _dead(self, stmt, live):
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            return False
        targets = _target_names(stmt.targets[0])
        if targets is None or targets & live:
            return False
        pure = self._pure.get(id(stmt))
        if pure is None:
            pure = self._pure[id(stmt)] = self.pure(stmt.value)
        return pure

    def _stmt(self, stmt, live, remove):
        if isinstance(stmt, ast.Assign):
            stored = set()
            for t in stmt.targets:
                names = _target_names(t)
                if names is not None:
                    stored |= names
            return (live - stored) | self.loads(stmt)
        if isinstance(stmt, ast.If):
            then = self._block(stmt.body, live, remove)
            other = self._block(stmt.orelse, live, remove) if stmt.orelse else set(live)
            return then | other | self.loads(stmt.test)
        if isinstance(stmt, (ast.For, ast.While)):
            return self._loop(stmt, live, remove)
        return live | self.loads(stmt)

    def _loop(self, stmt, live_after, remove):
        target = (names_stored(stmt.target) if isinstance(stmt, ast.For) else set())
        head_reads = names_loaded(stmt.iter if isinstance(stmt, ast.For) else stmt.test)
        head = set(live_after)
        if isinstance(stmt, ast.While):
            head |= head_reads
        while True:  # live at the top of the loop: after the loop, or in the next pass
            body_in = self._block(list(stmt.body), head, remove=False)
            new = head | (body_in - target)
            if new == head:
                break
            head = new
        if remove:
            if isinstance(stmt, ast.For):
                self._guard_last(stmt, live_after, head)
            self._block(stmt.body, head, remove=True)
        return head | head_reads

    # the last pass of a backward loop ---------------------------------------------------
    def _guard_last(self, loop, live_after, head):
        """Put `if i != steps[0]:` around pure statements only later passes need."""
        seq = _reversed_name(loop.iter, self.aliases)
        if seq not in self.range_names or not isinstance(loop.target, ast.Name):
            return
        i = loop.target.id
        if {i, seq} & names_stored(loop.body):
            return
        dead_last = set()
        live = set(live_after)  # after the last pass, only what follows the loop is read
        for stmt in reversed(loop.body):
            if self._dead(stmt, live):
                dead_last.add(id(stmt))
            else:
                live = self._stmt(stmt, live, remove=False)
        if not dead_last:
            return
        live = set(head)   # keep statements some pass needs (the rest are removed anyway)
        needed = set()
        for stmt in reversed(loop.body):
            if not self._dead(stmt, live):
                needed.add(id(stmt))
                live = self._stmt(stmt, live, remove=False)
        body, run = [], []
        for stmt in loop.body + [None]:
            if stmt is not None and id(stmt) in dead_last and id(stmt) in needed:
                run.append(stmt)
                continue
            if run:
                test = ast.Compare(left=name(i), ops=[ast.NotEq()],
                                   comparators=[ast.Subscript(value=name(seq),
                                                              slice=ast.Constant(value=0,
                                                                                 kind=None),
                                                              ctx=ast.Load())])
                guard = ast.If(test=test, body=run, orelse=[])
                ast.copy_location(guard, run[0])
                body.append(guard)
                run = []
            if stmt is not None:
                body.append(stmt)
        loop.body[:] = body

    # purity -----------------------------------------------------------------------------
    def pure(self, value):
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                func = sub.func
                if isinstance(func, ast.Name):
                    obj = self.aliases.get(func.id, _BUILTIN_NAMES.get(func.id))
                    if obj is None or id(obj) not in PURE_OBJECTS:
                        return False
                elif not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                          and func.value.id == "np"):
                    return False
            elif isinstance(sub, (ast.Lambda, ast.NamedExpr, ast.Yield, ast.Await)):
                return False
        return True


_BUILTIN_NAMES = {"len": builtins.len}  # as rule templates write it


def _target_names(target):
    """The names a target binds, or None for a target that is not plain names."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        out = set()
        for e in target.elts:
            names = _target_names(e)
            if names is None:
                return None
            out |= names
        return out
    return None


def _reversed_name(it, aliases):
    """`steps` for a loop header `reversed(steps)`, else None."""
    if isinstance(it, ast.Call) and len(it.args) == 1 and isinstance(it.args[0], ast.Name) \
            and isinstance(it.func, ast.Name) and aliases.get(it.func.id) is builtins.reversed:
        return it.args[0].id
    return None
