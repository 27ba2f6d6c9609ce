"""The database cache's table (allauth's rate limits live there when REDIS_URL is
not set), so that ``migrate`` alone leaves a working site."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_calendar_token")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
