"""Construct families of the random-program test (issue 11): each writes module-level
definitions and loss statements that exercise one class of code that gave wrong numbers.

A family is on when ``KNETC_RANDOM_FEATURES`` names it (comma-separated), or when the
variable is unset, empty or ``all`` (every family); ``base`` turns all of them off (only the
original grammar of ``test_random_programs.py``). Each program draws each enabled family
with probability ``chance()``; the families that pass a third argument ``f`` to the loss
(``objects``, ``namedtuples``, ``intleaves``) are exclusive, one per program.
"""
import os

S, V, M = "S", "V", "M"

FAMILIES = ("views", "decorators", "shared", "unread", "objects", "methods", "shadowed",
            "intleaves", "namedtuples", "rebinding", "singular")
THIRD_ARG = ("objects", "namedtuples", "intleaves")


def enabled():
    """The families selected by KNETC_RANDOM_FEATURES."""
    spec = os.environ.get("KNETC_RANDOM_FEATURES", "").strip()
    if spec in ("", "all"):
        return FAMILIES
    if spec in ("base", "none"):
        return ()
    names = tuple(n.strip() for n in spec.split(",") if n.strip())
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"KNETC_RANDOM_FEATURES: unknown families {unknown}; "
                         f"known: {', '.join(FAMILIES)}, all, base")
    return names


def chance(n_enabled):
    """Probability that a program uses a given enabled family."""
    return 0.85 if n_enabled <= 2 else 0.3


# ---------------------------------------------------------------- singular points
# The derivative knetc's rule must give at a point where a naive formula divides by zero
# (issue 11 case 5; to be kept in step with tests/test_singular_points.py). Change a row
# here and every generated program expects the new limit.
LIMITS = {
    "abs at 0": 0.0,             # d|u|/du at u == 0
    "max/min tie": 0.5,          # each argument's share when np.maximum/np.minimum/np.max tie
    "clip at a bound": 0.5,      # d np.clip(u, lo, hi)/du at u == lo or u == hi (JAX's 0.5)
    "std at zero spread": 0.0,   # directional derivative of np.std at identical values
}

# Kinks at x[k] == 0 (the inputs are set so): (row of LIMITS, source, the linear function
# with the same value and the table's derivative at the point). Finite differences are
# taken of the program with the linear function in place of the kink.
KINKS = [
    ("abs at 0", "np.abs(x[{k}])", "({L} * x[{k}])"),
    ("max/min tie", "np.maximum(x[{k}], -x[{k}])", "({L} * x[{k}] - {R} * x[{k}])"),
    ("max/min tie", "np.minimum(x[{k}], 2.0 * x[{k}])", "({L} * x[{k}] + {R} * 2.0 * x[{k}])"),
    ("max/min tie", "np.max(np.stack([x[{k}], -x[{k}]]))", "({L} * x[{k}] - {R} * x[{k}])"),
    ("clip at a bound", "np.clip(x[{k}], 0.0, 1.0)", "({L} * x[{k}])"),
    ("clip at a bound", "np.clip(x[{k}], -1.0, 0.0)", "({L} * x[{k}])"),
    ("std at zero spread", "np.std(np.stack([x[{k}], -x[{k}], 0.5 * x[{k}]]))",
     "({L} * x[{k}])"),
]

# Functions constant near the point, where a naive rule gives inf * 0 or 0 / 0: finite
# differences are valid there. (label, type, source; {e} an expression of type t).
FLAT = [
    ("std over a length-1 axis", V, "np.std(np.reshape({e}, (3, 1)), axis=1)", V),
    ("std of a scalar", S, "np.std({e})", S),
    ("std of identical values", S, "np.std(np.stack([{e}, {e}, {e}]))", S),
    ("layer norm over a length-1 axis", V,
     "np.reshape((np.reshape({e}, (3, 1)) - np.mean(np.reshape({e}, (3, 1)), axis=1, "
     "keepdims=True)) / (np.std(np.reshape({e}, (3, 1)), axis=1, keepdims=True) + 1e-3) "
     "+ np.reshape({e}, (3, 1)), (3,))", V),
    ("power of 0.0", S, "np.power(0.0, 1.0 + {e} ** 2)", S),
    ("u ** 0.0 at u == 0", S, "(x[{k}] ** 0.0)", None),
    ("np.power(u, 0.0) at u == 0", V, "np.power({e} * 0.0, 0.0)", V),
]


def kink(gen, sc, ctx):
    """`sN = <kink at x[k] == 0>` (a probe-free site rendered twice; see KINKS)."""
    row, src, lin = gen.pick(KINKS)
    k = gen.pick([0, 1, 2])
    gen.zero_x.add(k)
    lim = LIMITS[row]
    lin = lin.format(k=k, L=repr(lim), R=repr(1.0 - lim))
    name = gen.fresh("s")
    gen.let(sc, name, S, 2.0)
    gen.events.add("singular: " + row)
    return [f"{name} = {gen.sing(src.format(k=k), lin)}"]


def flat(gen, sc, ctx):
    label, t, src, arg = gen.pick(FLAT)
    k = gen.pick([0, 1, 2])
    if arg is None:
        gen.zero_x.add(k)
        code = src.format(k=k)
    else:
        e = gen.bounded(gen.expr(arg, 1, sc, ctx), 1.5)
        code = src.format(e=e.code)
    name = gen.fresh(PREFIX[t])
    gen.let(sc, name, t, 3.0)
    gen.events.add("singular: " + label)
    return [f"{name} = {code}"]


def singular(gen, sc, ctx):
    return (kink if gen.chance(0.5) else flat)(gen, sc, ctx)


PREFIX = {S: "s", V: "v", M: "m"}


# ------------------------------------------------------------------------- views
VIEWS = {  # base type -> (view source, view type or None for an untyped shape)
    M: [("{a}[{k}]", V), ("{a}[:, {k}]", V), ("{a}.T", M), ("np.reshape({a}, (9,))", None),
        ("{a}.reshape(-1)", None), ("{a}[1:]", None), ("np.transpose({a})", M)],
    V: [("{a}[1:]", None), ("{a}[::-1]", V), ("np.reshape({a}, (3, 1))", None),
        ("{a}.reshape(-1)", V), ("{a}[0:2]", None), ("{a}[0]", S)],  # a[0]: a scalar copy
}


def _inplace(gen, sc, ctx, target, t):
    """`target op= e` with |e| <= 1 (so the bound of target grows by at most 1)."""
    op = gen.pick(["+=", "-=", "*=", "/="])
    e = gen.bounded(gen.expr(t, 1, sc, ctx), 1.0)
    code = f"2.0 + np.cos({e.code})" if op == "/=" else gen.strip(e.code)
    return f"{target} {op} {code}"


def views(gen, sc, ctx):
    kind = gen.pick(["local", "local", "param", "twice"])
    if kind != "local":
        return inplace_param(gen, sc, ctx, twice=kind == "twice")
    t = gen.pick([M, V])
    a = gen.fresh(PREFIX[t])
    e = gen.bounded(gen.expr(t, 2, sc, ctx), 2.0)
    src, vt = gen.pick(VIEWS[t])
    u = gen.fresh("u")
    lines = [f"{a} = {gen.strip(e.code)}", f"{u} = {src.format(a=a, k=gen.pick([0, 1, 2]))}"]
    through = gen.pick(["base", "view"])
    label = src.format(a="a", k="k").replace("np.", "")
    gen.events.add(f"view: {label} of a {'matrix' if t == M else 'vector'}, in-place on the "
                   + through)
    if through == "base":
        lines.append(_inplace(gen, sc, ctx, a, gen.pick([S, t])))
    else:
        lines.append(_inplace(gen, sc, ctx, u, S if vt != t or vt is None else gen.pick([S, vt])))
    s = gen.fresh("s")
    lines.append(f"{s} = np.sum(np.tanh({u})) + np.sum({a} ** 2)")
    gen.let(sc, s, S, 3.0 + SIZE[t] * 9.0)
    gen.let(sc, a, t, 3.0, alias={a, u})
    if vt is not None:
        gen.let(sc, u, vt, 3.0, alias={a, u})
    return lines


SIZE = {S: 1, V: 3, M: 9}


def inplace_param(gen, sc, ctx, twice):
    """A helper that changes its parameter in place, called on a caller's array."""
    t = gen.pick([V, M])
    h = gen.fresh("ip")
    op, c = gen.pick([("*=", "2.0"), ("+=", "1.0"), ("-=", "0.5"), ("/=", "4.0")])
    if twice:
        gen.prelude[h] = [f"def {h}(p, q):", f"    p {op} {c}", "    return np.sum(p * q)"]
        gen.events.add("in-place on a parameter, same array passed twice")
    else:
        read = gen.pick(["np.sum(p)", "np.sum(np.sin(p))", "p[0] if p.ndim == 1 else p[0, 1]"])
        gen.prelude[h] = [f"def {h}(p):", f"    p {op} {c}", f"    return {read}"]
        gen.events.add("in-place on a helper's parameter")
    names = [n for n, (tt, b) in sc.vars.items() if tt == t and b <= 3.0 and n in sc.owned]
    if t == V and "x" in names and gen.chance(0.5):
        a, lines = "x", []
    else:
        a = gen.fresh(PREFIX[t])
        e = gen.bounded(gen.expr(t, 2, sc, ctx), 2.0)
        lines = [f"{a} = {gen.strip(e.code)}"]
    s = gen.fresh("s")
    lines.append(f"{s} = {h}({a}, {a})" if twice else f"{s} = {h}({a})")
    gen.let(sc, s, S, 9 * 4.0 * 4.0)
    gen.let(sc, a, t, 4.0, alias={a})
    return lines


# -------------------------------------------------------------------- decorators
DECORATORS = {
    "scaled": ["def scaled(f):", "    @functools.wraps(f)", "    def wrapper(*args, **kwargs):",
               "        return 2.0 * f(*args, **kwargs)", "    return wrapper"],
    "shifted": ["def shifted(f):", "    @functools.wraps(f)", "    def wrapper(p):",
                "        return f(p) + 0.5", "    return wrapper"],
    "plain": ["def plain(f):", "    def wrapper(p):", "        return -f(p)", "    return wrapper"],
    "tagged": ["def tagged(f):", "    f.tag = 'loss part'", "    return f"],
}


def decorators(gen, sc, ctx):
    t = gen.pick([S, V, M])
    names = gen.draw_list(list(DECORATORS), 1, 2)
    h = gen.fresh("dec")
    inner = gen.scope_with({"p": (t, 1.5)})
    body = gen.bounded(gen.expr(t, 2, inner, ctx), 1.5)
    for d in names:
        gen.prelude.setdefault("import functools", ["import functools"])
        gen.prelude[d] = DECORATORS[d]
        gen.events.add(f"decorator: {d}")
    gen.prelude[h] = [f"@{d}" for d in names] + [f"def {h}(p):",
                                                 f"    return {gen.strip(body.code)}"]
    e = gen.bounded(gen.expr(t, 1, sc, ctx), 1.5)
    v = gen.fresh(PREFIX[t])
    gen.let(sc, v, t, 4 * 1.5 + 2)
    return [f"{v} = {h}({gen.strip(e.code)})"]


# ------------------------------------------------------------ containers held twice
def shared(gen, sc, ctx):
    t = gen.pick([S, V])
    row, a, b = gen.fresh("row"), gen.fresh("grid"), gen.fresh("other")
    items = [gen.bounded(gen.expr(t, 1, sc, ctx), 2.0) for _ in range(2)]
    new = gen.bounded(gen.expr(t, 1, sc, ctx), 2.0)
    k = gen.pick([0, 1])
    lines = [f"{row} = [{', '.join(gen.strip(e.code) for e in items)}]"]
    kind = gen.pick(["two lists", "appended twice", "dict and list", "through the row",
                     "append through one"])
    gen.events.add(f"container held twice: {kind}")
    if kind == "two lists":
        lines += [f"{a} = [{row}]", f"{b} = [{row}]", f"{a}[0][{k}] = {gen.strip(new.code)}"]
        read = f"{b}[0][{k}]"
    elif kind == "appended twice":
        lines += [f"{a} = []", f"{a}.append({row})", f"{a}.append({row})",
                  f"{a}[0][{k}] = {gen.strip(new.code)}"]
        read = f"{a}[1][{k}]"
    elif kind == "dict and list":
        lines += [f"{a} = {{'r': {row}}}", f"{b} = [{row}]",
                  f"{a}['r'][{k}] = {gen.strip(new.code)}"]
        read = f"{b}[0][{k}]"
    elif kind == "through the row":
        lines += [f"{b} = [{row}]", f"{row}[{k}] = {gen.strip(new.code)}"]
        read = f"{b}[0][{k}]"
    else:
        lines += [f"{a} = [{row}]", f"{b} = [{row}]", f"{a}[0].append({gen.strip(new.code)})"]
        read = f"{b}[0][-1] * len({b}[0])"
    v = gen.fresh(PREFIX[t])
    lines.append(f"{v} = {read}")
    gen.let(sc, v, t, 6.0, alias={v})
    return lines


# --------------------------------------------------------------- unread values
UNREAD = ["np.sqrt({e} * 0.0)", "np.log({e} - {e})", "np.sqrt(np.abs({e}) * 0.0)",
          "1.0 / np.float64({e} - {e})", "np.arcsin(1.0 + 0.0 * {e})"]
# (np.float64: a Python float divided by 0.0 raises ZeroDivisionError where NumPy gives inf)


def unread(gen, sc, ctx):
    t = gen.pick([S, V])
    main = gen.bounded(gen.expr(t, 2, sc, ctx), 2.0)
    e = gen.bounded(gen.expr(t, 1, sc, ctx), 2.0)
    bad = gen.pick(UNREAD).format(e=e.code)
    v = gen.fresh(PREFIX[t])
    kind = gen.pick(["tuple from a helper", "indexed tuple", "appended", "dict entry"])
    gen.events.add(f"unread value: {kind}")
    if kind.endswith("helper") or kind == "indexed tuple":
        h = gen.fresh("both")
        bad_q = gen.pick(UNREAD).format(e="q")
        gen.prelude[h] = [f"def {h}(p, q):", f"    return p * 2.0, {bad_q}"]
        call = f"{h}({gen.strip(main.code)}, {gen.strip(e.code)})"
        lines = [f"{v}, _{v} = {call}"] if kind.endswith("helper") else \
            [f"_{v} = {call}", f"{v} = _{v}[0]"]
        bound = 4.0
    elif kind == "appended":
        lst = gen.fresh("kept")
        lines = [f"{lst} = [{gen.strip(main.code)}]", f"{lst}.append({bad})", f"{v} = {lst}[0]"]
        bound = 2.0
    else:
        d = gen.fresh("parts")
        lines = [f"{d} = {{'a': {gen.strip(main.code)}, 'b': {bad}}}", f"{v} = {d}['a']"]
        bound = 2.0
    gen.let(sc, v, t, bound, alias={v})
    return lines
