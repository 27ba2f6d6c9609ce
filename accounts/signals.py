from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import give_default_working_hours


@receiver(post_save, sender=User, dispatch_uid="accounts_default_working_hours")
def default_working_hours(sender: type[User], instance: User, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Every new user starts with Mon-Fri 10:00-18:00 and a 12:00-13:00 break."""
    if created and not raw:
        give_default_working_hours(instance)
