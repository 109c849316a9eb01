"""django-otp-webauthn's script tags, with Haven's templates for them.

The library's own templates load its translation catalog with <script async>,
which may run after its module script: a passkey button tapped in between (a
slow phone, a busy server) throws "gettext is not defined" and does nothing.
Haven's load the catalog with defer, which runs before the module script.
"""

from django import template
from django_otp_webauthn.templatetags import otp_webauthn

register = template.Library()

register.inclusion_tag("accounts/passkey_auth_scripts.html", takes_context=True)(
    otp_webauthn.render_otp_webauthn_auth_scripts
)
register.inclusion_tag("accounts/passkey_register_scripts.html", takes_context=True)(
    otp_webauthn.render_otp_webauthn_register_scripts
)
