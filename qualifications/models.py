from django.db import models
from django.db.models import F, Q

from iqf.lib.derived import SourceQuerySet, stored_fields
from iqf.lib.history import History
from iqf.lib.levels import level_check, level_field
from iqf.lib.models import DEFAULT_PERMISSIONS, TimeStampedModel, unique_ignoring_case
from iqf.lib.text import title_key


class NamedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)


class AwardingBody(TimeStampedModel):
    name = models.CharField(max_length=200, help_text="The body's name as it brands its awards.")
    url = models.URLField(blank=True, max_length=500)
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Archived bodies stay on record but are not offered."
    )
    history = History()

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "awarding bodies"
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            unique_ignoring_case("name", "awardingbody", "An awarding body with this name exists.")
        ]

    def __str__(self) -> str:
        return self.name


class QualificationType(TimeStampedModel):
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    history = History()

    class Meta:
        ordering = ["name"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [unique_ignoring_case("name", "qualificationtype", "This qualification type exists.")]

    def __str__(self) -> str:
        return self.name


#: A qualification's regions are kept as the bits of a signed 64-bit integer.
MAX_REGION_BIT = 62


class Region(models.Model):
    """One of England's nine government regions (created by a migration)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    #: The region's bit in a qualification's ``offered_regions``; given on creation.
    bit = models.PositiveSmallIntegerField(unique=True, editable=False)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(
                condition=Q(bit__lte=MAX_REGION_BIT),
                name="region_bit_in_range",
                violation_error_message="England has too many regions to count.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.bit is None:
            used = Region.objects.aggregate(top=models.Max("bit"))["top"]
            self.bit = 0 if used is None else used + 1
        super().save(*args, **kwargs)

    @property
    def mask(self) -> int:
        return 1 << self.bit


def current_qualification(path: str = "") -> Q:
    """That the qualification reached through ``path`` is current (neither withdrawn nor
    superseded): the one place that says what a current qualification is."""
    return Q(**{f"{path}status": Qualification.Status.CURRENT})


class QualificationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(current_qualification())

    def with_related(self):
        return self.select_related("qualification_type", "awarding_body", "superseded_by")


class Qualification(TimeStampedModel):
    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUPERSEDED = "superseded", "Superseded"

    ref = models.CharField(
        "reference",
        max_length=64,
        help_text="The regulator's qualification number (e.g. 500/1234/5) or another stable code. "
        "It is the qualification's key in imports and in public links.",
    )
    title = models.CharField(
        max_length=255,
        help_text="Follow the naming protocol: awarding body, level, type, subject "
        "(e.g. 'CACHE Level 3 Diploma in Child Care and Education').",
    )
    title_key = models.CharField(max_length=255, editable=False, db_index=True)
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.PROTECT, null=True, blank=True, verbose_name="type"
    )
    awarding_body = models.ForeignKey(
        AwardingBody,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="The awarding or accrediting body.",
    )
    level = level_field()
    learning_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Guided learning hours, when published."
    )
    notes = models.TextField(blank=True)
    source = models.CharField(
        max_length=200, blank=True, help_text="The organisation the details were taken from."
    )
    source_url = models.URLField("source document URL", max_length=500, blank=True)
    status = models.CharField(
        max_length=16,
        choices=Status.choices,
        default=Status.CURRENT,
        db_index=True,
        help_text="Withdrawn and superseded qualifications are archived: kept, but marked.",
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        help_text="The qualification that replaces this one (only when superseded).",
    )
    last_verified = models.DateField(
        "date last verified",
        null=True,
        blank=True,
        help_text="When a clerk last checked the details against the source.",
    )
    #: The regions where an active provider offers it, as the sum of their ``Region.mask``
    #: (derived from offerings and providers by ``qualifications.regions.refresh``, in the
    #: transaction of every write to either), so the finder counts and filters regions
    #: from the qualification alone.
    offered_regions = models.BigIntegerField(default=0, editable=False)
    #: Key for at least one role (derived from role links by ``roles.keys.refresh``, in the
    #: transaction of every write to them), so the finder tells key qualifications from
    #: the qualification alone when no role or cluster narrows what "key" means.
    key_for_a_role = models.BooleanField(default=False, editable=False)
    #: Written only by their refreshes: a save of an existing row leaves them alone.
    DERIVED_FIELDS = ("offered_regions", "key_for_a_role")
    history = History(excluded_fields=list(DERIVED_FIELDS))

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["title", "ref"]
        indexes = [
            # the admin's list and the public lists page through this order
            models.Index(fields=["title", "ref"], name="qualification_title_ref"),
            # The finder's facet counts read only these columns: its filtered sets, its
            # (level, status, type, key) counts and its region counts are then read from
            # this index, not the table.
            models.Index(
                fields=[
                    "status",
                    "level",
                    "qualification_type",
                    "awarding_body",
                    "id",
                    "offered_regions",
                    "key_for_a_role",
                ],
                name="qualification_facets",
            ),
        ]
        default_permissions = DEFAULT_PERMISSIONS
        permissions = [("archive_qualification", "Can withdraw or supersede qualifications")]
        constraints = [
            models.UniqueConstraint(
                fields=["ref"],
                name="qualification_ref_unique",
                violation_error_message="A qualification with this reference exists.",
            ),
            unique_ignoring_case(
                "ref", "qualification", "A qualification with this reference (ignoring case) exists."
            ),
            level_check("qualification"),
            models.CheckConstraint(
                condition=Q(status__in=["current", "withdrawn", "superseded"]),
                name="qualification_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="superseded") & Q(superseded_by__isnull=False))
                | (~Q(status="superseded") & Q(superseded_by__isnull=True)),
                name="qualification_superseded_has_successor",
                violation_error_message="A superseded qualification names its successor, "
                "and only a superseded one does.",
            ),
            models.CheckConstraint(
                condition=~Q(superseded_by=F("pk")),
                name="qualification_not_superseded_by_itself",
                violation_error_message="A qualification cannot supersede itself.",
            ),
            models.CheckConstraint(
                condition=~Q(ref=""),
                name="qualification_ref_not_empty",
                violation_error_message="A qualification needs a reference.",
            ),
            models.CheckConstraint(
                condition=Q(offered_regions__gte=0), name="qualification_offered_regions_mask"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.ref})"

    def save(self, *args, **kwargs):
        # The duplicate check compares this derived key; keep it in step with the title.
        self.title_key = title_key(self.title, self.awarding_body.name if self.awarding_body else "")
        # An existing row is saved without its derived columns, which a refresh may have
        # changed since it was read (an instance built rather than read, such as a
        # version from history, is saved whole, and then refreshed).
        if (
            not args
            and not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = stored_fields(self, self.DERIVED_FIELDS)
        super().save(*args, **kwargs)

    @property
    def is_archived(self) -> bool:
        return self.status != self.Status.CURRENT


class ModuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)


class Module(TimeStampedModel):
    ref = models.CharField(
        "reference",
        max_length=64,
        help_text="The unit's code (e.g. the regulator's unit reference). Its key in imports.",
    )
    title = models.CharField(max_length=255)
    title_key = models.CharField(max_length=255, editable=False, db_index=True)
    level = level_field()
    learning_hours = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    qualification = models.OneToOneField(
        Qualification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="as_module",
        verbose_name="also a qualification",
        help_text="Set when this unit is also a qualification in its own right: the two are "
        "one entry, so its mapping and providers are shared.",
    )
    is_archived = models.BooleanField(
        "archived",
        default=False,
        help_text="Archived modules stay on record in every qualification that used them.",
    )
    history = History()

    objects = ModuleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "ref"]
        indexes = [models.Index(fields=["title", "ref"], name="module_title_ref")]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            models.UniqueConstraint(
                fields=["ref"],
                name="module_ref_unique",
                violation_error_message="A module with this reference exists.",
            ),
            unique_ignoring_case("ref", "module", "A module with this reference (ignoring case) exists."),
            level_check("module"),
            models.CheckConstraint(
                condition=~Q(ref=""),
                name="module_ref_not_empty",
                violation_error_message="A module needs a reference.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.ref})"

    def save(self, *args, **kwargs):
        self.title_key = title_key(self.title)
        super().save(*args, **kwargs)


class QualificationModule(models.Model):
    """A module's place in a qualification: mandatory or optional, and its order."""

    # Each key leads an index of its own: the unique constraint and the index below.
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="memberships", db_index=False)
    mandatory = models.BooleanField(default=True, help_text="Untick for an optional unit.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in the qualification.")
    history = History()

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["qualification", "order", "id"]
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "module of a qualification"
        indexes = [
            # Counting each module's qualifications (mandatory and optional) reads only
            # this index, not the table.
            models.Index(fields=["module", "mandatory"], name="membership_module_mandatory"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "module"],
                name="qualificationmodule_unique",
                violation_error_message="This module is already part of the qualification.",
            )
        ]

    def __str__(self) -> str:
        kind = "mandatory" if self.mandatory else "optional"
        return f"{self.module.ref} in {self.qualification.ref} ({kind})"


class Prerequisite(models.Model):
    """Something that must be gained before studying for a qualification."""

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="prerequisites")
    required_qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, null=True, blank=True, related_name="leads_to"
    )
    required_module = models.ForeignKey(
        Module, on_delete=models.PROTECT, null=True, blank=True, related_name="required_for"
    )
    history = History()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "pre-requirement"
        constraints = [
            models.CheckConstraint(
                condition=(Q(required_qualification__isnull=False) & Q(required_module__isnull=True))
                | (Q(required_qualification__isnull=True) & Q(required_module__isnull=False)),
                name="prerequisite_exactly_one_requirement",
                violation_error_message="A pre-requirement is either a qualification or a "
                "module, not both and not neither.",
            ),
            models.CheckConstraint(
                condition=~Q(required_qualification=F("qualification")),
                name="prerequisite_not_itself",
                violation_error_message="A qualification cannot require itself.",
            ),
            models.UniqueConstraint(
                fields=["qualification", "required_qualification"],
                condition=Q(required_qualification__isnull=False),
                name="prerequisite_unique_qualification",
                violation_error_message="This pre-requirement is already recorded.",
            ),
            models.UniqueConstraint(
                fields=["qualification", "required_module"],
                condition=Q(required_module__isnull=False),
                name="prerequisite_unique_module",
                violation_error_message="This pre-requirement is already recorded.",
            ),
        ]

    def __str__(self) -> str:
        required = self.required_qualification or self.required_module
        return f"{self.qualification.ref} requires {required}"


class ProviderQuerySet(SourceQuerySet):
    """Providers' regions and archiving decide where their qualifications are offered."""

    def active(self):
        return self.filter(is_archived=False)


class Provider(TimeStampedModel):
    name = models.CharField(max_length=200)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Leave empty for national or distance providers.",
    )
    url = models.URLField("web site", blank=True, max_length=500)
    is_archived = models.BooleanField("archived", default=False)
    history = History()

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [unique_ignoring_case("name", "provider", "A provider with this name exists.")]

    def __str__(self) -> str:
        return self.name


class Offering(models.Model):
    """A provider's course leading to a qualification."""

    # indexed first in the unique constraint below
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="offerings", db_index=False)
    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="offerings")
    course_hours = models.PositiveIntegerField(null=True, blank=True)
    mode = models.CharField(
        max_length=50,
        blank=True,
        help_text="How it is taught: full-time, part-time, distance, work-based…",
    )
    cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="In pounds, when known."
    )
    history = History()

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "qualification__ref", "mode"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "qualification", "mode"],
                name="offering_unique",
                violation_error_message="This provider already offers the qualification in this mode.",
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0),
                name="offering_cost_not_negative",
                violation_error_message="Cost cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} — {self.qualification.ref}"
