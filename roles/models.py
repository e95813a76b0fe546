from django.db import models
from django.db.models import Q

from iqf.lib.derived import SourceQuerySet
from iqf.lib.history import History
from iqf.lib.levels import level_check, level_field
from iqf.lib.models import DEFAULT_PERMISSIONS, TimeStampedModel, unique_ignoring_case
from qualifications.models import Qualification


class ClusterScheme(TimeStampedModel):
    """One way of grouping roles into clusters (by sector skills council, by service…)."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        "default scheme",
        default=False,
        help_text="The scheme pages and reports use unless another is chosen. Exactly one is.",
    )
    history = History()

    class Meta:
        ordering = ["-is_default", "name"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            unique_ignoring_case("name", "clusterscheme", "A cluster scheme with this name exists."),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="clusterscheme_one_default",
                violation_error_message="Only one cluster scheme can be the default.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Cluster(TimeStampedModel):
    scheme = models.ForeignKey(ClusterScheme, on_delete=models.PROTECT, related_name="clusters")
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150)
    description = models.TextField(blank=True)
    history = History()

    class Meta:
        ordering = ["scheme", "name"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"],
                name="cluster_unique_name_in_scheme",
                violation_error_message="This scheme already has a cluster with this name.",
            ),
            models.UniqueConstraint(
                fields=["scheme", "slug"],
                name="cluster_unique_slug_in_scheme",
                violation_error_message="This scheme already has a cluster with this slug.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def current_role(path: str = "") -> Q:
    """That the role reached through ``path`` (``"role__"``, ``"role_links__role__"``…) is
    current, not archived: the one place that says what a current role is."""
    return Q(**{f"{path}status": Role.Status.CURRENT})


class RoleQuerySet(models.QuerySet):
    def current(self):
        return self.filter(current_role())


class Role(TimeStampedModel):
    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=255, help_text="The job title as the workforce uses it.")
    slug = models.SlugField(max_length=100, unique=True, help_text="Used in the role's public link.")
    level = level_field()
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.CURRENT,
        db_index=True,
        help_text="Archive a role that no longer exists; it stays on record.",
    )
    clusters: models.ManyToManyField = models.ManyToManyField(
        Cluster, through="RoleCluster", related_name="roles"
    )
    history = History()

    objects = RoleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            unique_ignoring_case("title", "role", "A role with this title exists."),
            level_check("role"),
            models.CheckConstraint(condition=Q(status__in=["current", "archived"]), name="role_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class RoleCluster(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="cluster_links")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="role_links")
    history = History()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "role in a cluster"
        constraints = [
            models.UniqueConstraint(
                fields=["role", "cluster"],
                name="rolecluster_unique",
                violation_error_message="The role is already in this cluster.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} in {self.cluster}"


class RoleQualification(models.Model):
    """A qualification relevant to a role; key ones are significant for it."""

    # indexed first in the unique constraint below
    role = models.ForeignKey(
        Role, on_delete=models.CASCADE, related_name="qualification_links", db_index=False
    )
    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="role_links")
    is_key = models.BooleanField(
        "key",
        default=False,
        help_text="Key: nationally available, approved, required to practise, or mandatory "
        "training for this role.",
    )
    history = History()

    objects = SourceQuerySet.as_manager()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "role's qualification"
        indexes = [
            # Which qualifications are key for some role: the finder tests every result
            # against this set, read from the index alone.
            models.Index(fields=["qualification"], condition=Q(is_key=True), name="rolequalification_key"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "qualification"],
                name="rolequalification_unique",
                violation_error_message="This qualification is already linked to the role.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification.ref} for {self.role}"
