from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RejectNulMiddleware:
    """The one place that refuses a NUL character in the address or the query
    string, for pages, the API and the calendar feeds alike. PostgreSQL cannot
    store or compare one, so it would otherwise surface as a server error deep
    in a query; a form field or a JSON value refuses one itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path_info:
            message = _("The address contains a character that is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "errors": {"non_field_errors": [message]}}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
