"""People who existed before sign-up needed a verified address keep being able to log in."""

from django.db import migrations


def trust_existing(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=pk, email=email.lower(), primary=True, verified=True)
            for pk, email in User.objects.exclude(email="").values_list("pk", "email")
            if pk not in known
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_single_line_texts"), ("account", "0009_emailaddress_unique_primary_email")]

    operations = [migrations.RunPython(trust_existing, migrations.RunPython.noop)]
