"""A JSON field that keeps the document as written.

PostgreSQL's jsonb (Django's JSONField there) reorders object keys. For tool
parameters and response schemas the order is meaningful (models fill
properties in schema order) and a person expects back what they typed, so
these are stored as JSON text on every database.
"""
import json

from django.db import models


class OrderedJSONField(models.TextField):
    description = "JSON stored as text, object keys kept in order"

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
