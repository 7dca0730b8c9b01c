"""Helpers that generated gradient code calls, one module per family of rules.

Generated code runs with these names in scope, so a gradient reads
`dw = add_at(dw, w, i, dw_i)` rather than a page of type dispatch. Everything public here is
available to adjoint templates by name.
"""
from .broadcast import *  # noqa: F401,F403
from .finalize import *  # noqa: F401,F403
from .grads import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .inplace import *  # noqa: F401,F403
from .kinks import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .mutation import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .tangents import *  # noqa: F401,F403
from .broadcast import np  # noqa: F401  (templates call NumPy as `np`)
