"""Saved column mappings for SAMHSA's two public directories (see docs/resources.md)."""

from django.db import migrations

MAPPINGS = [
    (
        "SAMHSA treatment locator (geocoded)",
        {
            "name": "name1",
            "organisation": "name2",
            "address_line1": "street1",
            "address_line2": "street2",
            "city": "city",
            "state": "state",
            "zip_code": "zip",
            "county": "county",
            "latitude": "latitude",
            "longitude": "longitude",
        },
        [],
    ),
    (
        # An opioid treatment program dispenses methadone by definition.
        "SAMHSA opioid treatment programs (methadone)",
        {
            "name": "ID",
            "address_line1": "ADDRESS",
            "city": "CITY",
            "state": "STATE",
            "zip_code": "POSTAL",
            "latitude": "Latitude",
            "longitude": "Longitude",
        },
        ["methadone"],
    ),
]


def add(apps, schema_editor):
    ImportMapping = apps.get_model("resources", "ImportMapping")
    for name, columns, needs in MAPPINGS:
        ImportMapping.objects.get_or_create(
            name=name, defaults={"columns": columns, "fixed_needs": needs}
        )


def remove(apps, schema_editor):
    ImportMapping = apps.get_model("resources", "ImportMapping")
    ImportMapping.objects.filter(name__in=[name for name, _c, _n in MAPPINGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
