"""The old enrolment form's three yes/no boxes go: consents.0002 made them consent records,
which are what Haven reads (haven/consents). Kept, they read as consents nobody checks."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0003_reserved_card_codes"),
        ("consents", "0002_enrolment_flags_to_consents"),
    ]

    operations = [
        migrations.RemoveField(model_name="participant", name=name)
        for name in ("consent_to_services", "consent_to_contact", "consent_to_data_sharing")
    ]
