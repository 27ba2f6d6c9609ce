from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ObjectJSONParser(JSONParser):
    """Every body the API takes is a JSON object; anything else (``null``, a list,
    a number, nesting too deep to read) is a 400 with a message, here, once."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("The JSON is nested too deeply.")) from error
        if not isinstance(data, dict):
            raise ParseError(_("Send a JSON object."))
        return data
