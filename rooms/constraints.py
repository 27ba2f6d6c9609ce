from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ``ExclusionConstraint`` that exists only on PostgreSQL.

    Other databases get no DDL, so one migration history serves both. Validation
    in ``full_clean()`` is left to the model's ``clean()``, which gives a message
    naming the booking in the way; this constraint is the last word under races.
    """

    def _is_postgres(self, schema_editor: Any) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if self._is_postgres(schema_editor) else None

    def validate(self, *args: Any, **kwargs: Any) -> None:
        return None
