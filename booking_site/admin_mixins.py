"""The Django admin as one more door: every write goes through a service, and a
change the model refuses is refused here with the same message as on the pages."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext


def adopt(obj: Model, saved: Model) -> None:
    """Give the admin's own instance the identity of the row a service saved, so
    that its redirects and log entries point at it."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


def record_formset(formset: Any, new: list[Any] | None = None, deleted: list[Any] | None = None) -> None:
    """What a formset saved through services, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = new or [], [], deleted or []


def raise_refusal(refusal: Exception | None) -> None:
    """A service's refusal as a form error (``PermissionDenied`` included: an
    admin form has no other place to say it)."""
    if refusal is None:
        return
    if isinstance(refusal, PermissionDenied):
        raise ValidationError(str(refusal), code="permission")
    raise refusal


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes all go through services.

    ``refusal(request, obj)`` asks the model whether the change form may change
    ``obj`` now; its answer is shown on opening the page and refuses the form,
    keeping what was typed. A refusal that only shows under the service's row
    lock (a lost race) is reported on the same page, with nothing saved: the
    admin's whole change runs in one transaction."""

    def refusal(self, request: HttpRequest, obj: Model) -> Exception | None:
        return None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} must save through a service")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must delete through a service")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Off unless the admin deletes through a service (it then overrides ``delete_model``)."""
        overridden = type(self).delete_model is not ServiceAdmin.delete_model
        return overridden and super().has_delete_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        model_admin = self

        class RefusingForm(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                data = super().clean()
                raise_refusal(model_admin.refusal(request, obj))
                return data

        return RefusingForm

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            refusal = self.refusal(request, obj) if obj is not None else None
            if refusal is not None:
                self.message_user(request, " ".join(_messages(refusal)), messages.WARNING)
        return super().change_view(request, object_id, *args, **kwargs)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(_messages(error)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """Each selected object through the service; a refusal is reported and the rest go on."""
        self.apply_each(
            request,
            list(queryset),
            lambda obj: self.delete_model(request, obj),
            lambda count: gettext("%(count)d deleted.") % {"count": count},
        )

    def apply_each(
        self, request: HttpRequest, objects: Iterable[Any], act: Callable[[Any], object], done: Callable[[int], str]
    ) -> None:
        """Run a service on each selected object; report each refusal and the count done."""
        count = 0
        for obj in objects:
            try:
                act(obj)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"{obj}: {' '.join(_messages(error))}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, done(count))


def _messages(error: Exception) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]
