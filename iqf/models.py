"""The site's own record: the page-cache counter."""

from django.db import models


class ContentVersion(models.Model):
    """One row: a counter that every committed change to the content moves on, so that
    pages cached under its value are never served once the content has changed
    (``iqf.lib.pagecache``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    class Meta:
        # the table the counter had before it moved here from commoncore
        db_table = "commoncore_contentversion"
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="contentversion_one_row")]

    def __str__(self) -> str:
        return f"content version {self.version}"
