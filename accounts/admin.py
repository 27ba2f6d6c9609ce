from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import User, WorkingHours
from booking_site.admin_mixins import ServiceAdmin, adopt, record_formset


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "name")


class PasswordChangeAdminForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data.get("set_usable_password", True)
        return services.set_password(user=self.user, password=self.cleaned_data["password1"] if usable else None)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    max_num = 7
    fields = ["weekday", "start", "end", "break_start", "break_end"]


@admin.register(User)
class UserAdmin(ServiceAdmin, BaseUserAdmin):
    """People are saved, their week replaced and their password set through the
    accounts services; someone who has booked rooms or organized events stays
    (deactivate them instead)."""

    inlines = [WorkingHoursInline]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        """New users get the default week on creation; it is edited afterwards."""
        return self.inlines if obj is not None else []

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordChangeAdminForm

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        adopt(obj, services.save_user(user=obj, actor=request.user))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        week = {
            row.cleaned_data["weekday"]: (
                row.cleaned_data["start"],
                row.cleaned_data["end"],
                row.cleaned_data.get("break_start"),
                row.cleaned_data.get("break_end"),
            )
            for row in formset.forms
            if row.cleaned_data and row not in formset.deleted_forms
        }
        services.set_working_hours(user=form.instance, week=week)
        record_formset(formset)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.delete_user(user=obj, actor=request.user)

    ordering = ["email"]
    list_display = ["email", "name", "timezone", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "timezone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
