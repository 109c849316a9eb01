from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from haven.reports.suppression import suppress_grid, suppress_list


def with_totals(body):
    rows = [row + [sum(row)] for row in body]
    totals = [sum(column) for column in zip(*rows, strict=True)]
    return rows + [totals]


grids = st.integers(1, 3).flatmap(
    lambda columns: st.lists(
        st.lists(st.integers(0, 30), min_size=columns, max_size=columns), min_size=1, max_size=3
    )
)


@given(grids)
def test_every_small_count_is_hidden(body):
    grid = with_totals(body)
    hidden = suppress_grid(grid)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if 1 <= value <= 10:
                assert (r, c) in hidden


@given(grids)
def test_no_line_has_exactly_one_hidden_cell(body):
    grid = with_totals(body)
    hidden = suppress_grid(grid)
    rows, columns = len(grid), len(grid[0])
    for r in range(rows):
        assert sum((r, c) in hidden for c in range(columns)) != 1
    for c in range(columns):
        assert sum((r, c) in hidden for r in range(rows)) != 1


def determined_cells(grid, hidden):
    """Hidden cells whose value follows from the shown cells by the sum equations.

    Each row and column says: its cells add up to its total. With the shown
    values moved to the right-hand side, a hidden cell is determined exactly
    when its unit vector lies in the row space of the equations over the
    hidden cells (Gaussian elimination over the rationals).
    """
    rows, columns = len(grid), len(grid[0])
    order = sorted(hidden)
    index = {cell: i for i, cell in enumerate(order)}
    equations = []
    for line in [[(r, c) for c in range(columns)] for r in range(rows)] + [
        [(r, c) for r in range(rows)] for c in range(columns)
    ]:
        vector = [Fraction(0)] * len(order)
        for cell in line[:-1]:
            if cell in index:
                vector[index[cell]] += 1
        if line[-1] in index:
            vector[index[line[-1]]] -= 1
        if any(vector):
            equations.append(vector)
    basis = _row_echelon(equations)
    return {cell for cell in order if _in_span(basis, _unit(len(order), index[cell]))}


def _unit(size, position):
    return [Fraction(int(i == position)) for i in range(size)]


def _row_echelon(vectors):
    basis = []
    for vector in vectors:
        vector = _reduce(basis, vector)
        if any(vector):
            basis.append(vector)
    return basis


def _reduce(basis, vector):
    vector = list(vector)
    for row in basis:
        pivot = next(i for i, value in enumerate(row) if value)
        if vector[pivot]:
            factor = vector[pivot] / row[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def _in_span(basis, vector):
    return not any(_reduce(basis, vector))


@given(grids)
def test_a_hidden_count_cannot_be_worked_out_from_the_totals(body):
    grid = with_totals(body)
    hidden = suppress_grid(grid)
    assert determined_cells(grid, hidden) == set()


def test_the_check_itself_finds_a_lone_hidden_cell():
    grid = with_totals([[3, 40, 57], [20, 30, 50]])
    assert determined_cells(grid, {(0, 0)}) == {(0, 0)}
    # Hidden in pairs along a row, one hidden pair is still pinned by the columns.
    assert determined_cells(grid, {(0, 0), (0, 1)}) == {(0, 0), (0, 1)}
    rectangle = {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert determined_cells(grid, rectangle) == set()


def test_a_list_with_one_small_count_hides_another():
    # 3 + 40 + 57 = 100: hiding only the 3 would leave it as 100 - 40 - 57.
    assert suppress_list([3, 40, 57, 100]) == {0, 1}


def test_a_list_whose_only_count_is_small_hides_the_total():
    assert suppress_list([0, 4, 0, 4]) == {1, 3}


def test_nothing_small_nothing_hidden():
    assert suppress_list([0, 40, 57, 97]) == set()
