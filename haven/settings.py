"""Haven settings: one file, driven by environment variables.

With no environment at all Haven runs for development on SQLite under var/.
In production set HAVEN_DEBUG=0, HAVEN_SECRET_KEY, HAVEN_ENCRYPTION_KEYS,
HAVEN_ALLOWED_HOSTS and DATABASE_URL (see README.md).
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"


def env_bool(name, default):
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("HAVEN_DEBUG", True)

SECRET_KEY = os.environ.get("HAVEN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set HAVEN_SECRET_KEY when HAVEN_DEBUG is off.")
    SECRET_KEY = "haven-development-only-secret-key-do-not-use-in-production"

# Fernet keys for free text at rest, newest first. Older keys still decrypt;
# `manage.py rotate_encryption_keys` re-encrypts everything under the newest.
ENCRYPTION_KEYS = env_list("HAVEN_ENCRYPTION_KEYS")
if not ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("Set HAVEN_ENCRYPTION_KEYS when HAVEN_DEBUG is off.")
    # A fixed development key so that the demo database survives restarts.
    ENCRYPTION_KEYS = ["aGF2ZW4tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="]

ALLOWED_HOSTS = env_list("HAVEN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("HAVEN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "haven.core.apps.HavenAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    # Listed so that the API docs page (Swagger UI) is served from Haven's own
    # static files rather than from a CDN, which the content security policy
    # would block.
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_tasks",
    "django_tasks_db",
    "haven.core",
    "haven.accounts",
    "haven.participants",
    "haven.supplies",
    "haven.outreach",
    "haven.overdose",
    "haven.resources",
    "haven.consents",
    "haven.public",
    "haven.mail",
    "haven.api",
    "haven.reports",
    "haven.training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A busy database answers 503 with Retry-After (haven/core/overload.py).
    "haven.core.overload.ServerBusyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user and messages are known, so that its 400 page is a normal page.
    "haven.core.middleware.RefuseNulCharactersMiddleware",
    # Marks request.user verified once a second factor was given in this session.
    "haven.accounts.middleware.OTPMiddleware",
    # Ends sessions left unused, then holds signed-in users at the second
    # factor (or at enrolment) until they have given one.
    "haven.accounts.middleware.IdleTimeoutMiddleware",
    "haven.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Writes the audit entries for the participants a page shows (haven/core/access.py).
    "haven.core.access.AuditReadsMiddleware",
    # Last, so that it sees the authenticated user and can lock out attackers.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "haven.urls"
WSGI_APPLICATION = "haven.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haven.accounts.context_processors.sign_in",
                "haven.outreach.context_processors.field_app",
            ],
        },
    },
]

SQLITE_PATH = Path(os.environ.get("HAVEN_SQLITE_PATH", BASE_DIR / "var" / "haven.sqlite3"))
SQLITE_AUTOCHECKPOINT_PAGES = int(os.environ.get("HAVEN_SQLITE_AUTOCHECKPOINT_PAGES", "10000"))
# A request that cannot get its turn at the database within this many seconds
# is answered 503 with Retry-After (haven/core/overload.py); nothing is stored.
WRITE_WAIT_SECONDS = float(os.environ.get("HAVEN_WRITE_WAIT_SECONDS", "10"))
HAVEN_RETRY_AFTER_SECONDS = int(os.environ.get("HAVEN_RETRY_AFTER_SECONDS", "5"))
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{SQLITE_PATH}",
        # Each app server thread keeps its connection between requests (and
        # checks it still works before reusing it) instead of opening one per
        # request.
        conn_max_age=int(os.environ.get("HAVEN_DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with a queue for the write lock (one writer at
    # a time, the others waiting their turn; haven/core/db/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "haven.core.db.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the
        # write lock at the start of a transaction so that two writers queue
        # instead of failing half-way with "database is locked".
        # App server workers checkpoint the log in a thread of their own
        # (haven/core/db/sqlite/checkpoint.py); a connection checkpoints it
        # itself, on the write lock, only once it is this many pages long.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES};",
        "transaction_mode": "IMMEDIATE",
        "write_wait": WRITE_WAIT_SECONDS,
        # SQLite's own busy timeout, for writers outside the queue (the
        # sqlite3 shell, or a write lock that a crashed process left behind).
        "timeout": 20,
    }
    # Tests use a file, not shared memory: in-memory SQLite locks whole tables
    # and ignores the busy timeout, which is not how Haven runs.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get(
            "HAVEN_TEST_SQLITE_PATH",
            str(Path(tempfile.gettempdir()) / f"haven-test-{os.getpid()}.sqlite3"),
        )
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL backend, its health check without a round trip
    # (haven/core/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "haven.core.db.postgresql"
    postgres_options = DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("HAVEN_PGBOUNCER", False):
        # Through PgBouncer in transaction pooling (docs/deploy.md): consecutive
        # transactions may run on different server connections, so nothing may
        # outlive a transaction there: no server-side cursors, no prepared
        # statements. lock_timeout is set on the role instead.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        postgres_options["prepare_threshold"] = None
        postgres_options["prepare_hot_statements"] = False
    elif WRITE_WAIT_SECONDS:
        # A statement waiting longer than this for a lock fails (and its
        # transaction rolls back), so the request is answered 503 instead of
        # piling up behind it.
        postgres_options["options"] = " ".join(
            [
                postgres_options.get("options", ""),
                f"-c lock_timeout={int(WRITE_WAIT_SECONDS * 1000)}",
            ]
        ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Passwordless sign-in with a passkey (haven/accounts/passkeys.py).
    "django_otp_webauthn.backends.WebAuthnBackend",
]

# Lock an account for a cool-off period after repeated failed logins from
# the same address, so that a stolen phone cannot be used to guess passwords.
AXES_FAILURE_LIMIT = int(os.environ.get("HAVEN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("HAVEN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Wrong second-factor codes count too (haven/accounts/two_factor.py), so the
# password step alone must not clear the count: a completed sign-in does.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (docs/privacy.md). When required, every role that can
# read participant records, and admins, must enrol an authenticator app before
# doing anything else. On in production unless turned off; off in development
# so that the demo accounts of `make run` sign in with a password alone.
HAVEN_REQUIRE_TWO_FACTOR = env_bool("HAVEN_REQUIRE_TWO_FACTOR", not DEBUG)
# The Django admin (break-glass only) never shows authenticator keys or QR codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("HAVEN_TWO_FACTOR_ISSUER", "Haven")

# Passkeys (WebAuthn). The relying party ID is the domain Haven is served on;
# passkeys made for it work only there (changing it later means new passkeys).
# The origins are the full addresses the browser shows, e.g. https://haven.example.org.
OTP_WEBAUTHN_RP_ID = os.environ.get(
    "HAVEN_PASSKEY_DOMAIN", "localhost" if DEBUG else ALLOWED_HOSTS[0]
)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("HAVEN_PASSKEY_ORIGINS") or (
    ["http://localhost:8000"]
    if DEBUG
    else CSRF_TRUSTED_ORIGINS or [f"https://{OTP_WEBAUTHN_RP_ID}"]
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = env_bool("HAVEN_PASSWORDLESS_LOGIN", True)

# A staff session unused for this long is ended (the field app's unsent
# contacts stay on the phone; only a real logout clears them).
HAVEN_IDLE_TIMEOUT_MINUTES = int(os.environ.get("HAVEN_IDLE_TIMEOUT_MINUTES", "30"))

# The key that seals a phone's outbox (outreach/field_keys.py) seals new
# records for this many days, then is replaced; a phone not signed in on for
# this long is taken as lost and its key destroyed.
HAVEN_FIELD_DEVICE_KEY_DAYS = int(os.environ.get("HAVEN_FIELD_DEVICE_KEY_DAYS", "30"))

SESSION_COOKIE_AGE = 12 * 60 * 60
# Django's database sessions, read with a hand-written statement (haven/accounts/sessions.py).
SESSION_ENGINE = "haven.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a reverse proxy that terminates TLS (README, Production): trust its
# X-Forwarded-Proto header, send plain HTTP to HTTPS, and ask browsers to keep
# to HTTPS (start with a short HSTS time; it cannot be taken back quickly).
if env_bool("HAVEN_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("HAVEN_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("HAVEN_HSTS_SECONDS", "0"))
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp; docs/privacy.md,
# Hardening): scripts and styles only from Haven's own static files, so that
# text someone typed can never run as script or restyle a page. No page has an
# inline script, handler attribute or style attribute (a test walks every page
# for them). Charts are SVG pictures in <img>, some as data: addresses.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "haven" / "locale"]
TIME_ZONE = os.environ.get("HAVEN_TIME_ZONE", "America/Phoenix")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Password reset links go by email. Development prints them on the console;
# production sends them through the program's SMTP server.
EMAIL_HOST = os.environ.get("HAVEN_EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "HAVEN_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("HAVEN_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("HAVEN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HAVEN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HAVEN_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("HAVEN_EMAIL_FROM", "haven@localhost")
# How long a password reset link works.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("HAVEN_PASSWORD_RESET_MINUTES", "60")) * 60

# Background tasks are stored in the database and run by `manage.py db_worker`;
# `manage.py run_schedule` enqueues the scheduled ones (see README.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# {dotted path of a task: every how many minutes run_schedule enqueues it}.
SCHEDULED_TASKS = {
    "haven.overdose.tasks.detect_spikes": int(
        os.environ.get("HAVEN_SPIKE_DETECTION_MINUTES", "60")
    ),
    "haven.mail.tasks.purge_addresses": 60,
    "haven.core.tasks.verify_audit_log": int(os.environ.get("HAVEN_AUDIT_VERIFY_MINUTES", "60")),
    "haven.core.tasks.forget_rate_counts": 60,
    "haven.training.tasks.send_refresher_reminders": 60,
    # Expired sessions hold the field app's session keys, and old phones' device
    # keys expire (outreach/field_keys.py).
    "haven.outreach.tasks.clear_expired_sessions": 60,
}

# Signed checkpoints of the audit log's chain (haven/core/audit_checks.py). Put
# the file where the database's owner cannot write (another volume or host);
# the key signs them and is not in the database (default: derived from SECRET_KEY).
HAVEN_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("HAVEN_AUDIT_CHECKPOINT_FILE", BASE_DIR / "var" / "audit-checkpoints.jsonl")
)
HAVEN_AUDIT_CHECKPOINT_KEY = os.environ.get("HAVEN_AUDIT_CHECKPOINT_KEY", "")

# The recipe for the optional unique identifier code (UIC); see
# haven/participants/uic.py for the parts and docs/participants.md.
UIC_RECIPE = env_list("HAVEN_UIC_RECIPE", "mother_first_name:2,birth_day,birth_year")

# Used syringes brought back by weight are counted as weight / this, an
# estimate (a 1 cc insulin syringe weighs about 2 g).
SYRINGE_GRAMS_EACH = float(os.environ.get("HAVEN_SYRINGE_GRAMS_EACH", "2.0"))

# Figures that leave the program: counts from 1 to the threshold are hidden, and
# every hidden small count must stay open over at least this many whole values
# to anyone holding all the program's suppressed reports (at most the threshold;
# see docs/reports.md).
SMALL_COUNT_THRESHOLD = int(os.environ.get("HAVEN_SMALL_COUNT_THRESHOLD", "10"))
PROTECTION_WIDTH = int(os.environ.get("HAVEN_PROTECTION_WIDTH", "10"))
if not 1 <= PROTECTION_WIDTH <= SMALL_COUNT_THRESHOLD:
    raise ImproperlyConfigured(
        "HAVEN_PROTECTION_WIDTH must be from 1 to HAVEN_SMALL_COUNT_THRESHOLD."
    )
# Figures with small counts hidden cover one kind of calendar period only, so
# that no two such reports overlap and none can be subtracted from another.
SUPPRESSED_PERIOD = os.environ.get("HAVEN_SUPPRESSED_PERIOD", "quarter")
if SUPPRESSED_PERIOD not in ("month", "quarter", "year"):
    raise ImproperlyConfigured("HAVEN_SUPPRESSED_PERIOD must be month, quarter or year.")

# Directory entries not verified for this many days are listed for re-verification.
RESOURCE_STALE_DAYS = int(os.environ.get("HAVEN_RESOURCE_STALE_DAYS", "180"))
# Trainings: the share of quiz answers right that passes, how long a certificate
# lasts, and how many days after a session its follow-up quiz opens.
TRAINING_PASS_PERCENT = int(os.environ.get("HAVEN_TRAINING_PASS_PERCENT", "75"))
TRAINING_CERTIFICATE_YEARS = int(os.environ.get("HAVEN_TRAINING_CERTIFICATE_YEARS", "3"))
# A holder who gave an email is reminded of a refresher this many days before expiry.
TRAINING_REMINDER_DAYS = int(os.environ.get("HAVEN_TRAINING_REMINDER_DAYS", "60"))
TRAINING_FOLLOW_UP_DAYS = int(os.environ.get("HAVEN_TRAINING_FOLLOW_UP_DAYS", "60"))
# Public training pages (quiz, course, certificate check): requests per network address,
# as "count/unit" (s, m, h, d), counted in the database (haven/core/ratelimit.py).
TRAINING_PUBLIC_RATE = os.environ.get("HAVEN_TRAINING_PUBLIC_RATE", "60/m")

# Consent and privacy choices of the program (docs/privacy.md).
# Part 2 mode: consents for disclosure need the elements of 42 CFR 2.31, and
# every disclosure carries the notice of 42 CFR 2.32.
HAVEN_PART2_MODE = env_bool("HAVEN_PART2_MODE", False)
# "program": staff open any participant's record; "site": only participants
# enrolled, seen or referred at their sites (managers: every site).
HAVEN_RECORD_SCOPE = os.environ.get("HAVEN_RECORD_SCOPE", "program")
if HAVEN_RECORD_SCOPE not in ("program", "site"):
    raise ImproperlyConfigured('HAVEN_RECORD_SCOPE must be "program" or "site".')
# Whether a participant's own printed summary includes staff notes.
HAVEN_SUMMARY_INCLUDES_NOTES = env_bool("HAVEN_SUMMARY_INCLUDES_NOTES", False)

# A note longer than this is refused rather than silently cut.
NOTE_MAX_LENGTH = 4000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "formatters": {"plain": {"()": "haven.core.logs.WithoutRowValues"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Django's own mail_admins handler, with no query or check code in the subject.
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "haven.core.logs.ErrorMailWithoutAddresses",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HAVEN_LOG_LEVEL", "INFO").upper()},
    # Request logs carry only paths; participant identifiers never appear in
    # paths or query strings (see haven/participants/urls.py). Django's own
    # records reach the console through the root, with the codes withheld.
    "loggers": {"axes": {"level": "WARNING"}, "django": {"handlers": ["mail_admins"]}},
}
# Error reports name posted fields and variables, never their values, and show
# the request's address as the access logs write it.
DEFAULT_EXCEPTION_REPORTER_FILTER = "haven.core.logs.ErrorReportsWithoutValues"
DEFAULT_EXCEPTION_REPORTER = "haven.core.logs.ErrorReportWithoutAddresses"

# The helpline the public finder shows (program-configurable; empty hides it).
# Default: SAMHSA's National Helpline, free, confidential, 24/7, English and Spanish.
HAVEN_HOTLINE_NAME = os.environ.get("HAVEN_HOTLINE_NAME", "SAMHSA National Helpline")
HAVEN_HOTLINE_NUMBER = os.environ.get("HAVEN_HOTLINE_NUMBER", "1-800-662-4357")

# Stock is low when it would last fewer days than this at the last 30 days'
# pace, by kind of location, unless a location sets its own reorder point.
HAVEN_LOW_STOCK_DAYS = {"bag": 3, "mobile": 7, "site": 14, "warehouse": 30}
# Naloxone expiring within this many days is highlighted on the stock pages.
HAVEN_NALOXONE_EXPIRY_WARNING_DAYS = 90

# The program's name and logo (a PNG or JPEG file) on report PDFs; empty for none.
HAVEN_PROGRAM_NAME = os.environ.get("HAVEN_PROGRAM_NAME", "")
HAVEN_PROGRAM_LOGO = os.environ.get("HAVEN_PROGRAM_LOGO", "")
# The folder of DejaVu Sans, embedded in every PDF (Debian: fonts-dejavu-core); without
# it PDFs use the Bitstream Vera inside reportlab, which has Western European letters only.
HAVEN_PDF_FONT_DIR = os.environ.get("HAVEN_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
# TrueType fonts for the letters DejaVu lacks (Chinese, Japanese, Korean), first found
# wins (haven/core/pdf.py); separated by ":". Debian's fonts-droid-fallback.
HAVEN_PDF_FALLBACK_FONTS = os.environ.get(
    "HAVEN_PDF_FALLBACK_FONTS",
    "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf:"
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
).split(":")

# Naloxone and supplies by mail (haven/mail, docs/mail.md).
# The service area: two-letter states, and optionally a list of ZIP codes within them.
MAIL_STATES = [state.upper() for state in env_list("HAVEN_MAIL_STATES", "AZ")]
MAIL_ZIP_CODES = env_list("HAVEN_MAIL_ZIP_CODES")
# The stock location mailed kits are drawn from (by name).
MAIL_STOCK_LOCATION = os.environ.get("HAVEN_MAIL_STOCK_LOCATION", "Mail room")
# Addresses are purged this many days after delivery (or return, or decline).
MAIL_PURGE_DAYS = int(os.environ.get("HAVEN_MAIL_PURGE_DAYS", "14"))
# ... and this many days after shipping when nobody marked the package delivered or returned.
MAIL_SHIPPED_PURGE_DAYS = int(os.environ.get("HAVEN_MAIL_SHIPPED_PURGE_DAYS", "60"))
# One package per address every this many days; a repeat sooner is declined.
MAIL_REPEAT_DAYS = int(os.environ.get("HAVEN_MAIL_REPEAT_DAYS", "30"))
# Discreet packaging: no program name on the outside of the package.
MAIL_DISCREET = env_bool("HAVEN_MAIL_DISCREET", True)
MAIL_PROGRAM_NAME = os.environ.get("HAVEN_MAIL_PROGRAM_NAME", "") or (
    HAVEN_PROGRAM_NAME or "Haven harm reduction program"
)
MAIL_RETURN_ADDRESS = env_list("HAVEN_MAIL_RETURN_ADDRESS", "PO Box 1000,Tempe AZ 85280")
# The key of the keyed hash that recognises a repeat address without keeping it;
# by default derived from the secret key (so changing that forgets past requesters).
MAIL_ADDRESS_KEY = os.environ.get("HAVEN_MAIL_ADDRESS_KEY", "") or f"mail-address:{SECRET_KEY}"
# Public forms (mail requests, reversal reports): posts per network address per hour,
# counted in the database (haven/core/ratelimit.py) so that it holds across processes.
PUBLIC_FORM_POSTS_PER_HOUR = int(os.environ.get("HAVEN_PUBLIC_FORM_POSTS_PER_HOUR", "5"))
# Self-paced overdose-response training, linked from the public guide (empty hides it).
MAIL_TRAINING_URL = os.environ.get("HAVEN_TRAINING_URL", "")
