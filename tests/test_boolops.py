"""`a or b` and `a and b` whose value is a differentiated operand: Python's value (the operand
`or`/`and` returns), and the gradient of that operand only (issue 11: every `and`/`or` gave a
zero gradient). Each value is checked against plain Python, each gradient against central
finite differences."""
import numpy as np
import pytest

import knetc


def helper_or(x, y):
    return x or y


def or_floats(x, y):
    return (x * 0.0 or y * 2.0) + (x or y) ** 2


def and_floats(x, y):
    return (x * y and np.sin(y)) + (x * 0.0 and y) * 3.0


def zero_d(x, y):
    a, b = np.asarray(x * 2.0), np.asarray(np.cos(y))
    return np.sum((a - a or b) + (a and b))


def nested(x, y):
    return (x * 0.0 or y and x * 3.0) + (x and y * 0.0 or np.exp(y))


def none_default(x, y=None):
    y = y or 1.0
    return x * y


def in_a_helper(x, y):
    return helper_or(x * 0.0, y * y) + helper_or(x, y)


def in_a_loop(x, y):
    total = 0.0
    for k in range(3):
        step = (x * (k - 1) or y) * (k + 1.0)  # x when k != 1, else y
        total = total + (step and step * x)
    return total


def returned(x, y):
    return x - x or y * y


def three_operands(x, y):
    return (x * 0.0 or y * 0.0 or x * y) + (x and y and x * y)


def short_circuit(x, y):
    values = [x]
    return values[0] or values[5]  # values[5] is never evaluated


CASES = [or_floats, and_floats, zero_d, nested, in_a_helper, in_a_loop, returned,
         three_operands, short_circuit]


@pytest.mark.parametrize("loss", CASES, ids=[f.__name__ for f in CASES])
@pytest.mark.parametrize("x, y", [(0.7, -1.3), (-0.4, 0.9)])
def test_boolop_value_and_gradient(loss, x, y):
    value, grads = knetc.value_and_grad(loss, argnums=(0, 1))(x, y)
    assert value == pytest.approx(loss(x, y), rel=1e-12)
    knetc.check_grads(loss, x, y, argnums=(0, 1))


def test_none_default():
    assert knetc.grad(none_default)(0.7) == pytest.approx(1.0)
    grads = knetc.grad(none_default, argnums=(0, 1))(0.7, 2.5)
    assert grads == pytest.approx((2.5, 0.7))
    knetc.check_grads(none_default, 0.7, 2.5, argnums=(0, 1))


def test_gradient_reaches_only_the_returned_operand():
    assert knetc.grad(or_floats, argnums=(0, 1))(0.7, -1.3) == pytest.approx((1.4, 2.0))
    assert knetc.grad(returned, argnums=(0, 1))(0.7, -1.3) == pytest.approx((0.0, -2.6))


def test_conditions_stay_one_line():
    def loss(x, y):
        if x > 0 and y < 1:
            return x * y
        return x
    text = knetc.source(knetc.grad(loss))
    assert "x > 0 and y < 1" in text


# The backward sweep tests an `if` again after undoing its branch: a test variable the branch
# reassigns must be read as the forward sweep read it (before: the other branch's adjoint).
def if_reassigns_its_test(x, c):
    if c:
        c = c * 0.0
    return x + c


def ifexp_reassigns_its_test(x, c):
    c = c * 0.0 if c else c
    return x + c


def or_reassigns_its_operand(x, c):
    c = c * 0.0 or x
    return x + c


@pytest.mark.parametrize("loss, expected", [
    (if_reassigns_its_test, (1.0, 0.0)),
    (ifexp_reassigns_its_test, (1.0, 0.0)),
    (or_reassigns_its_operand, (2.0, 0.0)),
])
def test_branch_that_reassigns_its_test(loss, expected):
    value, grads = knetc.value_and_grad(loss, argnums=(0, 1))(0.7, 2.0)
    assert value == pytest.approx(loss(0.7, 2.0))
    assert grads == pytest.approx(expected)
    knetc.check_grads(loss, 0.7, 2.0, argnums=(0, 1))
