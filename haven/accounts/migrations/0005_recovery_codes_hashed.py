"""Recovery codes kept only as hashes (RecoveryCodeDevice, RecoveryCode), no longer
as django-otp's StaticDevice keeps them, in plain text.

Every code not yet used is hashed and moved over, so that each still signs in
once, and the plain ones are deleted. Hashing is slow on purpose (the password
hasher: about 0.1 s a code with Argon2 on a 2-core server), so this takes about a
second for each person with ten codes left.

A session that gave a recovery code as its second factor named the old device:
it is asked for a second factor again (an app code, a passkey or another code).

Going back cannot give the plain codes back: the hashes go with their tables,
and people make new codes (Two-factor sign-in, Make new recovery codes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def hash_plain_codes(apps, schema_editor):
    from django.contrib.auth.hashers import make_password

    StaticDevice = apps.get_model("otp_static", "StaticDevice")  # noqa: N806 - a model
    Device = apps.get_model("accounts", "RecoveryCodeDevice")  # noqa: N806 - a model
    Code = apps.get_model("accounts", "RecoveryCode")  # noqa: N806 - a model
    for old in StaticDevice.objects.order_by("pk").prefetch_related("token_set"):
        new = Device.objects.create(
            user_id=old.user_id,
            name=old.name,
            confirmed=old.confirmed,
            throttling_failure_timestamp=old.throttling_failure_timestamp,
            throttling_failure_count=old.throttling_failure_count,
            last_used_at=old.last_used_at,
        )
        # created_at is set when a row is created: the device's own date goes back.
        Device.objects.filter(pk=new.pk).update(created_at=old.created_at)
        # Each code as it was kept (and typed at sign-in, lower case), nothing else.
        Code.objects.bulk_create(
            Code(device=new, code_hash=make_password(token.token))
            for token in old.token_set.order_by("pk")
        )
    StaticDevice.objects.all().delete()  # and their plain codes with them


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_staff_sessions"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecoveryCodeDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="The human-readable name of this device.", max_length=64)),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                ("throttling_failure_timestamp", models.DateTimeField(blank=True, default=None, help_text="A timestamp of the last failed verification attempt. Null if last attempt succeeded.", null=True)),
                ("throttling_failure_count", models.PositiveIntegerField(default=0, help_text="Number of successive failed attempts.")),
                ("created_at", models.DateTimeField(auto_now_add=True, help_text="The date and time when this device was initially created in the system.", null=True)),
                ("last_used_at", models.DateTimeField(blank=True, help_text="The most recent date and time this device was used.", null=True)),
                ("user", models.ForeignKey(help_text="The user that this device belongs to.", on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "recovery codes",
                "verbose_name_plural": "recovery codes",
            },
        ),
        migrations.CreateModel(
            name="RecoveryCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.CharField(max_length=128)),
                ("device", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="codes", to="accounts.recoverycodedevice")),
            ],
            options={
                "verbose_name": "recovery code",
                "verbose_name_plural": "recovery codes",
            },
        ),
        migrations.RunPython(hash_plain_codes, migrations.RunPython.noop),
    ]
