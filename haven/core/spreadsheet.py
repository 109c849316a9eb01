"""Cells of the CSV and XLSX files that leave Haven: data is always text, never a formula."""

# A spreadsheet treats a cell that starts with one of these as a formula
# (OWASP, "CSV Injection"); tab and carriage return can hide the sign.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as a spreadsheet may show it: text that could start a formula gets a leading quote.

    Numbers, dates and None pass through unchanged, so figures stay figures.
    """
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
