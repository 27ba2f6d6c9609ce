from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("rooms", views.RoomViewSet, basename="room")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("events", views.EventViewSet, basename="event")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("people", views.PersonViewSet, basename="person")

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/working-hours/", views.WorkingHoursView.as_view(), name="working_hours"),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    *router.urls,
]
