"""Rewrite `break`, `continue` and early `return` into flags and guarded blocks.

The reverse pass only needs structured control flow: branches and loops that run to their
end. A jump sets a flag, and the statements it would skip run under `if not flag:`.

    for x in xs:                          for x in xs:
        if x > 1:                             if not stop:
            break                 ->              if x > 1:
        total = total + x                             stop = True
                                                  if not stop:
                                                      total = total + x

A `return` inside a branch or loop stores the value and sets a flag; the function then
ends with one `return`.
"""
from .syntax import ast, assign, const, name


class Jumps:
    def __init__(self, namer):
        self.namer = namer
        self.result = None     # variable holding an early return's value
        self.returned = None   # flag: a return has run
        self.loop_flags = []   # per enclosing loop: (break flag, continue flag)

    def function(self, fn_node):
        body = fn_node.body
        early = not isinstance(body[-1], ast.Return) or any(
            isinstance(n, ast.Return) for s in body[:-1] for n in ast.walk(s))
        if early:
            self.result = self.namer.fresh("result")
            self.returned = self.namer.fresh("returned")
            fn_node.body = ([assign(self.returned, const(False)), assign(self.result, const(None))]
                            + self.block(body) + [ast.Return(value=name(self.result))])
        else:
            fn_node.body = self.block(body[:-1]) + body[-1:]
        return fn_node

    def flags(self):
        out = [self.returned] if self.returned else []
        for brk, cont in self.loop_flags[-1:]:
            out += [f for f in (brk, cont) if f]
        return out

    def block(self, stmts):
        out = []
        for k, stmt in enumerate(stmts):
            jumps = _may_jump(stmt, self.returned is not None)
            out.extend(self.statement(stmt))
            if jumps:
                rest = self.block(stmts[k + 1:])
                if rest:
                    out.append(ast.copy_location(ast.If(test=_none_set(self.flags()),
                                                        body=rest, orelse=[]), stmts[k + 1]))
                break
        return out

    def statement(self, stmt):
        if isinstance(stmt, ast.Return):
            if self.result is None:
                return [stmt]
            return [ast.copy_location(assign(self.result, stmt.value), stmt),
                    ast.copy_location(assign(self.returned, const(True)), stmt)]
        if isinstance(stmt, ast.Break):
            return [ast.copy_location(assign(self.loop_flags[-1][0], const(True)), stmt)]
        if isinstance(stmt, ast.Continue):
            return [ast.copy_location(assign(self.loop_flags[-1][1], const(True)), stmt)]
        if isinstance(stmt, ast.If):
            stmt.body = self.block(stmt.body) or [ast.Pass()]
            stmt.orelse = self.block(stmt.orelse)
            return [stmt]
        if isinstance(stmt, (ast.For, ast.While)):
            return self.loop(stmt)
        return [stmt]

    def loop(self, stmt):
        has_break = _has_jump(stmt.body, ast.Break)
        has_continue = _has_jump(stmt.body, ast.Continue)
        returns = self.returned is not None and any(
            isinstance(n, ast.Return) for s in stmt.body for n in ast.walk(s))
        brk = self.namer.fresh("stop") if has_break else None
        cont = self.namer.fresh("skip") if has_continue else None
        self.loop_flags.append((brk, cont))
        body = self.block(stmt.body)
        self.loop_flags.pop()
        before = []
        if cont:
            body = [ast.copy_location(assign(cont, const(False)), stmt)] + body
        ends = [f for f in (brk, self.returned if returns else None) if f]
        if brk:
            before.append(ast.copy_location(assign(brk, const(False)), stmt))
        if ends and isinstance(stmt, ast.For):
            body = [ast.copy_location(ast.If(test=_none_set(ends), body=body, orelse=[]),
                                      stmt)]
        elif ends:
            stmt.test = ast.BoolOp(op=ast.And(), values=[_none_set(ends), stmt.test])
        stmt.body = body
        return before + [stmt]


def jumps(fn_node, namer):
    """Apply the rewrite in place and return the function node."""
    return Jumps(namer).function(fn_node)


def _none_set(flags):
    tests = [ast.UnaryOp(op=ast.Not(), operand=name(f)) for f in flags]
    return tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.And(), values=tests)


def _may_jump(stmt, returns):
    """Whether `stmt` can skip what follows it in the same block."""
    if isinstance(stmt, (ast.Break, ast.Continue)):
        return True
    if isinstance(stmt, ast.Return):
        return returns
    if isinstance(stmt, ast.If):
        return any(_may_jump(s, returns) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, (ast.For, ast.While)):
        return returns and any(isinstance(n, ast.Return) for s in stmt.body for n in ast.walk(s))
    return False


def _has_jump(stmts, kind=None, loops=False, returns=False):
    """Whether `stmts` hold a jump of `kind` that belongs to the loop around them."""
    for stmt in stmts:
        if kind is not None and isinstance(stmt, kind):
            return True
        if loops and isinstance(stmt, (ast.Break, ast.Continue)):
            return True
        if isinstance(stmt, ast.If) and _has_jump(stmt.body + stmt.orelse, kind, loops,
                                                  returns):
            return True
    return False
