"""What Haven writes to its logs: never the values of a stored row.

PostgreSQL explains a refused write with the values it refused: "DETAIL: Key
(card_code)=(…) already exists", "Failing row contains (…)". Django's request
logger writes such an error's whole text when a request fails, so those lines
would put a participant's card code, or a whole row, in the logs. The error's
kind and the constraint it broke (the first line) are enough to find the bug.
"""

import logging
import re

# psycopg puts the server's DETAIL (and HINT, which can quote values too) on lines of their own.
_ROW_VALUES = re.compile(r"^(\s*)(DETAIL|HINT):.*$", re.MULTILINE)
WITHHELD = r"\1\2: (withheld from the log: it can hold the row's values)"


class WithoutRowValues(logging.Formatter):
    def format(self, record):
        return _ROW_VALUES.sub(WITHHELD, super().format(record))
