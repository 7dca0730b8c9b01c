"""Every corpus program, differentiated again: forward mode (`knetc.jvp`, against central
differences of the program) and the Hessian times a direction (`knetc.hvp`, against central
differences of knetc's gradient, itself checked against finite differences by the corpus).

The rows are the corpus's own (tests/test_corpus_*.py, calls, recursion, closures,
mutation, objects); rows the first-order corpus marks as refused are left out. `REFUSED`
lists the programs knetc refuses at higher order, each with the message it gives.
"""
import copy
import importlib

import numpy as np
import pytest

import knetc
from corpus_util import rng_for
from test_forward_rules import check_hvp, check_jvp

MODULES = ["test_corpus_arith", "test_corpus_containers", "test_corpus_control",
           "test_corpus_index", "test_corpus_knet", "test_corpus_numpy", "test_calls",
           "test_recursion", "test_closures", "test_mutation", "test_objects"]

# row id -> (the mode that refuses it, a piece of the message). All four change an element
# of a nested list in place (`grid[0][1] = v`): the forward-mode code names the inner list
# (`grid_0 = grid[0]; grid_0[1] = v`), and reverse mode refuses mutating a list another
# holds, as it does in the user's own code.
NESTED = "mutating `.*` here: its object is also held by another variable or container " \
    r"\(in the forward-mode code of this line"
REFUSED = {
    "mutation/nested_set_on_passed": ("hvp", NESTED),
    "mutation/layer_dict_in_list": ("hvp", NESTED),
    "mutation/built_nested_list": ("hvp", NESTED),
    "mutation/built_list_of_lists": ("hvp", NESTED),
}
# Rows whose point sits on a kink of the gradient: relu(0) after the first layer feeds the
# second, so central differences of the gradient straddle the kink. jvp only.
KINKS = {"closures/through_variable_loop_relu"}


def _rows():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for p in module.ROWS:
            if p.marks:  # refused at first order already
                continue
            f, build, argnums = p.values
            yield pytest.param(f, build, argnums, id=f"{module_name[5:]}/{p.id}")


ROWS = list(_rows())


def _args(request, build):
    return build(rng_for(request.node.name))


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_jvp_of_corpus_program(request, f, build, argnums):
    name = request.node.callspec.id
    if name in REFUSED and REFUSED[name][0] == "jvp":
        with pytest.raises(knetc.KnetcError, match=REFUSED[name][1]):
            check_jvp(f, _args(request, build), argnums)
        return
    check_jvp(f, _args(request, build), argnums)


@pytest.mark.parametrize("f, build, argnums", ROWS)
def test_hvp_of_corpus_program(request, f, build, argnums):
    name = request.node.callspec.id
    if name in KINKS:
        pytest.skip("the gradient has a kink at this point: no second derivative")
    if name in REFUSED:
        with pytest.raises(knetc.KnetcError, match=REFUSED[name][1]):
            check_hvp(f, _args(request, build), argnums)
        return
    args = _args(request, build)
    before = copy.deepcopy(args)
    check_hvp(f, args, argnums)
    for a, b in zip(args, before):  # the caller's arguments are left alone
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
