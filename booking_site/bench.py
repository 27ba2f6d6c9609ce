"""Only for `make bench` (BENCH_ENDPOINTS=1): the middleware-only view and a query counter.

The real floor, Django with nothing in the way, is a project of its own
(bench/floor_project); this view measures what the site's stack adds to it."""

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse


def floor(request: HttpRequest) -> HttpResponse:
    """The middleware-only view: nothing of its own, through the site's whole middleware stack
    (so it reads the session and the person). No page can cost less."""
    return HttpResponse("ok", content_type="text/plain")


class QueryCountMiddleware:
    """Adds ``X-Query-Count``: the SQL statements a request ran."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = [0]

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            count[0] += 1
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count[0])
        return response
