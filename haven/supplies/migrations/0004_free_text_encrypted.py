# The reasons and review comments staff type may name someone: encrypted like
# every free text (haven/core/crypto.py), the ones typed before included.

from django.db import migrations

import haven.core.crypto
from haven.core.crypto import decrypt, encrypt, rewrite_column

TYPED = [("supplies_stockmovement", "reason"), ("supplies_flagreview", "comment")]


def encrypt_what_was_typed_before(apps, schema_editor):
    for table, column in TYPED:
        rewrite_column(schema_editor, table, column, encrypt)


def decrypt_it_again(apps, schema_editor):
    # Back to columns of 300 characters.
    for table, column in TYPED:
        rewrite_column(schema_editor, table, column, lambda value: decrypt(value)[:300])


class Migration(migrations.Migration):
    dependencies = [
        ("supplies", "0003_stockmovement_movement_flagged_idx"),
    ]

    operations = [
        migrations.AlterField(
            model_name="flagreview",
            name="comment",
            field=haven.core.crypto.EncryptedTextField(blank=True, verbose_name="comment"),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="reason",
            field=haven.core.crypto.EncryptedTextField(blank=True, verbose_name="reason"),
        ),
        migrations.RunPython(encrypt_what_was_typed_before, decrypt_it_again),
    ]
