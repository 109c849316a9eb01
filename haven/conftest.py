"""Fixtures shared by every app under haven/.

The browser fixtures live in haven/core/tests/browser.py; importing them here
lets any app's browser tests use them without importing anything.
"""

from haven.core.tests.browser import (  # noqa: F401
    browser,
    fail_on_csp_violations,
    live_server_settles,
    page,
)
