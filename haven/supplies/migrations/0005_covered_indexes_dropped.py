"""A movement's location leads the (location, item, time) index, and flagged movements
have their partial index: the plain location and needs_review indexes were written on
every movement for nothing. Transfers are found by a partial index of the movements
that have a group, which a hand-out (most movements) is not written to."""

import django.db.models.deletion
from django.db import migrations, models

from haven.core.db.indexes import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [
        ("supplies", "0004_free_text_encrypted"),
    ]

    operations = [
        drop_covered_index(
            "supplies",
            "stockmovement",
            "location",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="movements",
                to="supplies.stocklocation",
            ),
        ),
        drop_covered_index(
            "supplies", "stockmovement", "needs_review", models.BooleanField(default=False)
        ),
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("transfer_group__isnull", False)),
                fields=["transfer_group"],
                name="movement_transfer_idx",
            ),
        ),
        drop_covered_index(
            "supplies", "stockmovement", "transfer_group", models.UUIDField(blank=True, null=True)
        ),
    ]
