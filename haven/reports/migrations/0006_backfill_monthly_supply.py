"""Fill MonthlySupply from the daily rows (`rebuild_report_summaries` does the same)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from haven.reports.summaries import write_monthly_supply

    write_monthly_supply(apps.get_model("reports", "DailySupply"), apps.get_model("reports", "MonthlySupply"))


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_monthly_supply")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
