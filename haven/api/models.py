import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Shown before the secret so that a leaked token is recognisable in a scan.
TOKEN_PREFIX = "haven_"


def hash_token(token):
    """Tokens are long random strings, so a fast hash is enough: no guessing is feasible."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class DeviceToken(models.Model):
    """A phone or tablet allowed to use the API for one user.

    Only a hash of the token is stored: the token itself is shown once, when it
    is made, and cannot be recovered from the database.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="device_tokens"
    )
    name = models.CharField(_("device name"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @classmethod
    def issue(cls, user, name):
        """Make a token for a device. Returns (device_token, the token in clear)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_hash=hash_token(token)), token

    @property
    def active(self):
        return self.revoked_at is None

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
