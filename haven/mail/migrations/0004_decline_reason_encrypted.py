# A declined request's typed reason may name the requester: encrypted like the
# address, and purged with it (actions.do_purge_addresses).

from django.db import migrations

import haven.core.crypto
from haven.core.crypto import decrypt, encrypt, rewrite_column


def encrypt_the_reasons_stored_in_clear(apps, schema_editor):
    rewrite_column(schema_editor, "mail_mailrequest", "decline_reason", encrypt)


def decrypt_them_again(apps, schema_editor):
    # Back to a column of 300 characters.
    rewrite_column(
        schema_editor, "mail_mailrequest", "decline_reason", lambda value: decrypt(value)[:300]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0003_returned_kits"),
    ]

    operations = [
        migrations.AlterField(
            model_name="mailrequest",
            name="decline_reason",
            field=haven.core.crypto.EncryptedTextField(blank=True, verbose_name="reason"),
        ),
        migrations.RunPython(encrypt_the_reasons_stored_in_clear, decrypt_them_again),
    ]
