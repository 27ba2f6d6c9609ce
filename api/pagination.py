from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request: Request, paginator: object) -> int | str:
        """``page`` when given must be a whole number (or ``last``)."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings or (raw.isdigit() and int(raw) >= 1):
            return raw
        raise ValidationError({self.page_query_param: [_("Enter a whole number from 1 up.")]})

    def get_page_size(self, request: Request) -> int:
        """``page_size`` when given must be a whole number from 1 up; larger ones are capped."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(most)d.") % {"most": self.max_page_size}
                    ]
                }
            )
        return min(int(raw), self.max_page_size)
