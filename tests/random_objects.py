"""Construct families of the random-program test that define classes, shadow builtins, pass a
third argument ``f`` to the loss, or rebind a function between two calls of one gradient."""
S, V, M = "S", "V", "M"
PREFIX = {S: "s", V: "v", M: "m"}


def _vec(gen, n=3, ints=False):
    pool = [1, 2, 3, 0, -1] if ints else [-1.2, -0.7, -0.3, 0.2, 0.5, 0.9, 1.3]
    return [gen.pick(pool) for _ in range(n)]


def _arr(vals):
    return f"np.array({vals!r})"


def _mat(gen):
    return _arr([_vec(gen) for _ in range(3)])


# ------------------------------------------------------- the third argument f
CLASSES = {
    "Affine": ["class Affine:", "    def __init__(self, a, b):", "        self.a = a",
               "        self.b = b", "", "    def __call__(self, v):",
               "        return np.tanh(self.a * v + self.b)"],
    "Params": ["class Params:", "    def __init__(self, a, b):", "        self.a = a",
               "        self.b = b", "", "    def apply(self, v):",
               "        return np.sin(self.a * v) + self.b"],
    "Pair": ["from collections import namedtuple", "", 'Pair = namedtuple("Pair", ["a", "b"])'],
    "Layer": ["import dataclasses", "", "", "@dataclasses.dataclass", "class Layer:",
              "    a: np.ndarray", "    b: float"],
}


def third_arg(gen, family):
    """Choose f (its source, evaluated in the module) and how the loss reads it.

    Sets gen.extra = {"source", "reads": [(code template, type, bound)], "path", "kind"}."""
    a, b = _arr(_vec(gen)), repr(gen.pick([0.3, -0.4, 0.8]))
    if family == "objects":
        cls = gen.pick(["Affine", "Params"])
        reads = [("f.a", V, 1.3), ("f.b", S, 0.8)]
        reads.append(("f({e})", V, 1.0) if cls == "Affine" else ("f.apply({e})", V, 1.8))
        kind, source, path = f"object {cls}", f"{cls}({a}, {b})", None
    elif family == "namedtuples":
        cls = gen.pick(["Pair", "Layer"])
        m = _mat(gen)
        if cls == "Pair":
            reads, source = [("f.a", V, 1.3), ("f.b", M, 1.3), ("f[1]", M, 1.3)], f"Pair({a}, {m})"
        else:
            reads, source = [("f.a", V, 1.3), ("f.b", S, 0.8)], f"Layer({a}, {b})"
        kind, path = cls, None
    else:
        cls = gen.pick(["list", "tuple", "dict", "Pair", "bool"])
        ints = _arr(_vec(gen, ints=True))
        if cls == "list":
            source, path, reads = f"[{ints}, {a}]", "f[0]", [("(f[0] * 0.5)", V, 1.5),
                                                             ("f[1]", V, 1.3)]
        elif cls == "tuple":
            source, path, reads = f"({a}, np.int64(2))", "f[1]", [("(f[1] * 0.5)", S, 1.0),
                                                                  ("f[0]", V, 1.3)]
        elif cls == "dict":
            source, path, reads = (f"{{'w': {a}, 'n': {ints}}}", "f['n']",
                                   [("f['w']", V, 1.3), ("(0.5 * f['n'])", V, 1.5)])
        elif cls == "Pair":
            source, path, reads = f"Pair({ints}, {a})", "f.a", [("(0.5 * f.a)", V, 1.5),
                                                                ("f.b", V, 1.3)]
        else:
            source, path, reads = (f"[{a}, np.array([True, False, True])]", "f[1]",
                                   [("np.where(f[1], f[0], 0.5)", V, 1.3)])
        kind = f"integer leaf in a {cls}"
    if cls in CLASSES:
        gen.prelude[cls] = CLASSES[cls]
    gen.events.add(f"third argument: {kind}")
    gen.extra = {"source": source, "reads": reads, "path": path, "kind": family}


def read_third(gen, sc, ctx):
    """`v = <a read of f>` at the start of the loss."""
    code, t, bound = gen.pick(gen.extra["reads"])
    if "{e}" in code:
        code = code.format(e=gen.strip(gen.bounded(gen.expr(V, 1, sc, ctx), 1.5).code))
    v = gen.fresh(PREFIX[t])
    gen.let(sc, v, t, bound, alias={v, "f"})
    return [f"{v} = {code}"]


# ---------------------------------------------- methods named like ndarray methods
STATS = ["class Stats:", "    def __init__(self, k):", "        self.k = k", "",
         "    def sum(self, v):", "        return self.k * np.sum(np.tanh(v))", "",
         "    def mean(self, v):", "        return np.mean(v ** 2) - self.k", "",
         "    def dot(self, a, b):", "        return np.sum(np.sin(a) * b) * self.k", "",
         "    def get(self, key, default):", "        return default * self.k", "",
         "    def reshape(self, v):", "        return v[::-1] * self.k", "",
         "    def total(self, v):",
         "        return self.sum(v) + self.mean(v) + self.dot(v, v) + self.get('a', v)[0]",
         "", "", "class Model:", "    def __init__(self):", "        self.parser = Stats(0.5)",
         "", "    def apply(self, v):",
         "        return self.parser.get('a', v) + self.parser.reshape(v)", "", "",
         "STATS = Stats(1.5)", "MODEL = Model()"]
METHOD_CALLS = [("STATS.sum({e})", S, 4.5), ("STATS.mean({e})", S, 4.0),
                ("STATS.dot({e}, {e2})", S, 7.0), ("STATS.get('w', {e})", V, 2.3),
                ("STATS.reshape({e})", V, 2.3), ("STATS.total({e})", S, 20.0),
                ("MODEL.apply({e})", V, 1.5)]


def methods(gen, sc, ctx):
    gen.prelude["Stats"] = STATS
    form, t, bound = gen.pick(METHOD_CALLS)
    args = {k: gen.strip(gen.bounded(gen.expr(V, 1, sc, ctx), 1.5).code) for k in ("e", "e2")}
    gen.events.add("method named like ndarray's: " + form.split("(")[0])
    v = gen.fresh(PREFIX[t])
    gen.let(sc, v, t, bound)
    return [f"{v} = {form.format(**args)}"]


# ----------------------------------------------------------- shadowed builtins
SHADOWS = ["import builtins", "", "",
           "def enumerate(xs, start=0):",
           "    return [(start + i, 0.5 * v) for i, v in builtins.enumerate(xs)]", "", "",
           "def reversed(xs):", "    return [-v for v in xs]", "", "",
           "def zip(a, b):", "    return [(u, 0.5 * v) for u, v in builtins.zip(a, b)]", "", "",
           "def sum(xs):", "    total = 0.0", "    for v in xs:",
           "        total = total + np.tanh(v)", "    return total", "", "",
           "def max(a, b):", "    return np.log(np.exp(a) + np.exp(b))"]


def shadowed(gen, sc, ctx):
    gen.prelude["shadows"] = SHADOWS
    t = gen.pick([S, V])
    es = [gen.strip(gen.bounded(gen.expr(t, 1, sc, ctx), 2.0).code) for _ in range(3)]
    v = gen.fresh(PREFIX[t])
    kind = gen.pick(["enumerate", "reversed", "zip", "sum", "max"])
    gen.events.add(f"shadowed builtin: {kind}")
    lst = f"[{es[0]}, {es[1]}]"
    if kind == "sum":
        lines = [f"{v} = sum([{', '.join(es)}])"]
    elif kind == "max":
        lines = [f"{v} = max({es[0]}, {es[1]})"]
    elif kind == "zip":
        lines = [f"{v} = {es[2]}", f"for a_, b_ in zip({lst}, {lst}):",
                 f"    {v} = {v} + a_ * b_"]
    elif kind == "reversed":
        lines = [f"{v} = {es[2]}", f"for a_ in reversed({lst}):", f"    {v} = {v} * 0.5 + a_"]
    else:
        lines = [f"{v} = {es[2]}", f"for i_, a_ in enumerate({lst}, 1):",
                 f"    {v} = {v} + a_ * i_"]
    gen.let(sc, v, t, 12.0)
    return lines


# ----------------------------------------------------- rebinding between calls
ACTS = ["np.tanh", "np.sin", "np.cos", "np.arctan", "soft"]
SOFT = ["def soft(v):", "    return v / (1.0 + v ** 2)"]


def rebinding(gen, sc, ctx):
    """A call through a name rebound by the module's rebind() between two gradient calls."""
    if gen.rebind is None:
        old, new = gen.draw_list(ACTS, 2, 2)
        kind = gen.pick(["global", "module attribute", "closure cell", "class attribute"])
        gen.prelude["soft"] = SOFT
        if kind == "global":
            gen.prelude["act"] = [f"act = {old}"]
            rebind = ["def rebind():", "    global act", f"    act = {new}"]
        elif kind == "module attribute":
            gen.prelude["acts"] = ["import types", "", "acts = types.ModuleType('acts')",
                                   f"acts.act = {old}"]
            rebind = ["def rebind():", f"    acts.act = {new}"]
        elif kind == "class attribute":
            gen.prelude["Act"] = ["class Act:", "    def apply(self, v):",
                                  f"        return {old}(v)", "", "", "ACT = Act()"]
            rebind = ["def rebind():", f"    Act.apply = lambda self, v: {new}(v)"]
        else:
            rebind = None  # written around the loss (gen.closure)
        gen.rebind = {"kind": kind, "old": old, "new": new, "lines": rebind}
        gen.events.add(f"rebinding: {kind}")
    call = {"global": "act({e})", "module attribute": "acts.act({e})",
            "class attribute": "ACT.apply({e})", "closure cell": "act({e})"}[gen.rebind["kind"]]
    t = gen.pick([S, V, M])
    e = gen.bounded(gen.expr(t, 1, sc, ctx), 2.0)
    v = gen.fresh(PREFIX[t])
    gen.let(sc, v, t, 2.0)
    return [f"{v} = {call.format(e=gen.strip(e.code))}"]


def closure_layout(gen, loss_lines):
    """The loss inside a factory whose cell `act` rebind() changes."""
    r = gen.rebind
    return (["def _make():", f"    act = {r['old']}", ""] + ["    " + ln for ln in loss_lines]
            + ["", "    def rebind():", "        nonlocal act", f"        act = {r['new']}", "",
               "    return loss, rebind", "", "", "loss, rebind = _make()"])
