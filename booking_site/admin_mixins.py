from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


class ServiceErrorsAdminMixin:
    """For admins whose ``save_model`` calls a service: a rule the service refuses
    late (a lost race) becomes a message on the same page, not a server error."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())

    def apply_each(
        self, request: HttpRequest, objects: Iterable[Any], act: Callable[[Any], object], done: Callable[[int], str]
    ) -> None:
        """Run a service on each selected object; report each refusal and the count done."""
        count = 0
        for obj in objects:
            try:
                act(obj)
            except ValidationError as error:
                self.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.WARNING)  # type: ignore[attr-defined]
            else:
                count += 1
        if count:
            self.message_user(request, done(count))  # type: ignore[attr-defined]
