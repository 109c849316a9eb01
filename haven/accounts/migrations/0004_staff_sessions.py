"""Sessions with their user (haven/accounts/sessions.py). Sessions still running are
carried over, so that nobody is signed out by the upgrade."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_sessions_over(apps, schema_editor):
    from django.contrib.auth import SESSION_KEY
    from django.utils import timezone

    from haven.accounts.sessions import SessionStore

    Old = apps.get_model("sessions", "Session")  # noqa: N806 - a model
    New = apps.get_model("accounts", "StaffSession")  # noqa: N806 - a model
    decoder = SessionStore()
    users = set(apps.get_model("accounts", "User").objects.values_list("pk", flat=True))
    for old in Old.objects.filter(expire_date__gt=timezone.now()).iterator():
        try:
            user_id = int(decoder.decode(old.session_data).get(SESSION_KEY))
        except (TypeError, ValueError):
            user_id = None
        New.objects.create(
            session_key=old.session_key,
            session_data=old.session_data,
            expire_date=old.expire_date,
            user_id=user_id if user_id in users else None,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_user_manager_for_break_glass'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='StaffSession',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'session',
                'verbose_name_plural': 'sessions',
                'abstract': False,
            },
        ),
        migrations.RunPython(carry_sessions_over, migrations.RunPython.noop),
    ]
