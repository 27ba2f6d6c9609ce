from typing import Any

from django import forms
from django.db.models import Model


def model_field(model: type[Model], name: str, **kwargs: Any) -> forms.Field:
    """The form field of a model field, with its limits and the validators declared
    on it (Django's ``formfield()`` leaves those to ``Model.full_clean``, which a
    plain form never runs)."""
    source = model._meta.get_field(name)
    field = source.formfield(**kwargs)
    field.validators = [*field.validators, *source._validators]
    return field
