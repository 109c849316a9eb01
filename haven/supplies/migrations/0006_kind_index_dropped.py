"""Nothing looks stock movements up by kind alone (the stock pages and the usage
figures narrow by location, item and time first), yet the kind's two indexes (the
plain one and, on PostgreSQL, its pattern copy) were written on every movement:
three movements a contact save."""

from django.db import migrations, models

from haven.core.db.indexes import drop_covered_index


class Migration(migrations.Migration):
    dependencies = [
        ("supplies", "0005_covered_indexes_dropped"),
    ]

    operations = [
        drop_covered_index(
            "supplies",
            "stockmovement",
            "kind",
            models.CharField(
                choices=[
                    ("receive", "Received"),
                    ("transfer_out", "Transferred out"),
                    ("transfer_in", "Transferred in"),
                    ("distribute", "Handed out"),
                    ("unrecorded", "Unrecorded stock found"),
                    ("dispose", "Disposed"),
                    ("expire", "Expired"),
                    ("adjust", "Adjusted after a count"),
                    ("reversal", "Reversal"),
                ],
                max_length=20,
            ),
        ),
    ]
