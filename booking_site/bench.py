"""Only for `make bench` (BENCH_ENDPOINTS=1): the throughput floor and a query counter."""

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse


def floor(request: HttpRequest) -> HttpResponse:
    """A bare view through the same middleware stack: the ceiling any page can reach."""
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
