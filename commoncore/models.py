from django.conf import settings
from django.db import models
from django.db.models import F, Q

from iqf.lib.derived import SourceQuerySet
from iqf.lib.history import History
from iqf.lib.models import DEFAULT_PERMISSIONS, TimeStampedModel, unique_ignoring_case
from qualifications.models import Module, Qualification


class FrameworkQuerySet(models.QuerySet):
    def default(self) -> "Framework":
        return self.get(is_default=True)


class Framework(TimeStampedModel):
    """A skills framework whose areas modules are mapped against (the Common Core…)."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    edition = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        "default framework",
        default=False,
        help_text="The framework reports use unless another is chosen.",
    )
    history = History()

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            unique_ignoring_case("name", "framework", "A framework with this name exists."),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="framework_one_default",
                violation_error_message="Only one framework can be the default.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="areas")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    short_title = models.CharField(max_length=60, help_text="For column headings.")
    history = History()

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "number"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "number"],
                name="area_unique_number",
                violation_error_message="The framework already has an area with this number.",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="area_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Element(models.Model):
    """A sub-heading of an area (the 2010 Common Core lists skills and knowledge)."""

    class Kind(models.TextChoices):
        SKILL = "skill", "Skill"
        KNOWLEDGE = "knowledge", "Knowledge"

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="elements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    history = History()

    class Meta:
        ordering = ["area", "order"]
        default_permissions = DEFAULT_PERMISSIONS
        constraints = [
            models.UniqueConstraint(fields=["area", "order"], name="element_unique_order"),
            models.CheckConstraint(condition=Q(kind__in=["skill", "knowledge"]), name="element_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned to mapper"
    APPROVED = "approved", "Approved"
    ACCEPTED = "accepted", "Accepted without moderation"


PUBLISHED_STATUSES = (ReviewStatus.APPROVED, ReviewStatus.ACCEPTED)
OPEN_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.RETURNED)


def published_review(path: str = "") -> Q:
    """That the grid (review) reached through ``path`` is published, approved or accepted:
    the one place that says which judgements are public (DESIGN.md §3)."""
    return Q(**{f"{path}status__in": PUBLISHED_STATUSES})


class MappingReviewQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_review())


class MappingReview(TimeStampedModel):
    """One round of mapping a qualification's grid against a framework, and its moderation."""

    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="mapping_reviews")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="reviews")
    round = models.PositiveSmallIntegerField(default=1, editable=False)
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, db_index=True
    )
    mapped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews_mapped",
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews_moderated",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When the grid's judgements became public."
    )
    return_reason = models.TextField(blank=True)
    times_returned = models.PositiveSmallIntegerField(default=0, editable=False)
    sample_rate = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The mapper's sampling rate (%) when the grid was first submitted; "
        "empty when every grid of the mapper was moderated.",
    )
    sample_draw = models.FloatField(
        null=True,
        blank=True,
        editable=False,
        help_text="The recorded draw in [0, 1); the grid is moderated when it is below the rate.",
    )
    sampled = models.BooleanField(
        null=True,
        blank=True,
        editable=False,
        help_text="Whether the draw chose the grid for moderation (empty: no draw was made).",
    )
    grid_modules = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The modules (ids) that were rows of the grid when it was last saved.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    history = History()

    objects = MappingReviewQuerySet.as_manager()

    class Meta:
        ordering = ["qualification", "framework", "-round"]
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "mapping review"
        indexes = [
            # Which qualifications are mapped (is_mapped, mapped_ids): read from this small
            # index instead of the table with its grids.
            models.Index(
                fields=["framework", "qualification"],
                condition=Q(status__in=PUBLISHED_STATUSES),
                name="review_published",
            ),
        ]
        permissions = [
            ("map_review", "Can map qualifications (edit and submit grids)"),
            ("moderate_review", "Can moderate mapping reviews"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ReviewStatus]), name="review_status_valid"
            ),
            models.UniqueConstraint(
                fields=["qualification", "framework", "round"],
                name="review_unique_round",
            ),
            models.UniqueConstraint(
                fields=["qualification", "framework"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="review_one_open_round",
                violation_error_message="This qualification already has a grid in progress "
                "for this framework.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "returned"])
                | (Q(moderated_by__isnull=False) & ~Q(moderated_by=F("mapped_by"))),
                name="review_four_eyes",
                violation_error_message="An approved or returned grid needs a moderator other "
                "than its mapper.",
            ),
            models.CheckConstraint(
                condition=Q(sample_rate__isnull=True)
                | Q(
                    sample_rate__gte=1,
                    sample_rate__lte=100,
                    sample_draw__gte=0,
                    sample_draw__lt=1,
                    sampled__isnull=False,
                ),
                name="review_sample_recorded",
                violation_error_message="A sampled grid records its rate, draw and outcome.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.ref} / {self.framework} (round {self.round})"

    @property
    def is_published(self) -> bool:
        return self.status in PUBLISHED_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def moderation_note(self) -> str:
        """How the grid was chosen for moderation, in words."""
        if self.sample_rate is None:
            return "every grid moderated"
        drawn = "drawn" if self.sampled else "not drawn"
        return f"{drawn} in a {self.sample_rate} % sample"


class Basis(models.TextChoices):
    TITLES = "titles", "Module titles"
    OUTCOMES = "outcomes", "Learning outcomes"
    STANDARDS = "standards", "Professional standards"


class Attribute(models.Model):
    """A published judgement: a module, or a qualification as a whole, covers an area.

    Only judgements whose grid was approved or accepted are stored here, so public
    pages and reports read this table alone.
    """

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="attributes")
    element = models.ForeignKey(
        Element,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributes",
        help_text="For a framework with elements: the element covered (empty: the whole area).",
    )
    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    basis = models.CharField(max_length=16, choices=Basis.choices, blank=True)
    note = models.TextField(blank=True)
    review = models.ForeignKey(
        MappingReview,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributes",
        help_text="The grid whose approval published this judgement.",
    )
    published_at = models.DateTimeField(auto_now_add=True)
    history = History()

    objects = SourceQuerySet.as_manager()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "published judgement"
        constraints = [
            models.CheckConstraint(
                condition=(Q(qualification__isnull=False) & Q(module__isnull=True))
                | (Q(qualification__isnull=True) & Q(module__isnull=False)),
                name="attribute_exactly_one_subject",
                violation_error_message="A judgement is about a module or a qualification, not both.",
            ),
            models.UniqueConstraint(
                fields=["area", "module"],
                condition=Q(element__isnull=True, module__isnull=False),
                name="attribute_unique_module_area",
            ),
            models.UniqueConstraint(
                fields=["area", "qualification"],
                condition=Q(element__isnull=True, qualification__isnull=False),
                name="attribute_unique_qualification_area",
            ),
            models.UniqueConstraint(
                fields=["element", "module"],
                condition=Q(element__isnull=False, module__isnull=False),
                name="attribute_unique_module_element",
            ),
            models.UniqueConstraint(
                fields=["element", "qualification"],
                condition=Q(element__isnull=False, qualification__isnull=False),
                name="attribute_unique_qualification_element",
            ),
        ]

    def __str__(self) -> str:
        subject = self.module or self.qualification
        return f"{subject} covers {self.area}"


class QualificationCoverage(models.Model):
    """What the published judgements of a qualification and of its modules add up to in
    one area: the figures every coverage definition (DESIGN.md §4) needs, so that no page
    or report recomputes them from raw judgements.

    *Possible* figures pool the qualification's own judgements with those of all its
    modules; *guaranteed* ones with those of its mandatory modules only. ``whole_*`` says
    whether the area is judged as a whole (no element); ``elements_*`` counts the distinct
    elements of the area judged. A row exists only where something is judged.

    The table is derived: ``commoncore.summary.refresh`` rebuilds it from Attribute and
    QualificationModule, in the same transaction as every write to either. It keeps no
    history of its own, because the history of what it is derived from is kept.
    """

    # The unique constraint's index starts with the qualification: no index of its own.
    qualification = models.ForeignKey(
        Qualification,
        on_delete=models.CASCADE,
        related_name="coverage_summary",
        db_index=False,
    )
    # A row stands for judgements, which protect their area (and so its framework) from
    # deletion; checking these two keys on every row would double a rebuild's time.
    framework = models.ForeignKey(
        Framework,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    area = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    whole_possible = models.BooleanField(default=False)
    whole_guaranteed = models.BooleanField(default=False)
    elements_possible = models.PositiveIntegerField(default=0)
    elements_guaranteed = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ("view",)
        verbose_name = "coverage summary row"
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "framework", "area"],
                name="coverage_unique_area",
            ),
            models.CheckConstraint(
                condition=Q(elements_possible__gte=0, elements_guaranteed__gte=0),
                name="coverage_counts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(elements_guaranteed__lte=F("elements_possible")),
                name="coverage_guaranteed_within_possible",
            ),
            models.CheckConstraint(
                condition=Q(whole_guaranteed=False) | Q(whole_possible=True),
                name="coverage_whole_guaranteed_within_possible",
            ),
            models.CheckConstraint(
                condition=Q(whole_possible=True) | Q(elements_possible__gt=0),
                name="coverage_row_judges_something",
            ),
        ]
        indexes = [
            # Counting, per area, the mapped qualifications that cover it.
            models.Index(fields=["framework", "area", "qualification"], name="coverage_framework_area"),
        ]

    def __str__(self) -> str:
        return f"{self.qualification_id} / area {self.area_id}"


class GridMark(models.Model):
    """A ticked cell of a grid in progress: the module (or, when empty, the qualification
    as a whole) covers the area or element. Unticked cells are not stored."""

    review = models.ForeignKey(MappingReview, on_delete=models.PROTECT, related_name="marks")
    module = models.ForeignKey(
        Module,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_marks",
        help_text="Empty: the judgement is about the qualification as a whole.",
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="grid_marks")
    element = models.ForeignKey(
        Element, on_delete=models.PROTECT, null=True, blank=True, related_name="grid_marks"
    )
    basis = models.CharField(max_length=16, choices=Basis.choices, blank=True)
    note = models.TextField(blank=True)
    history = History()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "grid mark"
        constraints = [
            models.UniqueConstraint(
                fields=["review", "module", "area"],
                condition=Q(element__isnull=True, module__isnull=False),
                name="gridmark_unique_module_area",
            ),
            models.UniqueConstraint(
                fields=["review", "area"],
                condition=Q(element__isnull=True, module__isnull=True),
                name="gridmark_unique_qualification_area",
            ),
            models.UniqueConstraint(
                fields=["review", "module", "element"],
                condition=Q(element__isnull=False, module__isnull=False),
                name="gridmark_unique_module_element",
            ),
            models.UniqueConstraint(
                fields=["review", "element"],
                condition=Q(element__isnull=False, module__isnull=True),
                name="gridmark_unique_qualification_element",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.module or 'qualification'} covers {self.element or self.area}"


class PolicyMode(models.TextChoices):
    EVERY = "every", "Every grid moderated"
    SAMPLE = "sample", "Sample"


class ModerationPolicy(TimeStampedModel):
    """How a mapper's submitted grids are chosen for moderation."""

    mapper = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_policy"
    )
    mode = models.CharField(max_length=8, choices=PolicyMode.choices, default=PolicyMode.EVERY)
    sample_rate = models.PositiveSmallIntegerField(
        "sample rate (%)",
        null=True,
        blank=True,
        help_text="Under sampling, the chance that a submitted grid is moderated.",
    )
    seed = models.CharField(
        max_length=64, blank=True, help_text="Seeds the draws, so every draw can be repeated."
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moderation_policies_set",
    )
    note = models.TextField(blank=True)
    history = History()

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "moderation policy"
        verbose_name_plural = "moderation policies"
        ordering = ["mapper__username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="every", sample_rate__isnull=True)
                | Q(mode="sample", sample_rate__gte=1, sample_rate__lte=99),
                name="policy_rate_matches_mode",
                violation_error_message="Sampling needs a rate between 1 and 99 %; moderating "
                "every grid needs none.",
            ),
            models.CheckConstraint(
                condition=~Q(set_by=F("mapper")),
                name="policy_not_set_by_mapper",
                violation_error_message="A mapper cannot set their own moderation policy.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mapper}: {self.describe()}"

    def describe(self) -> str:
        if self.mode == PolicyMode.SAMPLE:
            return f"sample at {self.sample_rate} %"
        return "every grid moderated"


class EventKind(models.TextChoices):
    SUBMIT = "submit", "Submitted"
    APPROVE = "approve", "Approved"
    RETURN = "return", "Returned to mapper"
    ACCEPT_UNSAMPLED = "accept_unsampled", "Accepted without moderation"
    POLICY_CHANGE = "policy_change", "Moderation policy changed"


class ReviewEvent(models.Model):
    """One transition of the mapping workflow: who did what, when, and why."""

    kind = models.CharField(max_length=20, choices=EventKind.choices)
    review = models.ForeignKey(
        MappingReview, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    mapper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The mapper whose grid or policy this is.",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the system, by the mapper's policy.",
    )
    at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)

    class Meta:
        default_permissions = DEFAULT_PERMISSIONS
        verbose_name = "mapping event"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in EventKind]), name="event_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="policy_change") | Q(review__isnull=False),
                name="event_review_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
