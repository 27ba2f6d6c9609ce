from django.urls import path

from rooms import views

app_name = "rooms"

urlpatterns = [
    path("rooms/", views.RoomListView.as_view(), name="list"),
    path("rooms/find/", views.FindRoomView.as_view(), name="find"),
    path("timeline/", views.DayTimelineView.as_view(), name="timeline"),
    path("reports/usage/", views.UsageReportView.as_view(), name="usage_report"),
    path("rooms/<int:pk>/", views.RoomDetailView.as_view(), name="detail"),
    path("rooms/<int:pk>/week/", views.WeekTimelineView.as_view(), name="week"),
    path("rooms/<int:pk>/book/", views.BookRoomView.as_view(), name="book"),
    path("bookings/", views.MyBookingsView.as_view(), name="my_bookings"),
    path("bookings/<int:pk>/edit/", views.BookingEditView.as_view(), name="booking_edit"),
    path("bookings/<int:pk>/cancel/", views.BookingCancelView.as_view(), name="booking_cancel"),
    path("bookings/<int:pk>/booking.ics", views.BookingIcsView.as_view(), name="booking_ics"),
]
