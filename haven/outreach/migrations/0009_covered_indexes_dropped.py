"""A contact's time, site and staff lead the (time, participant), (site, time) and
(staff, time) indexes: their own indexes were written on every save for nothing."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from haven.core.db.indexes import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_manager_for_break_glass"),
        ("outreach", "0008_field_device_key_lifetime"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        drop_covered_index(
            "outreach",
            "encounter",
            "occurred_at",
            models.DateTimeField(default=django.utils.timezone.now, verbose_name="when"),
        ),
        drop_covered_index(
            "outreach",
            "encounter",
            "site",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="encounters",
                to="accounts.site",
                verbose_name="site",
            ),
        ),
        drop_covered_index(
            "outreach",
            "encounter",
            "staff",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="encounters",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
