"""A revised release audited together with the first, tested as an attacker would undo it.

The attacker holds both releases of a period: a table for the whole program and
for each member of a breakdown, first as released, then as revised after late
changes. Besides everything test_suppression.py's attacker knows, they know that
each figure's change is the revised figure less the first, and nothing else of
it. For every hidden small count of either release and every small change (1 to
10, up or down) they solve for its smallest and largest value (scipy's MILP, from
the published marks alone).
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from haven.reports.suppression import SHOWN, SMALL, SUPPRESSED, WITHHELD, joint, suppress

from .test_suppression import RULE, build_linked, slices_of

BIG = 10**6
MARKS = {SMALL: "<11", SUPPRESSED: "suppressed", WITHHELD: "withheld"}
MARK_BOUNDS = {"<11": (1, 10), "suppressed": (11, BIG), "withheld": (0, BIG)}


def values_of(grid, members):
    """{slice: row with its total} for a whole program split among `members` (or none)."""
    whole = [sum(column) for column in zip(*grid, strict=True)]
    values = {("all",): [*whole, sum(whole)]}
    if members:
        for m, row in enumerate(grid):
            values[(0, m)] = [*row, sum(row)]
    return values


@st.composite
def two_periods(draw):
    """The figures when first released, and after late changes of a few each way."""
    columns = draw(st.integers(1, 3))
    members = draw(st.sampled_from([0, 2, 3]))
    count = st.one_of(st.integers(0, 12), st.integers(0, 45))
    grid = [[draw(count) for _j in range(columns)] for _m in range(max(members, 1))]
    late = [[max(0, c + draw(st.integers(-3, 3))) for c in row] for row in grid]
    breakdowns = [members] if members else []
    return columns, breakdowns, values_of(grid, members), values_of(late, members)


def published(values, status, side=None):
    return {
        (s, j): values[s][j]
        if status[(side, (s, j)) if side else (s, j)] == SHOWN
        else MARKS[status[(side, (s, j)) if side else (s, j)]]
        for s in values
        for j in range(len(values[s]))
    }


def ranges_to_an_attacker(first, now, equations, targets, mark_bounds=MARK_BOUNDS):
    """{target: (lowest, highest)} to an attacker holding both publications; targets are
    ("first" | "now" | "change", cell). Each publication's value or mark bounds its cells,
    each of `equations` ({cell: coefficient}) sums to 0, and each change is now - first."""
    cells = [("first", c) for c in first] + [("now", c) for c in now] + [("change", c) for c in now]
    index = {cell: i for i, cell in enumerate(cells)}
    low, high = [], []
    for side, cell in cells:
        if side == "change":
            bounds = (-BIG, BIG)
        else:
            value = (first if side == "first" else now)[cell]
            bounds = (value, value) if isinstance(value, int) else mark_bounds[value]
        low.append(bounds[0])
        high.append(bounds[1])
    equations = [
        *equations,
        *({("now", c): 1, ("first", c): -1, ("change", c): -1} for c in now),
    ]
    matrix = np.zeros((len(equations), len(cells)))
    for row, equation in enumerate(equations):
        for cell, a in equation.items():
            matrix[row, index[cell]] = a
    ranges = {}
    for target in targets:
        found = []
        for sign in (1, -1):
            objective = np.zeros(len(cells))
            objective[index[target]] = sign
            result = milp(
                objective,
                constraints=[LinearConstraint(matrix, 0, 0)],
                integrality=np.ones(len(cells)),
                bounds=Bounds(low, high),
            )
            assert result.status == 0, result.message
            found.append(round(sign * result.fun))
        ranges[target] = tuple(found)
    return ranges


def attacker_ranges(columns, breakdowns, first, now, targets):
    """{target: (lowest, highest)}; targets are ("first" | "now" | "change", cell)."""
    equations = []
    for side in ("first", "now"):
        for s in slices_of(breakdowns):
            equations.append(
                {(side, (s, j)): 1 for j in range(columns)} | {(side, (s, columns)): -1}
            )
        for d, members in enumerate(breakdowns):
            for j in range(columns + 1):
                equations.append(
                    {(side, ((d, m), j)): 1 for m in range(members)} | {(side, (("all",), j)): -1}
                )
    return ranges_to_an_attacker(first, now, equations, targets)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_periods())
def test_a_revision_published_beside_the_first_release_gives_no_small_figure_away(periods):
    columns, breakdowns, before, after = periods
    first_linked = build_linked(columns, before, breakdowns)
    first_status = suppress(first_linked, RULE)
    together = joint(first_linked, first_status, build_linked(columns, after, breakdowns))
    status = suppress(together, RULE)
    if any(status[cell] != mark for cell, mark in together.fixed.items()):
        return  # refused: nothing more is published
    first = published(before, first_status)
    now = published(after, status, side="now")
    targets = [("first", c) for c, v in first.items() if v == "<11"]
    targets += [("now", c) for c, v in now.items() if v == "<11"]
    targets += [
        ("change", (s, j))
        for s in before
        for j in range(columns + 1)
        if 1 <= abs(after[s][j] - before[s][j]) <= RULE.threshold
    ]
    for target, (lowest, highest) in attacker_ranges(
        columns, breakdowns, first, now, targets
    ).items():
        side, (s, j) = target
        true = {"first": before, "now": after}[side][s][j] if side != "change" else None
        if true is not None:
            assert lowest <= true <= highest
        assert highest - lowest + 1 >= RULE.width, (target, lowest, highest, first, now)


def test_a_small_change_between_shown_totals_is_hidden_or_the_revision_refused():
    # 40 and 30 shown at first; three late contacts make 43: the total moving by 3
    # would say so. The revision hides it, or is refused.
    before = values_of([[40, 30]], 0)
    after = values_of([[43, 30]], 0)
    first_linked = build_linked(2, before, [])
    first_status = suppress(first_linked, RULE)
    together = joint(first_linked, first_status, build_linked(2, after, []))
    status = suppress(together, RULE)
    refused = any(status[cell] != mark for cell, mark in together.fixed.items())
    assert refused or status[("now", (("all",), 0))] != SHOWN
