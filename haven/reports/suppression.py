"""Small-cell suppression for figures that leave the program.

Counts from 1 to 10 are shown as "<11" (primary suppression). Where a total
is shown, one hidden cell could be worked out from the total and the others,
so a second cell in the same line is hidden too (complementary suppression),
repeating until no line (row or column, totals included) has exactly one
hidden cell. Zeros are shown: an empty cell says nothing about a person.
"""

SMALL = range(1, 11)
HIDDEN = "<11"


def _lines(rows, columns):
    """Every line of cells whose last cell is the total of the others."""
    lines = [[(r, c) for c in range(columns)] for r in range(rows)]
    lines += [[(r, c) for r in range(rows)] for c in range(columns)]
    return lines


def suppress_grid(grid, has_row_totals=True, has_column_totals=True):
    """Return a set of (row, column) cells to hide in a grid of counts.

    `grid` is a list of rows; when `has_row_totals`, the last column holds
    each row's total; when `has_column_totals`, the last row holds each
    column's total.
    """
    rows, columns = len(grid), len(grid[0]) if grid else 0
    hidden = {(r, c) for r in range(rows) for c in range(columns) if grid[r][c] in SMALL}
    lines = []
    if has_row_totals:
        lines += _lines(rows, columns)[:rows]
    if has_column_totals:
        lines += _lines(rows, columns)[rows:]
    changed = True
    while changed:
        changed = False
        for line in lines:
            in_line = [cell for cell in line if cell in hidden]
            if len(in_line) != 1:
                continue
            # Hide the smallest other count in the line that says something;
            # if there is none, hide the total itself.
            candidates = sorted(
                (grid[r][c], (r, c))
                for r, c in line[:-1]
                if (r, c) not in hidden and grid[r][c] > 0
            )
            hidden.add(candidates[0][1] if candidates else line[-1])
            changed = True
    return hidden


def suppress_list(values, total=True):
    """For a list of counts (and its total, last, when `total`): the indexes to hide."""
    grid = [list(values)]
    return {
        column
        for _row, column in suppress_grid(grid, has_row_totals=total, has_column_totals=False)
    }


def show(value, hide):
    return HIDDEN if hide else value
