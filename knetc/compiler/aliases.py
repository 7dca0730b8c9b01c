"""The alias check: refuse changing an object in place while another name that reaches it is read.

knetc differentiates `s[i] = v`, `xs.append(v)` and the in-place operators (`a *= 2.0`,
`s[k] += v`) as if they made a new object bound to the same name. That is exact when nothing
else reaches the changed object, so, statement by statement (loop bodies twice; a read in a
later iteration counts as later):

Allowed: an in-place operator on a name whose object no other name, container or view read
later can reach (`total += np.sum(...)`, `h = x @ w; h += b`); on a number (`s += 1.0`
rebinds); on a parameter of the differentiated function itself when no other argument
shares its memory (checked at run time; the caller's array is left unchanged, the value and
gradient are Python's); `grid[0][1] = v` through the original name.

Refused at compile time (KnetcSyntaxError at the line): changing an object in place while
another name that reaches it is read later -- a view of it or the array it views (`a[i]`,
`a[i:j]`, `a[None]`, `a.T`, `a.real`, `reshape`/`ravel`/`transpose`/`squeeze`/`swapaxes`/
`view`, `np.asarray`/`np.atleast_*`/`np.expand_dims`/..., see views.py), another name for it
(`t = s`, `t = s if c else u`, a helper that may return its argument), a part of a container
(`row = grid[0]`), a container holding it (`rows.append(row)`, `[row]`, `{"r": row}`), or
another slot of a container holding it twice (`[x, x]`, `[x] * 3`, `a + a`, appended
twice); an in-place operator on a view of a temporary or a name stored in a temporary list.

Refused at run time (KnetcSyntaxError naming the line, from `check_in_place`): an in-place
operator on a mutable value (an ndarray, 0-d included, a KnetArray, a list) that may be held
outside the function -- a parameter of a called function, a view or part of one, a global --
and, in the differentiated function, on a parameter sharing memory with another argument.
"""
from ..errors import KnetcSyntaxError
from .mutation import MUTATORS, mutation_root, possible_values
from .syntax import ast, expr_text, names_loaded
from .views import OUTSIDE, view_roots


def check_aliases(source, body, resolver, params=(), entry=True):
    """Refuse mutating an object that another variable or container also holds.

    Statements are followed in order (loop bodies twice, to see the next iteration). A
    variable is "shared" once it is a copy of another (`t = s`, `t = s if c else u`), a part
    of one (`row = grid[0]`), stored into a container (`rows.append(row)`), or the result of
    a function that may return its argument; rebinding it to a new value (`row = []`) makes
    it its own again. A container is a "holder" once it holds such an object, and "lent" once
    a part of it was taken; changing its elements in place (`pair[0][0] = v`, `s[0] += x`)
    is refused too, and so is passing the same list twice, or a part of one, to a function
    that mutates that argument.
    """
    state = _State()
    for p in params:
        state.origins[p] = {p}
    _Aliases(source, resolver, body, params, entry).block(body, state)


TWICE = "<one object twice>"


UNKNOWN = "<held elsewhere>"


class _State:
    def __init__(self):
        self.shared = {}   # name -> the other names (or containers) holding its object
        self.holders = {}  # container -> names whose objects it also holds
        self.lent = {}     # container -> names holding a part of it
        self.views = {}    # name -> names that may reach the same memory (views, aliases)
        self.origins = {}  # name -> parameters (or OUTSIDE) its object or memory may be from

    def origin(self, names):
        return set().union(*(self.origins.get(n, {OUTSIDE} if n == OUTSIDE else set())
                             for n in names))

    def share(self, names, others):
        for n in names:
            self.shared.setdefault(n, set()).update(others)


class _Aliases:
    def __init__(self, source, resolver, body, params, entry):
        self.source = source
        self.resolver = resolver
        self.params = list(params)
        self.entry = entry
        self.reads = [((n.lineno, getattr(n, "col_offset", 0) or 0), n.id)
                      for s in body for n in ast.walk(s)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                      and hasattr(n, "lineno")]
        self.loops = []  # names read in each enclosing loop (read again next iteration)

    def read_later(self, names, stmt):
        if TWICE in names or UNKNOWN in names:
            return {TWICE}
        end = (getattr(stmt, "end_lineno", None) or stmt.lineno,
               getattr(stmt, "end_col_offset", None) or 10 ** 6)
        later = {v for where, v in self.reads if where >= end}  # `a = 1; read(a)` too
        for loop in self.loops:
            later |= loop
        return set(names) & later

    def block(self, stmts, state):
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.While)):
                self.loops.append(names_loaded(stmt))
                for _ in range(2):
                    self.block(stmt.body, state)
                self.loops.pop()
            elif isinstance(stmt, ast.If):
                self.block(stmt.body, state)
                self.block(stmt.orelse, state)
            else:
                self.statement(stmt, state)

    def statement(self, stmt, state):
        # mutations first: they see the state from before this line
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Call):
                func = sub.func
                if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                    self.mutate_target(func.value, stmt, state)
                args = self.resolver.mutated_args(sub)
                names = [a.id for a in args if isinstance(a, ast.Name)]
                for arg in args:
                    if not isinstance(arg, ast.Name):
                        self.refuse(stmt, "passing a part of a container to a function "
                                    "that mutates that argument",
                                    "pass the container itself, or a copy")
                    self.mutate(arg.id, stmt, state)
                    if self.read_later(state.holders.get(arg.id, set()) - {UNKNOWN}, stmt):
                        self.refuse(stmt, f"passing `{arg.id}` to a function that mutates "
                                    "it while a variable holding one of its elements is "
                                    "read later (the function may change that element in "
                                    "place)", "read the element through the list after "
                                    "the call, or pass a copy")
                if len(set(names)) < len(names) or set(names) & _names_in(
                        [a for a in sub.args if a not in args]):
                    self.refuse(stmt, "passing the same list twice to a function that "
                                "mutates it", "pass it once, or pass a copy")
        augmented = isinstance(stmt, ast.AugAssign) or getattr(stmt, "augmented", False)
        if augmented:
            target = stmt.target if isinstance(stmt, ast.AugAssign) else stmt.targets[0]
            if isinstance(target, ast.Name):
                self.in_place(target.id, stmt, state)
            else:
                self.mutate_target(target, stmt, state)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for elt in (target.elts if isinstance(target, (ast.Tuple, ast.List))
                            else [target]):
                    if isinstance(elt, ast.Subscript):
                        self.mutate_target(elt, stmt, state, element=True)
        # then what this line makes shared
        for sub in ast.walk(stmt):
            if isinstance(sub, (ast.List, ast.Tuple, ast.Set)) and isinstance(sub.ctx, ast.Load):
                state.share(_names_in(sub.elts), {UNKNOWN})
            elif isinstance(sub, ast.Dict):
                state.share(_names_in(sub.values), {UNKNOWN})
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in MUTATORS:
                stored = _names_in(sub.args)
                state.share(stored, {mutation_root(sub.func.value) or UNKNOWN})
                root = mutation_root(sub.func.value)
                if stored and root:
                    held = state.holders.setdefault(root, set())
                    if held & stored:  # rows.append(row) twice: one object in two places
                        held.add(TWICE)
                    held.update(stored)
                    state.origins.setdefault(root, set()).update(state.origin(stored))
        if isinstance(stmt, ast.Assign) and not (
                augmented and isinstance(stmt.targets[0], ast.Name)):  # `a += e` keeps a's object
            self.assign(stmt, state)

    def assign(self, stmt, state):
        value = stmt.value
        for target in stmt.targets:
            if isinstance(target, ast.Subscript):
                if _names_in([value]):
                    state.share(_names_in([value]), {mutation_root(target) or UNKNOWN})
                    state.holders.setdefault(mutation_root(target), set()).update(
                        _names_in([value]))
                    state.origins.setdefault(mutation_root(target), set()).update(
                        state.origin(_names_in([value])))
            elif isinstance(target, ast.Name):
                var = target.id
                for held in state.holders.values():  # containers hold var's old object
                    held.discard(var)
                self.track_views(var, value, state)
                state.holders.pop(var, None)
                state.lent.pop(var, None)
                sources = possible_values(value)
                if isinstance(value, (ast.List, ast.Tuple, ast.Dict)):
                    items = value.values if isinstance(value, ast.Dict) else value.elts
                    named = [e.id for e in items if isinstance(e, ast.Name)]
                    if named:
                        state.origins[var] = state.origin(named)
                        state.holders[var] = set(named)
                        for n in named:  # held by var (not somewhere unknown, as above)
                            state.shared[n] = (state.shared.get(n, set()) - {UNKNOWN}) | {var}
                        if len(set(named)) < len(named):
                            state.holders[var].add(TWICE)  # [x, x]: its elements alias
                if sources:  # t = s: one object, two names
                    state.share(sources, {var})
                    state.share({var}, sources | set().union(
                        *(state.shared.get(v, set()) for v in sources)))
                elif isinstance(value, ast.Subscript) and not isinstance(value.slice,
                                                                         ast.Slice):
                    root = mutation_root(value)
                    state.share({var}, {root or UNKNOWN})
                    if root:
                        state.lent.setdefault(root, set()).add(var)
                        held = state.holders.get(root, set()) - {TWICE}
                        state.share({var}, held)  # var may be any object the container holds
                        state.share(held, {var})
                elif isinstance(value, ast.BinOp) and (_joins(value) or (
                        isinstance(value.op, ast.Add) and all(
                            isinstance(v, ast.Name) and v.id in state.holders
                            for v in (value.left, value.right)))):
                    self.join(var, value, state)
                elif isinstance(value, ast.Subscript):  # s[a:b] copies a list (shallowly)
                    state.shared.pop(var, None)
                    if mutation_root(value):
                        state.holders[var] = {mutation_root(value)}
                elif isinstance(value, ast.Attribute) or (
                        isinstance(value, ast.Call) and self.resolver.returns_argument(value)):
                    state.share({var}, names_loaded(value) or {UNKNOWN})
                else:
                    state.shared.pop(var, None)  # a new object of its own
            elif isinstance(target, (ast.Tuple, ast.List)):
                if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(
                        target.elts):  # a, b = x, y: one assignment each
                    for t, v in zip(target.elts, value.elts):
                        self.assign(ast.Assign(targets=[t], value=v, type_comment=None),
                                    state)
                elif isinstance(value, (ast.Name, ast.Subscript, ast.Attribute)) or (
                        isinstance(value, ast.Call) and self.resolver.returns_argument(value)):
                    state.share(_names_in(target.elts), names_loaded(value) or {UNKNOWN})
                else:
                    for t in _names_in(target.elts):
                        state.shared.pop(t, None)
                        state.holders.pop(t, None)
                        state.lent.pop(t, None)

    def track_views(self, var, value, state):
        """After `var = value`: which names reach var's memory, and where it comes from."""
        for others in state.views.values():
            others.discard(var)  # var no longer names its old object
        state.views.pop(var, None)
        roots = view_roots(value, self.resolver.locals, self.resolver.returns_argument)
        if roots is None:  # a new object: containers no longer hold what var names
            state.origins[var] = set()
            for held in state.holders.values():
                held.discard(var)
            return
        named = {r for r in roots if r not in (None, OUTSIDE)}
        reach = named | set().union(*(state.views.get(r, set()) for r in named))
        reach.discard(var)
        state.views[var] = set(reach)
        for r in reach:
            state.views.setdefault(r, set()).add(var)
        held = set().union(*(state.holders.get(r, set()) for r in named)) - {TWICE}
        state.origins[var] = state.origin(named | held | (roots & {OUTSIDE}))
        if None in roots:  # a view of a temporary: knetc does not follow it
            state.share({var}, {UNKNOWN})

    def join(self, var, value, state):
        """`var = a + b` or `var = [x] * n`: a new list holding what a and b hold."""
        parts = []
        for side in (value.left, value.right):
            if isinstance(side, (ast.List, ast.Tuple)):
                parts.append(_names_in(side.elts) | ({TWICE} if len(_names_in(side.elts)) <
                                                      len(side.elts) else set()))
            elif isinstance(side, ast.Name):
                parts.append(state.holders.get(side.id, set()) | (
                    {UNKNOWN} if side.id in self.params else set()))
        held = set().union(*parts)
        if isinstance(value.op, ast.Mult) or (len(parts) == 2 and parts[0] & parts[1]):
            held.add(TWICE)  # [x] * 3, a + a: one object in several places
        state.holders[var] = held
        state.share(held - {TWICE, UNKNOWN}, {var})
        state.origins[var] = state.origin(held)
        state.shared.pop(var, None)

    def in_place(self, var, stmt, state):
        """`var op= e`: NumPy changes var's object; knetc makes a new one. Refuse when that
        differs from Python: statically if another name that reaches the object is read
        later, at run time (a guard in the generated code) where only then it can tell."""
        text = self.source.line(stmt.lineno).strip()
        others = (state.shared.get(var, set()) | state.views.get(var, set())
                  | state.lent.get(var, set())) - {var}
        if UNKNOWN in others:
            self.refuse(stmt, f"`{text}`: it changes `{var}` in place, and `{var}` is a "
                        "view of a temporary array or is held by a container",
                        f"write `{_rewrite(var, stmt)}` to make a new array, or copy first: "
                        f"`{var} = {var}.copy()`")
        later = self.read_later(others, stmt)
        if later:
            other = sorted(later - {TWICE})[0] if later - {TWICE} else "another name"
            self.refuse(stmt, f"`{text}`: it changes `{var}` in place while `{other}`, "
                        "which shares its object or memory, is read later",
                        f"write `{_rewrite(var, stmt)}` to make a new array, or copy the "
                        f"view or alias: `{other} = <its value>.copy()`")
        origins = state.origins.get(var, set())
        if not origins:
            return
        where = (self.source.filename, stmt.lineno, text, _rewrite(var, stmt))
        if not self.entry or OUTSIDE in origins:
            stmt.in_place_guard = (None, where)  # refuse if var is a mutable object
        else:  # the caller's arrays: var must not overlap the other arguments
            rest = [p for p in self.params if p not in origins]
            if rest:
                stmt.in_place_guard = (rest, where)

    def mutate_target(self, target, stmt, state, element=False):
        """`target` changes in place: a name, or an element `s[k]` of a container."""
        if isinstance(target, ast.Name):
            self.mutate(target.id, stmt, state)
            return
        root = mutation_root(target)
        if root is None:
            return
        self.mutate(root, stmt, state)
        nested = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Subscript)
        in_place = not element or nested  # s[k] += v, s[k].append(v), s[k][j] = v
        others = state.holders.get(root, set()) | state.lent.get(root, set())
        if in_place:  # grid[0][1] = v, grid[0].append(v) change an object grid holds: so
            # do its other holders
            for held in list(others - {TWICE, UNKNOWN}):
                others |= state.shared.get(held, set())
            others.discard(root)
        if in_place and self.read_later(others, stmt):  # someone else would see the change
            self.refuse(stmt, f"changing an element of `{root}` in place while another "
                        "variable or container holds that element",
                        f"assign a new value: `{root}[k] = {root}[k] + v`, or copy first")

    def mutate(self, var, stmt, state):
        others = state.shared.get(var, set()) - {var}
        held = others & set(self.params) - {var}
        if held and not self.entry:  # the caller reads its argument after the call
            self.refuse(stmt, f"mutating `{var}` here: its object is also held by the "
                        f"parameter `{sorted(held)[0]}`, which the caller may read after "
                        "this call", f"mutate through the parameter itself (`{sorted(held)[0]}"
                        "[0][1] = v`), or return the new value")
        if UNKNOWN in others or self.read_later(others, stmt):
            self.refuse(stmt, f"mutating `{var}` here: its object is also held by another "
                        "variable or container",
                        "mutate through the original name (`grid[0][1] = v`), mutate before "
                        "storing it, or copy first (`row = list(grid[0])`)")

    def refuse(self, stmt, what, hint):
        raise KnetcSyntaxError(*self.source.where(stmt.lineno,
                                                  f"knetc cannot differentiate {what}"),
                               hint=f"Instead: {hint}.")


def _joins(value):
    """`a + b` of lists, or `[x] * n`: a new list holding the same objects."""
    lists = [isinstance(s, (ast.List, ast.Tuple)) for s in (value.left, value.right)]
    if isinstance(value.op, ast.Mult):
        return any(lists)
    return isinstance(value.op, ast.Add) and (any(lists) or getattr(
        value, "joins_sequences", False))


def _rewrite(var, stmt):
    """`a = a * 2.0` for the in-place `a *= 2.0`."""
    value = stmt.value
    if not isinstance(value, ast.BinOp):
        return "a new value"
    text = expr_text(value)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return f"{var} = {text}"


def _names_in(nodes):
    return {n.id for n in nodes if isinstance(n, ast.Name)}
