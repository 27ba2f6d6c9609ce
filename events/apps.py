from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from booking_site.fragments import track
        from events.models import Event, Registration

        track(Event, Registration)
