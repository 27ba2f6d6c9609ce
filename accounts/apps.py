from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import signals  # noqa: F401
        from accounts.services import sync_site

        post_migrate.connect(sync_site, sender=self, dispatch_uid="accounts_sync_site")
