from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = _("Rooms and bookings")

    def ready(self) -> None:
        from booking_site.fragments import track
        from rooms.models import Booking, Room

        track(Room, Booking)
