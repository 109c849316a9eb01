# A declined request's typed reason may name the requester: encrypted like the
# address, and purged with it (actions.do_purge_addresses).

from django.db import migrations

import haven.core.crypto


def _rewrite_reasons(apps, schema_editor, rewrite):
    # Read and written by hand: the model's field would decrypt what it reads.
    table = schema_editor.quote_name(apps.get_model("mail", "MailRequest")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, decline_reason FROM {table} WHERE decline_reason <> ''")  # noqa: S608
        for pk, reason in cursor.fetchall():
            cursor.execute(
                f"UPDATE {table} SET decline_reason = %s WHERE id = %s",  # noqa: S608
                [rewrite(reason), pk],
            )


def encrypt_the_reasons_stored_in_clear(apps, schema_editor):
    _rewrite_reasons(apps, schema_editor, haven.core.crypto.encrypt)


def decrypt_them_again(apps, schema_editor):
    _rewrite_reasons(apps, schema_editor, lambda token: haven.core.crypto.decrypt(token)[:300])


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
