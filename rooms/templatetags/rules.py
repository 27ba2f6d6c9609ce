"""Templates ask the models what a person may do, instead of deciding again."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def allows(obj: Any, user: Any) -> bool:
    """``{% if booking|allows:user %}``: the model's ``refusal(user, "change")`` is None."""
    return obj.refusal(user, "change") is None
