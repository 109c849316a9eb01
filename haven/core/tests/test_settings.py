"""Production settings come from the environment (README, Configuration)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE]))"
)


def settings_with(**environ):
    env = {key: value for key, value in os.environ.items() if not key.startswith("HAVEN_")}
    env.update(DJANGO_SETTINGS_MODULE="haven.settings", **environ)
    result = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return result


def test_production_behind_a_tls_proxy():
    result = settings_with(
        HAVEN_DEBUG="0",
        HAVEN_SECRET_KEY="a-real-secret-key-for-this-test-only-0123456789",
        HAVEN_ENCRYPTION_KEYS="aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ=",
        HAVEN_BEHIND_TLS_PROXY="1",
        HAVEN_SSL_REDIRECT="1",
        HAVEN_HSTS_SECONDS="3600",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        False,
        True,
        3600,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        True,
    ]


def test_production_refuses_to_start_without_its_keys():
    result = settings_with(HAVEN_DEBUG="0")
    assert result.returncode != 0
    assert "HAVEN_SECRET_KEY" in result.stderr
