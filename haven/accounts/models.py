import base64
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from haven.core.db import reads


class Site(models.Model):
    """Where the work happens: a fixed site, a drop-in, a van, a street area, mail."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed site")
        DROP_IN = "drop_in", _("Drop-in")
        MOBILE = "mobile", _("Mobile unit")
        STREET = "street", _("Street outreach area")
        MAIL = "mail", _("Mail")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Coarse on purpose: a ZIP code or neighbourhood, never a street address
    # of an outreach spot, so that maps cannot point at people.
    area = models.CharField(
        _("area"), max_length=80, blank=True, help_text=_("ZIP code or neighbourhood")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """A break-glass account (`manage.py createsuperuser`) runs the system.

        It gets the admin role unless told otherwise, so that it can never open
        a participant record: the role, not is_superuser, decides that.
        """
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    def get(self, *args, **kwargs):
        """A user by id alone (`get(pk=…)`, how every signed-in request reads
        its user: django.contrib.auth's backends) by a hand-written statement
        (haven/core/db/reads.py); any other lookup as Django does it."""
        pk = kwargs.get("pk")
        if args or len(kwargs) != 1 or type(pk) is not int or self._db not in (None, "default"):
            return super().get(*args, **kwargs)
        from .sessions import user_read_with_session

        read = user_read_with_session(pk)
        if read is not None:
            return read
        fields = tuple(field.name for field in self.model._meta.concrete_fields)
        found = reads.instances(
            self.model, fields, f"{reads.select(self.model, fields)} WHERE id = %s", [pk]
        )
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return found[0]


class User(AbstractUser):
    """A staff member. Participants never have accounts."""

    class Role(models.TextChoices):
        SPECIALIST = "specialist", _("Specialist")
        SUPERVISOR = "supervisor", _("Supervisor")
        MANAGER = "manager", _("Program manager")
        ANALYST = "analyst", _("Analyst")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SPECIALIST)
    sites = models.ManyToManyField(Site, blank=True, related_name="staff", verbose_name=_("sites"))
    current_site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("current site"),
    )

    # Where this user's hand-outs are drawn from (usually their bag or van).
    draw_from = models.ForeignKey(
        "supplies.StockLocation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hand out supplies from"),
    )

    objects = StaffManager()

    def allowed_site_ids(self):
        """Sites whose records this user may read in detail. Managers see all.

        Asked many times in one request (a synced batch checks every contact),
        so the answer is kept on this object, which lives for one request.
        """
        if getattr(self, "_allowed_site_ids", None) is None:
            if self.role == self.Role.MANAGER:
                self._allowed_site_ids = set(Site.objects.values_list("id", flat=True))
            else:
                # Asked on every save: a hand-written statement costs a tenth of the ORM's.
                through = self.sites.through._meta
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT site_id FROM {connection.ops.quote_name(through.db_table)} "  # noqa: S608
                        "WHERE user_id = %s",
                        [self.pk],
                    )
                    self._allowed_site_ids = {site_id for (site_id,) in cursor.fetchall()}
        return self._allowed_site_ids

    def remember_site_ids(self, site_ids):
        """The user's sites as a caller read them with something else in one
        statement (the contact catalog's version, on every save), so that
        allowed_site_ids need not ask again in this request."""
        if self.role != self.Role.MANAGER:
            self._allowed_site_ids = set(site_ids)

    def default_site(self):
        if self.current_site_id:
            return self.current_site
        return self.sites.filter(active=True).first()


class StaffSession(AbstractBaseSession):
    """A session, as Django keeps it, with whose it is (set when it is saved).

    Every signed-in request reads its session and then its user: they are read
    together, in one statement (haven/accounts/sessions.py), and a person's
    sessions are found by their user, to log them out everywhere at once.
    """

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="+")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's recovery codes, one second factor: each code signs in once.

    Only a one-way hash of each code is kept (RecoveryCode), made by the
    password hasher, so that whoever reads the database or a backup of it
    cannot sign in past the second factor; the codes themselves are shown
    once, when they are made. This replaces django-otp's StaticDevice, which
    keeps them as they are typed. django-otp finds it like its own devices
    (a Device in an installed app): devices_for_user, verify_token, and the
    device a verified session names.
    """

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self):
        # The setting of django-otp's own recovery codes (otp_static), which these replace.
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token):
        """Whether `token` is one of the codes left; if it is, it is used up.

        Each code is checked against its hash until one matches, so a wrong
        code costs one hash for each code left (about 0.1 s each with Argon2
        on a small server): the throttling above and the login lockout keep
        that rare. A code counts only if this call is the one that deletes
        its row: two sign-ins racing with the same code cannot both pass.
        """
        if not self.verify_is_allowed()[0]:
            return False
        with transaction.atomic():
            codes = self.codes.select_for_update().order_by("pk")
            match = next((code for code in codes if code.matches(token)), None)
            used = match is not None and match.delete()[0] == 1
            if used:
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
            else:
                self.throttle_increment()
        return used


class RecoveryCode(models.Model):
    """One recovery code, kept only as a hash; deleted when it is used.

    Codes are 8 characters of base32 (40 random bits) that people can copy by
    hand. They are hashed with the first of PASSWORD_HASHERS, as passwords
    are, each with its own salt: someone holding a copy of the database must
    try each guess against each code separately, at the cost of a password
    guess, and would still need the person's password.
    """

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return str(self._meta.verbose_name)

    @staticmethod
    def random_code():
        """A new code: lower-case letters and the digits 2-7, as people type them."""
        return base64.b32encode(secrets.token_bytes(5)).decode().lower()

    @classmethod
    def hashed(cls, device, code):
        """The unsaved row that keeps `code` for `device`, as a hash."""
        return cls(device=device, code_hash=make_password(code))

    def matches(self, code):
        return check_password(code, self.code_hash)
