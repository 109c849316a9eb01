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

    def each_at_most(self, cells, whole):
        """Each of `cells` is at most `whole` (a combination's people at most a site's)."""
        for cell in cells:
            self._add_constraint({cell: 1, whole: -1}, "<=", 0)

    def _add_constraint(self, terms, sense, rhs):
        if 0 in terms.values():
            terms = {cell: a for cell, a in terms.items() if a}
        values = self.values
        left = 0
        for cell, a in terms.items():
            left += a * values[cell]
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
    cells_of_group = defaultdict(list)
    for cell, group in linked.group_of.items():
        cells_of_group[group].append(cell)
    lines = _Lines(linked, rule)
    lines_of = lines.lines_of
    weak = audit(linked, status, rule, lines=lines)
    while weak:
        if not _widen(linked, status, rule, weak, lines_of, cells_of_group):
            # Nothing left to hide near the weak cells: withhold everything.
            return dict.fromkeys(linked.values, WITHHELD)
        # Hiding more only widens what an attacker can make of a cell (every figure
        # consistent before still is), so a cell protected once stays protected: only
        # the weak ones are audited again.
        weak = audit(linked, status, rule, only=weak, lines=lines)
    _show_what_is_known(linked, status, rule, cells_of_group, lines)
    return status


def _show_what_is_known(linked, status, rule, cells_of_group, lines):
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
    is_hidden, low, high = lines.marked(status, rule)
    part = _Component(lines.values, low, high, *lines.hidden_rows(is_hidden, True))
    low, high = _propagate(_fold_single_cells(part), passes=10)
    position = lines.position

    def known_mark(cell):
        """The mark that says no more of `cell` than is known already, or None."""
        lowest, highest = low[position[cell]], high[position[cell]]
        if status[cell] == SHOWN or lowest == highest:
            return SHOWN
        if 1 <= lowest and highest <= rule.threshold:
            return SMALL
        if lowest > rule.threshold:
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


def _differences(constraints, latent):
    """Lines that are the difference of two equalities over the same cells published
    nowhere: Downtown's figure and Sam's are each the sum of the same combinations when
    Sam is all of Downtown, so they are equal, which propagation, one line at a time,
    does not see."""
    by_latent = defaultdict(list)
    for terms, sense, rhs in constraints:
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
    values = linked.values
    for other, a in terms.items():
        other_status = status[other]
        if other_status == SHOWN or other == cell:
            continue
        # room(other, other_status, up) and (…, down), inline: lines are long.
        v = values[other]
        lo, hi = bounds(other_status, v, rule)
        size = a if a > 0 else -a
        if up * a > 0:
            room_up += size * (hi - v)
            room_down += size * (v - lo)
        else:
            room_up += size * (v - lo)
            room_down += size * (hi - v)
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

# Bounds past any a cell can have (BIG, a count's largest, times a line's coefficients),
# for "no bound" in the integer arithmetic of the propagation.
_NO_BOUND = 10**15


class _Lines:
    """The linked set's relations as arrays, built once for a suppression: one entry
    (relation, cell, coefficient) per term. Each round then finds the lines of the hidden
    cells, their components and their bounds with array operations, not a loop over the
    twenty thousand relations of a year's reports."""

    def __init__(self, linked, rule):
        self.cells = list(linked.values)
        self.position = {cell: i for i, cell in enumerate(self.cells)}
        self.values = np.array([linked.values[c] for c in self.cells], dtype=np.int64)
        self.target = np.array([linked.is_target(c, rule) for c in self.cells], dtype=bool)
        self.row, self.col, self.coef, self.rhs, self.equal = self._entries(linked.constraints)
        self.lines_of = _LinesOf(self)
        self._linked = linked
        self._differences = None

    @property
    def differences(self):
        """The entries of _differences(), found when first needed."""
        if self._differences is None:
            latent = self._linked.latent
            self._differences = self._entries(_differences(self._linked.constraints, latent))
        return self._differences

    def _entries(self, constraints):
        row, col, coef = [], [], []
        at = self.position.__getitem__
        for index, (terms, _sense, _rhs) in enumerate(constraints):
            row += [index] * len(terms)
            col += map(at, terms)
            coef += terms.values()
        return (
            np.array(row, dtype=np.int64),
            np.array(col, dtype=np.int64),
            np.array(coef, dtype=np.int64),
            np.array([rhs for _t, _s, rhs in constraints], dtype=np.int64),
            np.array([sense == "=" for _t, sense, _r in constraints], dtype=bool),
        )

    def marked(self, status, rule):
        """(which cells are hidden, their lowest and highest values as marked), as arrays:
        bounds() of every cell."""
        marks = np.array([status[c] for c in self.cells])
        shown, small, suppressed = marks == SHOWN, marks == SMALL, marks == SUPPRESSED
        low = np.select(
            [shown, small, suppressed, marks == CHANGE],
            [self.values, 1, rule.threshold + 1, -BIG],
            0,
        ).astype(np.int64)
        high = np.select([shown, small], [self.values, rule.threshold], BIG).astype(np.int64)
        return ~shown, low, high

    def hidden_rows(self, hidden, with_differences=False):
        """The lines that hold a hidden cell, as entries of the hidden cells only: (row,
        column, coefficient) with each line's right-hand side less its shown cells, and
        whether it is an equality. Lines are numbered anew, columns are the cells'."""
        parts = [(self.row, self.col, self.coef, self.rhs, self.equal)]
        if with_differences:
            parts.append(self.differences)
        rows, cols, coefs, rhss, equals = [], [], [], [], []
        offset = 0
        for row, col, coef, rhs, equal in parts:
            inside = hidden[col]
            known = np.bincount(
                row[~inside],
                weights=(coef * self.values[col])[~inside],
                minlength=len(rhs),
            )
            rows.append(row[inside] + offset)
            cols.append(col[inside])
            coefs.append(coef[inside])
            rhss.append(rhs - np.rint(known).astype(np.int64))
            equals.append(equal)
            offset += len(rhs)
        row, rhs = np.concatenate(rows), np.concatenate(rhss)
        held = np.bincount(row, minlength=len(rhs)) > 0
        renumbered = np.cumsum(held) - 1
        return (
            renumbered[row],
            np.concatenate(cols),
            np.concatenate(coefs),
            rhs[held],
            np.concatenate(equals)[held],
        )


class _LinesOf:
    """{cell: the indexes of its relations}, read off the entries of `lines` when asked
    (the widening asks of a few hundred cells)."""

    def __init__(self, lines):
        order = np.argsort(lines.col, kind="stable")
        self.rows = lines.row[order]
        self.starts = np.searchsorted(lines.col[order], np.arange(len(lines.cells) + 1))
        self.position = lines.position
        self.found = {}

    def __getitem__(self, cell):
        if cell not in self.found:
            i = self.position[cell]
            self.found[cell] = self.rows[self.starts[i] : self.starts[i + 1]].tolist()
        return self.found[cell]


def audit(linked, status, rule, only=None, lines=None):
    """The small cells (shown as "<11" or withheld) an attacker could narrow below the width.

    Shown cells are constants; the hidden ones are whole-number variables
    within what their marking says. The constraints split into independent
    components (a metric's tables across the breakdowns are linked only with
    each other), and each is solved on its own; with `only`, just those cells are
    audited (and the components holding them solved).
    """
    lines = lines or _Lines(linked, rule)
    hidden, low, high = lines.marked(status, rule)
    wanted = hidden & lines.target
    if only is not None:
        wanted &= np.isin(np.arange(len(lines.cells)), [lines.position[c] for c in only])
    if not wanted.any():
        return set()
    row, col, coef, rhs, equal = lines.hidden_rows(hidden)
    component = _components(len(lines.cells), row, col)
    entry_component = component[col]
    weak = set()
    for key in np.unique(component[wanted]):
        cells = np.flatnonzero(hidden & (component == key))
        local = np.full(len(lines.cells), -1, dtype=np.int64)
        local[cells] = np.arange(len(cells))
        inside = entry_component == key
        rows_inside = np.unique(row[inside])
        renumber = np.full(len(rhs), -1, dtype=np.int64)
        renumber[rows_inside] = np.arange(len(rows_inside))
        targets = local[np.flatnonzero(wanted & (component == key))]
        found = _weak_in_component(
            _Component(
                lines.values[cells],
                low[cells],
                high[cells],
                renumber[row[inside]],
                local[col[inside]],
                coef[inside],
                rhs[rows_inside],
                equal[rows_inside],
            ),
            targets,
            rule.width - 1,
        )
        weak |= {lines.cells[cells[i]] for i in found}
    return weak


def _components(count, row, col):
    """The component of each of `count` cells: the smallest cell it is linked to through
    the lines (row, col), by spreading the smallest label along the lines until it holds."""
    label = np.arange(count)
    if not len(row):
        return label
    lines = row.max() + 1
    while True:
        smallest = np.full(lines, count)
        np.minimum.at(smallest, row, label[col])
        spread = label.copy()
        np.minimum.at(spread, col, smallest[row])
        spread = spread[spread]  # a label's own label: the chains shorten by half
        if np.array_equal(spread, label):
            return label
        label = spread


@dataclass
class _Component:
    """Hidden cells linked by their lines: true values and marked bounds by column, and
    the lines as entries (row, column, coefficient) with right-hand sides and senses."""

    values: np.ndarray
    low: np.ndarray
    high: np.ndarray
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray
    rhs: np.ndarray
    equal: np.ndarray


def _fold_single_cells(part):
    """The component with its lines of one cell made bounds on that cell.

    Most lines hold one hidden cell once the shown ones are constants (a combination's
    figure at most a site's shown one): each is a bound, and kept as a bound it costs the
    propagation and the solver nothing. The same problem.
    """
    counts = np.bincount(part.row, minlength=len(part.rhs))
    single = counts[part.row] == 1
    low, high = part.low.copy(), part.high.copy()
    _narrow(
        low,
        high,
        part.col[single],
        part.coef[single],
        part.rhs[part.row[single]],
        part.rhs[part.row[single]],
        part.equal[part.row[single]],
    )
    longer = counts >= 2
    renumbered = np.cumsum(longer) - 1
    keep = ~single
    return _Component(
        part.values,
        low,
        high,
        renumbered[part.row[keep]],
        part.col[keep],
        part.coef[keep],
        part.rhs[longer],
        part.equal[longer],
    )


def _narrow(low, high, col, a, at_most, at_least, equal):
    """Narrow (in place) the bounds of the cells `col` by a * x <= at_most, and a * x >=
    at_least where `equal`: whole numbers, so rounded inwards."""
    positive = a > 0
    floor_most, floor_least = at_most // a, at_least // a
    ceil_most, ceil_least = -((-at_most) // a), -((-at_least) // a)
    top = np.where(positive, floor_most, np.where(equal, floor_least, _NO_BOUND))
    bottom = np.where(positive, np.where(equal, ceil_least, -_NO_BOUND), ceil_most)
    np.minimum.at(high, col, top)
    np.maximum.at(low, col, bottom)


def _propagate(part, passes=3):
    """Each hidden cell's range as the lines allow it, every line at once (bound
    propagation): (lowest, highest) by column.

    A relaxation of the whole problem: a cell it leaves too narrow is weak
    without a solve; a cell it leaves wide still has to be proven.
    """
    low, high = part.low.copy(), part.high.copy()
    row, col, a = part.row, part.col, part.coef
    positive = a > 0
    rhs, equal = part.rhs[row], part.equal[row]
    lines = len(part.rhs)
    for _pass in range(passes):
        least = np.where(positive, a * low[col], a * high[col])  # smallest a * x
        most = np.where(positive, a * high[col], a * low[col])
        # Exact in floating point: every sum is a whole number far below 2**53.
        line_least = np.rint(np.bincount(row, weights=least, minlength=lines)).astype(np.int64)
        line_most = np.rint(np.bincount(row, weights=most, minlength=lines)).astype(np.int64)
        # a * x = rhs - (the others), the others between their extremes.
        at_most = rhs - (line_least[row] - least)
        at_least = rhs - (line_most[row] - most)
        before_low, before_high = low.copy(), high.copy()
        _narrow(low, high, col, a, at_most, at_least, equal)
        if np.array_equal(low, before_low) and np.array_equal(high, before_high):
            break
    return low, high


def _weak_in_component(part, targets, need):
    """The columns of `targets` whose whole-number range is narrower than `need` + 1."""
    part = _fold_single_cells(part)
    low, high = _propagate(part, passes=10)
    narrow = high[targets] - low[targets] < need
    weak = set(targets[narrow].tolist())
    targets = targets[~narrow]
    if not len(targets):
        return weak
    problem = _Problem(part)
    # Every feasible whole-number point found widens what is known to be
    # reachable; the true figures are the first such point.
    seen_low = part.values[targets].astype(float)
    seen_high = seen_low.copy()
    top = part.high[targets].astype(float)
    bottom = part.low[targets].astype(float)

    def witness(x):
        if x is not None:
            np.minimum(seen_low, x[targets], out=seen_low)
            np.maximum(seen_high, x[targets], out=seen_high)

    def open_():
        return seen_high - seen_low < need

    # Push the unsettled targets up at once, then down, with weights that differ
    # from solve to solve so that ties break differently (a fixed seed keeps the
    # result the same for the same figures). Each is pushed only as far as it needs
    # (its bound moved there for the solve), so that one going far does not hold the
    # others back; a few solves settle most targets.
    rng = np.random.default_rng(len(part.values))
    for _round in range(8):
        progress = False
        for sign in (-1, 1):
            pending = open_() & ((seen_high < top) if sign < 0 else (seen_low > bottom))
            if not pending.any():
                continue
            before = (seen_low.copy(), seen_high.copy())
            chosen = np.flatnonzero(pending)
            columns = targets[chosen]
            weights = sign * rng.uniform(1, 3, len(chosen))
            if sign < 0:
                far_enough = (bottom[chosen], np.minimum(top[chosen], seen_low[chosen] + need))
            else:
                far_enough = (np.maximum(bottom[chosen], seen_high[chosen] - need), top[chosen])
            point = problem.solve_relaxed(columns, weights, far_enough)[1]
            if point is None:
                # A vertex with fractions: the same push with costs too small to matter
                # besides most often ends at a whole one, for a fraction of an integer solve.
                jitter = rng.uniform(-1e-4, 1e-4, problem.columns)
                point = problem.solve_relaxed(columns, weights, far_enough, jitter)[1]
            witness(point if point is not None else problem.solve_integer(columns, weights))
            progress |= bool((seen_low != before[0]).any() or (seen_high != before[1]).any())
        if not open_().any() or not progress:
            break
    for i in np.flatnonzero(open_()):
        c = targets[i : i + 1]
        # The LP relaxation bounds the whole-number range from outside: when even
        # it is too narrow, the cell is weak without an integer solve.
        lp_high, point_high = problem.solve_relaxed(c, [-1.0])
        lp_low, point_low = problem.solve_relaxed(c, [1.0])
        if np.floor(-lp_high + 1e-6) - np.ceil(lp_low - 1e-6) < need:
            weak.add(int(c[0]))
            continue
        witness(point_high)
        witness(point_low)
        if not open_()[i]:
            continue
        witness(problem.solve_integer(c, [-1.0]))
        witness(problem.solve_integer(c, [1.0]))
        if open_()[i]:
            weak.add(int(c[0]))
    return weak


class _Problem:
    """One component as a HiGHS model, kept between solves (the objective changes, and
    the bounds of the cells pushed)."""

    def __init__(self, part):
        n = self.columns = len(part.values)
        order = np.argsort(part.row, kind="stable")
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(part.rhs)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = part.low.astype(float)
        lp.col_upper_ = part.high.astype(float)
        lp.row_lower_ = np.where(part.equal, part.rhs.astype(float), -highspy.kHighsInf)
        lp.row_upper_ = part.rhs.astype(float)
        starts = np.concatenate([[0], np.cumsum(np.bincount(part.row, minlength=len(part.rhs)))])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = part.col[order].astype(np.int32)
        lp.a_matrix_.value_ = part.coef[order].astype(float)
        self.lp = lp
        self.relaxed = self._solver(lp)
        # Between solves only the objective changes (and the bounds of the cells pushed):
        # the primal simplex goes on from the last optimum, which stays feasible, where
        # the dual one would start again.
        self.relaxed.setOptionValue("simplex_strategy", 4)
        self._integer = None
        self.all_columns = np.arange(n, dtype=np.int32)
        self.bounds = (part.low.astype(float), part.high.astype(float))

    @property
    def integer(self):
        """The same model with whole numbers only, made when first needed (rarely)."""
        if self._integer is None:
            self.lp.integrality_ = [highspy.HighsVarType.kInteger] * self.columns
            self._integer = self._solver(self.lp)
        return self._integer

    @staticmethod
    def _solver(lp):
        solver = highspy.Highs()
        solver.setOptionValue("output_flag", False)
        # Objectives are sums of whole numbers: a gap below 1 is optimal.
        solver.setOptionValue("mip_rel_gap", 0.0)
        solver.setOptionValue("mip_abs_gap", 0.5)
        solver.passModel(lp)
        return solver

    def _run(self, solver, columns, weights, jitter=None):
        cost = np.zeros(self.columns) if jitter is None else jitter.copy()
        cost[columns] += weights
        solver.changeColsCost(self.columns, self.all_columns, cost)
        solver.run()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"suppression audit: {solver.modelStatusToString(solver.getModelStatus())}"
            )
        return solver.getInfo().objective_function_value, np.array(solver.getSolution().col_value)

    def solve_integer(self, columns, weights):
        """The optimal whole-number point, as an array by column."""
        _value, x = self._run(self.integer, columns, weights)
        return np.round(x)

    def solve_relaxed(self, columns, weights, within=None, jitter=None):
        """(optimum, the point when every value is whole, else None), with the columns'
        bounds narrowed to `within` (lowest, highest) for this solve, and `jitter` (a
        cost for every column) added to the objective."""
        if within is not None:
            at = np.asarray(columns, dtype=np.int32)
            self.relaxed.changeColsBounds(len(at), at, *(np.asarray(b, float) for b in within))
        try:
            value, x = self._run(self.relaxed, columns, weights, jitter)
        finally:
            if within is not None:
                original = (self.bounds[0][at], self.bounds[1][at])
                self.relaxed.changeColsBounds(len(at), at, *original)
        rounded = np.round(x)
        if np.all(np.abs(x - rounded) < 1e-6):
            return value, rounded
        return value, None
