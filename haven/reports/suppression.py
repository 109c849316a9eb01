"""Small-cell suppression for figures that leave the program, audited by a solver.

The rule (threshold): counts from 1 to `threshold` (10 unless the program sets
HAVEN_SMALL_COUNT_THRESHOLD) are hidden and shown as "<11" (*small*). Zeros are
shown: an empty cell says nothing about a person.

Hiding is not enough: the figures a role can download for a period are linked
(a table's total is the sum of its rows; the whole program is the sum of its
sites, its staff members and its contact types), and an attacker also knows
that every count is a whole number, that a "<11" cell is 1 to 10 and that a
cell hidden for another's sake is 11 or more. So what is published is
*audited*: every figure of the linked set is a cell, every known relation a
linear constraint, and for each small cell HiGHS (through highspy) finds the
smallest and largest whole value consistent with everything published. A small
cell is *protected* when that range spans at least `width` whole values
(HAVEN_PROTECTION_WIDTH, 10 unless set): with the defaults, nobody can narrow a
"<11" down from 1 to 10 at all.

Where a small cell is not protected, the suppression is widened and audited
again, until every small cell is: first by hiding other counts in its lines
(*suppressed*, never printed as "<11": they are 11 or more), the smallest that
is enough; where no count is left to hide, by withholding the whole table of
that slice (*withheld*: "too few to show safely"). Withholding only removes
information, so the loop ends, at worst with everything withheld. Nothing is
published that has not passed the audit.

This module knows nothing of reports: `standard.py` turns a report and its
breakdowns into a `LinkedSet`.
"""

import logging
import os
import sys
from collections import defaultdict
from dataclasses import dataclass

import highspy
import numpy as np

log = logging.getLogger(__name__)


def _quiet_first_solver():
    """HiGHS prints a banner to standard output the first time a solver is made in a
    process, whatever its options; made here once with that output sent to /dev/null,
    so that it never lands in a command's output or the server's log."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_quiet_first_solver()

SHOWN, SMALL, SUPPRESSED, WITHHELD = "shown", "small", "suppressed", "withheld"
# A signed cell published nowhere: a figure's change between two releases.
CHANGE = "change"
# A cell published nowhere that only its relations tell anything of (what no site
# holds, a figure of one site's street contacts): any count of 0 or more.
LATENT = "latent"
# An upper bound for cells with none: far above any count a program has, and
# finite so that every solve has an optimum. A bound the attacker does not
# have only narrows the ranges found, so the audit errs on the safe side.
BIG = 10**7


@dataclass(frozen=True)
class Rule:
    """Counts 1..threshold are small; a small cell needs `width` possible whole values."""

    threshold: int = 10
    width: int = 10

    def __post_init__(self):
        if not 1 <= self.width <= self.threshold:
            # A cell shown as "<11" can never be wider than 1..threshold.
            raise ValueError("The protection width must be between 1 and the threshold.")

    def is_small(self, value):
        return 1 <= value <= self.threshold

    @property
    def hidden_label(self):
        return f"<{self.threshold + 1}"


def rule_from_settings():
    from django.conf import settings

    return Rule(settings.SMALL_COUNT_THRESHOLD, settings.PROTECTION_WIDTH)


class LinkedSet:
    """The figures a role can download for one period, and how they are related.

    Each cell has a key, its true count and a group (the table as one slice
    shows it: withholding hides a whole group). Constraints are linear, with
    integer coefficients: `equal({a: 1, b: 1, t: -1})` says a + b = t.

    A *derived* cell is published nowhere but follows from published ones (what
    no member of a breakdown holds: the whole less its members). A small one is
    protected like any other; a large one stays known, since it is not published
    and so cannot be hidden for another's sake, nor withheld.

    A *fixed* cell was published before with its mark: it is audited with the
    others but never hidden more (a revised release is audited with the first).
    A *signed* cell is derived and may be negative (a figure's change between two
    releases): the attacker knows nothing of it beyond the relations, and it is
    protected when its size is small (1 to the threshold, either way).
    A *latent* cell is derived and unknown whatever its size (what no member of a
    breakdown holds, a figure of one combination of site, staff member and contact
    type; no download shows either): any count of 0 or more but for its relations,
    and protected when small.
    """

    def __init__(self):
        self.values = {}
        self.group_of = {}
        self.derived = set()
        self.fixed = {}  # {cell: its published mark}
        self.signed = set()
        self.latent = set()
        self.constraints = []  # (terms {cell: coefficient}, "=" or "<=", right-hand side)

    def add(self, cell, value, group, *, derived=False, fixed=None, signed=False, latent=False):
        self.values[cell] = int(value)
        self.group_of[cell] = group
        if derived or signed or latent:
            self.derived.add(cell)
        if fixed is not None:
            self.fixed[cell] = fixed
        if signed:
            self.signed.add(cell)
        if latent:
            self.latent.add(cell)

    def is_target(self, cell, rule):
        """Whether the audit must protect the cell: a small count, or a small change."""
        value = self.values[cell]
        return rule.is_small(abs(value) if cell in self.signed else value)

    def equal(self, terms, rhs=0):
        self._add_constraint(terms, "=", rhs)

    def at_most(self, terms, rhs=0):
        self._add_constraint(terms, "<=", rhs)

    def _add_constraint(self, terms, sense, rhs):
        terms = {cell: a for cell, a in terms.items() if a}
        left = sum(a * self.values[cell] for cell, a in terms.items())
        if (left != rhs) if sense == "=" else (left > rhs):
            # The true figures must satisfy every relation; one that does not
            # is not something an attacker knows, and would make the audit wrong.
            log.warning("suppression: dropped a relation the figures do not satisfy: %s", terms)
            return
        self.constraints.append((terms, sense, rhs))


def joint(first, first_marks, now):
    """One linked set for two releases of the same figures: `first` as published with
    `first_marks` (fixed), `now` to be suppressed, and each figure's change between them.

    Cells become ("first", cell), ("now", cell) and ("change", cell). The change is
    signed and published nowhere, but anyone holding both releases can work at it;
    a small one is protected like a small count. A cell only one of them has (a row
    that appeared) is a known zero in the other.
    """
    together = LinkedSet()
    for side, linked in (("first", first), ("now", now)):
        for cell, value in linked.values.items():
            together.add(
                (side, cell),
                value,
                (side, linked.group_of[cell]),
                derived=cell in linked.derived,
                fixed=first_marks[cell] if side == "first" else None,
                latent=cell in linked.latent,
            )
        for terms, sense, rhs in linked.constraints:
            together._add_constraint({(side, c): a for c, a in terms.items()}, sense, rhs)
    for cell in {**first.values, **now.values}:
        for side in ("first", "now"):
            if (side, cell) not in together.values:
                together.add((side, cell), 0, (side, "absent", cell), fixed=SHOWN)
        change = together.values[("now", cell)] - together.values[("first", cell)]
        together.add(("change", cell), change, ("change", cell), signed=True)
        together.equal({("now", cell): 1, ("first", cell): -1, ("change", cell): -1})
    return together


def suppress(linked, rule=None):
    """{cell: SHOWN | SMALL | SUPPRESSED | WITHHELD} such that every small cell is protected."""
    rule = rule or Rule()
    status = {
        cell: SMALL if rule.is_small(value) else SHOWN for cell, value in linked.values.items()
    }
    status.update(dict.fromkeys(linked.signed, CHANGE))
    status.update(dict.fromkeys(linked.latent, LATENT))
    status.update(linked.fixed)
    lines_of = defaultdict(list)
    for index, (terms, _sense, _rhs) in enumerate(linked.constraints):
        for cell in terms:
            lines_of[cell].append(index)
    cells_of_group = defaultdict(list)
    for cell, group in linked.group_of.items():
        cells_of_group[group].append(cell)
    weak = audit(linked, status, rule, lines_of=lines_of)
    while weak:
        if not _widen(linked, status, rule, weak, lines_of, cells_of_group):
            # Nothing left to hide near the weak cells: withhold everything.
            return dict.fromkeys(linked.values, WITHHELD)
        # Hiding more only widens what an attacker can make of a cell (every figure
        # consistent before still is), so a cell protected once stays protected: only
        # the weak ones are audited again.
        weak = audit(linked, status, rule, only=weak, lines_of=lines_of)
    _show_what_is_known(linked, status, rule, cells_of_group)
    return status


def _show_what_is_known(linked, status, rule, cells_of_group):
    """Show the hidden counts that what is published pins to one value anyway.

    A complement that is its table's total less the shown rows, or a table withheld in one
    slice that another shows (a figure no contact type changes), hides nothing: marked
    hidden, it says something false and invites working it back. An attacker who has a
    count already learns nothing more of any other when it is shown, so the audit's
    verdict stands. Found by bound propagation, a relaxation, which never pins a cell
    that could take two values nor bounds one tighter than it is; a withheld table is
    shown only when every count of it can be marked with what is known of it already.
    """
    published = [c for c in linked.values if c not in linked.derived and c not in linked.fixed]
    hidden = [c for c in published if status[c] in (SUPPRESSED, WITHHELD)]
    if not hidden:
        return
    rows = _rows_with_hidden(linked, status)
    variables = {c for terms, _sense, _rhs in rows for c in terms}
    limits = {c: bounds(status[c], linked.values[c], rule) for c in variables}
    low, high = _propagate(rows + _differences(rows, linked.latent), limits, passes=10)

    def known_mark(cell):
        """The mark that says no more of `cell` than is known already, or None."""
        if status[cell] == SHOWN or low[cell] == high[cell]:
            return SHOWN
        if 1 <= low[cell] and high[cell] <= rule.threshold:
            return SMALL
        if low[cell] > rule.threshold:
            return SUPPRESSED
        return None

    for cell in hidden:
        if status[cell] == SUPPRESSED and known_mark(cell) == SHOWN:
            status[cell] = SHOWN
    # A withheld table is shown when every count of it can be marked with what is
    # known of it already (the same table shown in a slice that the breakdown does
    # not change, with its "<11" where that has them).
    for group in {linked.group_of[c] for c in hidden if status[c] == WITHHELD}:
        marks = {c: known_mark(c) for c in cells_of_group[group]}
        if None not in marks.values():
            status.update(marks)
    # Else the counts of it known anyway (a total) are shown, the others still withheld.
    for cell in hidden:
        if status[cell] == WITHHELD and known_mark(cell) == SHOWN:
            status[cell] = SHOWN


def _differences(rows, latent):
    """Lines that are the difference of two equalities over the same cells published
    nowhere: Downtown's figure and Sam's are each the sum of the same combinations when
    Sam is all of Downtown, so they are equal, which propagation, one line at a time,
    does not see."""
    by_latent = defaultdict(list)
    for terms, sense, rhs in rows:
        if sense == "=":
            hidden = frozenset((c, a) for c, a in terms.items() if c in latent)
            if hidden:
                by_latent[hidden].append((terms, rhs))
    differences = []
    for hidden, same in by_latent.items():
        cells = {c for c, _a in hidden}
        (first, first_rhs), *others = same
        for terms, rhs in others:
            difference = defaultdict(int)
            for c, a in first.items():
                if c not in cells:
                    difference[c] += a
            for c, a in terms.items():
                if c not in cells:
                    difference[c] -= a
            difference = {c: a for c, a in difference.items() if a}
            if difference:
                differences.append((difference, "=", first_rhs - rhs))
    return differences


def _rows_with_hidden(linked, status):
    """The lines that hold a hidden cell: (hidden terms, sense, right-hand side less the
    shown cells)."""
    rows = []
    for terms, sense, rhs in linked.constraints:
        hidden = {c: a for c, a in terms.items() if status[c] != SHOWN}
        if hidden:
            known = sum(a * linked.values[c] for c, a in terms.items() if status[c] == SHOWN)
            rows.append((hidden, sense, rhs - known))
    return rows


def bounds(status, value, rule):
    """What an attacker knows of a cell from how it is shown: (lowest, highest)."""
    if status == SHOWN:
        return value, value
    if status == SMALL:
        return 1, rule.threshold
    if status == SUPPRESSED:
        return rule.threshold + 1, BIG
    if status == CHANGE:
        return -BIG, BIG
    return 0, BIG  # withheld, or latent


def _widen(linked, status, rule, weak, lines_of, cells_of_group):
    """Hide more so that the weak cells can be protected; False when nothing could change."""
    touched = set()
    # Lines of neighbours already looked at this round: hiding more only adds room,
    # so a line found long enough stays so, and a pick made stays hidden.
    checked = {}
    far = []  # weak cells with nothing next to them left to hide or withhold
    for cell in sorted(weak, key=repr):
        neighbours = {c for i in lines_of[cell] for c in linked.constraints[i][0]}
        picks = set()
        for index in lines_of[cell]:
            terms, sense, _rhs = linked.constraints[index]
            if sense == "=":
                pick = _complement_in_line(linked, status, rule, cell, terms)
                if pick is not None:
                    picks.add(pick)
        if not picks:
            # The cell's own lines have room, so a cell hidden with it is pinned by
            # a line of its own: give that line room too.
            picks = _complements_for_linked(linked, status, rule, cell, lines_of, checked)
        near = _hideable(linked, status, neighbours)
        if not picks and near and neighbours & touched:
            continue  # what was hidden for another cell may be enough: audit first
        if not picks and near:
            # No line is short on its own: the weakness comes from several lines
            # together. Hide the smallest shown count next to the cell.
            picks.add(min(near, key=lambda c: (linked.values[c], repr(c))))
        for pick in picks:
            status[pick] = SUPPRESSED
        touched |= picks
        if picks:
            continue
        # No count left to hide: withhold the tables around the cell, its own first.
        groups = [linked.group_of[cell]] + sorted(
            {linked.group_of[c] for c in neighbours}, key=repr
        )
        withheld = _withhold_a_group(linked, status, groups, cells_of_group)
        if not withheld:
            far.append(cell)
        touched |= withheld
    if not touched:
        # Nothing next to the weak cells is left to hide or withhold, yet they are
        # pinned: by lines further away (an inequality, such as people counted once
        # being at most the sum of the sites', or a chain of lines). Hide the nearest
        # count that can be; only when nothing nearer changed, which may be enough.
        for cell in far:
            touched |= _hide_further(linked, status, cell, lines_of, cells_of_group)
    return bool(touched)


def _withhold_a_group(linked, status, groups, cells_of_group):
    """Withhold the first of `groups` (tables of one slice) that is published and not yet
    withheld: the cells withheld, or an empty set."""
    for group in groups:
        if any(c in linked.derived or c in linked.fixed for c in cells_of_group[group]):
            continue  # not published, or published before: nothing to withhold
        if any(status[c] != WITHHELD for c in cells_of_group[group]):
            for c in cells_of_group[group]:
                status[c] = WITHHELD
            return set(cells_of_group[group])
    return set()


def _hide_further(linked, status, cell, lines_of, cells_of_group):
    """Hide the smallest shown count nearest to `cell` along its lines, of any kind, going
    on through hidden cells; where the nearest cells have none, withhold one of their
    tables. The cells changed: empty only when nothing linked to the cell is left."""
    seen, frontier = {cell}, [cell]
    while frontier:
        reached = {
            c for current in frontier for i in lines_of[current] for c in linked.constraints[i][0]
        }
        reached -= seen
        seen |= reached
        near = _hideable(linked, status, reached)
        if near:
            pick = min(near, key=lambda c: (linked.values[c], repr(c)))
            status[pick] = SUPPRESSED
            return {pick}
        groups = sorted({linked.group_of[c] for c in reached}, key=repr)
        withheld = _withhold_a_group(linked, status, groups, cells_of_group)
        if withheld:
            return withheld
        # A shown count is a constant to the attacker: only hidden ones carry a pin on.
        frontier = sorted((c for c in reached if status[c] != SHOWN), key=repr)
    return set()


def _complements_for_linked(linked, status, rule, cell, lines_of, checked):
    """A complement for a line of a hidden cell next to `cell` (two lines away at most).

    Further cells are left to later rounds: the audit says whether they matter.
    """
    seen, queue = {cell}, [(cell, 0)]
    while queue:
        current, distance = queue.pop(0)
        for index in lines_of[current]:
            terms, sense, _rhs = linked.constraints[index]
            if current != cell and sense == "=":
                if (current, index) not in checked:
                    checked[(current, index)] = _complement_in_line(
                        linked, status, rule, current, terms
                    )
                pick = checked[(current, index)]
                if pick is not None:
                    return {pick}
            if distance == 0:
                for other in terms:
                    if other not in seen and status[other] != SHOWN:
                        seen.add(other)
                        queue.append((other, 1))
    return set()


def _hideable(linked, status, cells):
    return [
        c
        for c in cells
        if status[c] == SHOWN
        and linked.values[c] > 0
        and c not in linked.derived
        and c not in linked.fixed
    ]


def _complement_in_line(linked, status, rule, cell, terms):
    """A shown count of this line to hide when the line alone pins `cell`, else None.

    The cell must be able to move over `width` values; the line's other hidden
    cells absorb the move within what is known of them. When they cannot, the
    smallest shown count that would is chosen (or the one that helps most).
    """
    value = linked.values[cell]
    low, high = bounds(status[cell], value, rule)
    if rule.is_small(value):
        # Any run of `width` values around the true one will do.
        first = max(low, value - rule.width + 1)
        last = max(first, min(value, high - rule.width + 1))
        needs = [(value - s, s + rule.width - 1 - value) for s in range(first, last + 1)]
    else:
        # A cell hidden for another's sake must move as far as the small one does.
        needs = [(min(rule.width - 1, value - low), rule.width - 1)]
    a_cell = terms[cell]

    def room(other, other_status, direction):
        a = terms[other]
        lo, hi = bounds(other_status, linked.values[other], rule)
        v = linked.values[other]
        return abs(a) * ((hi - v) if direction * a > 0 else (v - lo))

    # Moving the cell up by d needs the others' sum to move by -a_cell * d.
    up, down = (-1 if a_cell > 0 else 1), (1 if a_cell > 0 else -1)
    # The others' room, added up only as far as the cell could need (lines are long).
    enough_room = (rule.width - 1) * abs(a_cell)
    room_up = room_down = 0
    for other in terms:
        if other == cell or status[other] == SHOWN:
            continue
        room_up += room(other, status[other], up)
        room_down += room(other, status[other], down)
        if room_up >= enough_room and room_down >= enough_room:
            return None
    room_up, room_down = room_up / abs(a_cell), room_down / abs(a_cell)
    if any(down <= room_down and up <= room_up for down, up in needs):
        return None
    candidates = _hideable(linked, status, [c for c in terms if c != cell])
    if not candidates:
        return None

    def gain(c):
        return (
            room(c, SUPPRESSED, up) / abs(a_cell),
            room(c, SUPPRESSED, down) / abs(a_cell),
        )

    def enough(c):
        gain_up, gain_down = gain(c)
        return any(down <= room_down + gain_down and up <= room_up + gain_up for down, up in needs)

    sufficient = [c for c in candidates if enough(c)]
    if sufficient:
        return min(sufficient, key=lambda c: (linked.values[c], repr(c)))
    return max(candidates, key=lambda c: (min(gain(c)), -linked.values[c], repr(c)))


# ---------------------------------------------------------------- the audit


def audit(linked, status, rule, only=None, lines_of=None):
    """The small cells (shown as "<11" or withheld) an attacker could narrow below the width.

    Shown cells are constants; the hidden ones are whole-number variables
    within what their marking says. The constraints split into independent
    components (a metric's tables across the breakdowns are linked only with
    each other), and each is solved on its own; with `only`, just those cells are
    audited (and the components holding them solved).
    """
    variables = [cell for cell in linked.values if status[cell] != SHOWN]
    if not variables:
        return set()
    rows = _rows_with_hidden(linked, status)
    parent = {cell: cell for cell in variables}

    def root(cell):
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for hidden, _sense, _rhs in rows:
        first, *rest = hidden
        for other in rest:
            parent[root(other)] = root(first)
    members = defaultdict(list)
    for cell in variables:
        members[root(cell)].append(cell)
    rows_of = defaultdict(list)
    for row in rows:
        rows_of[root(next(iter(row[0])))].append(row)
    weak = set()
    for key, cells in members.items():
        targets = [c for c in cells if linked.is_target(c, rule) and (only is None or c in only)]
        if targets:
            weak |= _weak_in_component(linked, status, rule, cells, rows_of[key], targets)
    return weak


def _floor_div(p, q):
    return p // q if q > 0 else (-p) // (-q)


def _propagate(rows, limits, passes=3):
    """Each hidden cell's range as the lines allow it, one line at a time (bound propagation).

    A relaxation of the whole problem: a cell it leaves too narrow is weak
    without a solve; a cell it leaves wide still has to be proven.
    """
    low = {c: limit[0] for c, limit in limits.items()}
    high = {c: limit[1] for c, limit in limits.items()}
    for _pass in range(passes):
        tightened = False
        for terms, sense, rhs in rows:
            smallest = sum(a * (low[c] if a > 0 else high[c]) for c, a in terms.items())
            largest = sum(a * (high[c] if a > 0 else low[c]) for c, a in terms.items())
            for c, a in terms.items():
                # a * x_c = rhs - (the others), the others between their extremes.
                others_min = smallest - a * (low[c] if a > 0 else high[c])
                others_max = largest - a * (high[c] if a > 0 else low[c])
                at_most, at_least = rhs - others_min, rhs - others_max  # bounds on a * x_c
                top, bottom = high[c], low[c]
                if a > 0:
                    top = _floor_div(at_most, a)
                    if sense == "=":
                        bottom = -_floor_div(-at_least, a)
                else:
                    bottom = -_floor_div(-at_most, a)
                    if sense == "=":
                        top = _floor_div(at_least, a)
                if top < high[c] or bottom > low[c]:
                    high[c], low[c] = min(high[c], top), max(low[c], bottom)
                    tightened = True
        if not tightened:
            break
    return low, high


def _weak_in_component(linked, status, rule, cells, rows, targets):
    need = rule.width - 1
    limits = {c: bounds(status[c], linked.values[c], rule) for c in cells}
    low, high = _propagate(rows, limits)
    weak = {c for c in targets if high[c] - low[c] < need}
    targets = [c for c in targets if c not in weak]
    if not targets:
        return weak
    problem = _Problem(cells, rows, limits)
    positions = np.array([problem.index[c] for c in targets])
    # Every feasible whole-number point found widens what is known to be
    # reachable; the true figures are the first such point.
    seen_low = np.array([linked.values[c] for c in targets], dtype=float)
    seen_high = seen_low.copy()
    top = np.array([limits[c][1] for c in targets], dtype=float)
    bottom = np.array([limits[c][0] for c in targets], dtype=float)

    def witness(x):
        if x is not None:
            np.minimum(seen_low, x[positions], out=seen_low)
            np.maximum(seen_high, x[positions], out=seen_high)

    def open_():
        return seen_high - seen_low < need

    # Push the unsettled targets up at once, then down, with weights that differ
    # from solve to solve so that ties break differently (a fixed seed keeps the
    # result the same for the same figures); a few solves settle most targets.
    rng = np.random.default_rng(len(cells))
    for _round in range(8):
        progress = False
        for sign in (-1, 1):
            pending = open_() & ((seen_high < top) if sign < 0 else (seen_low > bottom))
            if not pending.any():
                continue
            before = (seen_low.copy(), seen_high.copy())
            chosen = np.flatnonzero(pending)
            weights = rng.uniform(1, 3, len(chosen))
            objective = {targets[i]: sign * w for i, w in zip(chosen, weights, strict=True)}
            point = problem.solve_relaxed(objective)[1]
            witness(point if point is not None else problem.solve_integer(objective))
            progress |= bool((seen_low != before[0]).any() or (seen_high != before[1]).any())
        if not open_().any() or not progress:
            break
    for i in np.flatnonzero(open_()):
        c = targets[i]
        # The LP relaxation bounds the whole-number range from outside: when even
        # it is too narrow, the cell is weak without an integer solve.
        lp_high, point_high = problem.solve_relaxed({c: -1})
        lp_low, point_low = problem.solve_relaxed({c: 1})
        if np.floor(-lp_high + 1e-6) - np.ceil(lp_low - 1e-6) < need:
            weak.add(c)
            continue
        witness(point_high)
        witness(point_low)
        if not open_()[i]:
            continue
        witness(problem.solve_integer({c: -1}))
        witness(problem.solve_integer({c: 1}))
        if open_()[i]:
            weak.add(c)
    return weak


class _Problem:
    """One component as a HiGHS model, kept between solves (only the objective changes)."""

    def __init__(self, cells, rows, limits):
        self.cells = cells
        self.index = {c: i for i, c in enumerate(cells)}
        n = len(cells)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([float(limits[c][0]) for c in cells])
        lp.col_upper_ = np.array([float(limits[c][1]) for c in cells])
        inf = highspy.kHighsInf
        lp.row_lower_ = np.array([float(rhs) if sense == "=" else -inf for _t, sense, rhs in rows])
        lp.row_upper_ = np.array([float(rhs) for _t, _sense, rhs in rows])
        starts, indexes, values = [0], [], []
        for terms, _sense, _rhs in rows:
            for c, a in terms.items():
                indexes.append(self.index[c])
                values.append(float(a))
            starts.append(len(indexes))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indexes, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values)
        self.relaxed = self._solver(lp)
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        self.integer = self._solver(lp)
        self.all_columns = np.arange(n, dtype=np.int32)

    @staticmethod
    def _solver(lp):
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        # Objectives are sums of whole numbers: a gap below 1 is optimal.
        solver.setOptionValue("mip_rel_gap", 0.0)
        solver.setOptionValue("mip_abs_gap", 0.5)
        solver.passModel(lp)
        return solver

    def _run(self, solver, objective):
        cost = np.zeros(len(self.cells))
        for c, weight in objective.items():
            cost[self.index[c]] = weight
        solver.changeColsCost(len(self.cells), self.all_columns, cost)
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"suppression audit: {solver.modelStatusToString(solver.getModelStatus())}"
            )
        return solver.getInfo().objective_function_value, np.array(solver.getSolution().col_value)

    def solve_integer(self, objective):
        """The optimal whole-number point, as an array by column."""
        _value, x = self._run(self.integer, objective)
        return np.round(x)

    def solve_relaxed(self, objective):
        """(optimum, the point when every value is whole, else None)."""
        value, x = self._run(self.relaxed, objective)
        rounded = np.round(x)
        if np.all(np.abs(x - rounded) < 1e-6):
            return value, rounded
        return value, None
