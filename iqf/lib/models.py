"""Small pieces shared by the models of every app."""

from django.db import models
from django.db.models.functions import Lower

# Every model can be imported and exported; only groups given these rights may do it.
DEFAULT_PERMISSIONS = ("add", "change", "delete", "view", "import", "export")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def unique_ignoring_case(field: str, model_name: str, message: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        Lower(field), name=f"{model_name}_{field}_unique_ci", violation_error_message=message
    )
