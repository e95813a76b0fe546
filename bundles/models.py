"""The log of bundle imports."""

from django.conf import settings
from django.db import models


class BundleImport(models.Model):
    """One bundle import that wrote something: what, by whom, when, how many rows.

    The public site shows its demonstration banner while any import of the
    demonstration bundle is on record."""

    name = models.CharField(max_length=255, help_text="The bundle's file or folder name.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a system import.",
    )
    at = models.DateTimeField(auto_now_add=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    demonstration = models.BooleanField(
        default=False,
        help_text="The bundle is the illustrative demonstration data set.",
    )

    class Meta:
        # the table the log had before it moved here from commoncore
        db_table = "commoncore_bundleimport"
        ordering = ["-at"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M}"
