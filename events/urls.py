from django.urls import path

from events import views

app_name = "events"

urlpatterns = [
    path("events/", views.EventListView.as_view(), name="list"),
    path("events/new/", views.EventCreateView.as_view(), name="create"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="detail"),
    path("events/<int:pk>/edit/", views.EventEditView.as_view(), name="edit"),
    path("events/<int:pk>/cancel/", views.EventCancelView.as_view(), name="cancel"),
    path("events/<int:pk>/register/", views.RegisterView.as_view(), name="register"),
    path("events/<int:pk>/unregister/", views.UnregisterView.as_view(), name="unregister"),
    path("events/<int:pk>/invite/", views.InviteView.as_view(), name="invite"),
    path("events/<int:pk>/event.ics", views.event_ics, name="event_ics"),
    path("invitations/", views.InvitationListView.as_view(), name="invitations"),
    path("calendar/<str:token>.ics", views.user_calendar_feed, name="user_feed"),
    path("calendar/<str:token>/rooms/<int:pk>.ics", views.room_calendar_feed, name="room_feed"),
    path("calendar/reset/", views.reset_calendar_token, name="calendar_reset"),
    path("invitations/<int:pk>/accept/", views.InvitationAnswerView.as_view(accept=True), name="invitation_accept"),
    path("invitations/<int:pk>/decline/", views.InvitationAnswerView.as_view(accept=False), name="invitation_decline"),
]
