from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Every mail the site owes or sent: failed ones with their error, to be sent again."""

    list_display = (
        "created_at",
        "kind",
        "addressee",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("to",)
    date_hierarchy = "created_at"
    actions = ("send_again",)
    readonly_fields = [field.name for field in OutgoingMail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("to"), ordering="to")
    def addressee(self, mail: OutgoingMail) -> str:
        return mail.addressee

    @admin.display(description=_("last error"))
    def short_error(self, mail: OutgoingMail) -> str:
        return mail.last_error[:80]

    @admin.action(description=_("Send again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        count = services.send_again(queryset)
        self.message_user(
            request,
            ngettext("%(count)d mail will be sent again.", "%(count)d mails will be sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        waited = services.oldest_waiting()
        waiting = services.waiting_count()
        if waited is None:
            self.message_user(
                request,
                ngettext(
                    "%(count)d mail is waiting for its next try; nothing is overdue.",
                    "%(count)d mails are waiting for their next try; nothing is overdue.",
                    waiting,
                )
                % {"count": waiting}
                if waiting
                else _("No mail is waiting for a worker."),
                messages.INFO,
            )
        else:
            minutes = int(waited.total_seconds() // 60)
            level = messages.WARNING if waited.total_seconds() > services.max_wait_seconds() else messages.INFO
            self.message_user(
                request,
                ngettext(
                    "%(count)d mail waiting; the oldest due work has waited %(minutes)d min.",
                    "%(count)d mails waiting; the oldest due work has waited %(minutes)d min.",
                    waiting,
                )
                % {"count": waiting, "minutes": minutes},
                level,
            )
        return super().changelist_view(request, extra_context)
