from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy

from booking_site import views
from booking_site.navigation import site_name

admin.site.site_header = admin.site.site_title = lazy(site_name, str)()

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.health, name="health"),
    path("", include("rooms.urls")),
    path("", include("events.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.switch_language, name="set_language"),
    path("api/", include("api.urls")),
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

handler404 = "booking_site.views.page_not_found"
handler500 = "booking_site.views.server_error"

if settings.BENCH_ENDPOINTS:
    from booking_site.bench import floor

    urlpatterns.append(path("bench/floor", floor, name="bench_floor"))
