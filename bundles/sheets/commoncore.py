"""Bundle sheets for mapping reviews and the published judgements (attributes)."""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from bundles.resources import BundleResource, column
from bundles.rows import Lookup, RowReader, WholeNumberWidget, norm
from bundles.sheets.qualifications import module_lookup, qualification_lookup
from commoncore.models import (
    PUBLISHED_STATUSES,
    Area,
    Attribute,
    Element,
    Framework,
    MappingReview,
    ReviewStatus,
    published_review,
)
from qualifications.models import Module, Qualification, QualificationModule


class FrameworkLookup:
    """Frameworks by name or slug; an empty cell means the default (Common Core 2005)."""

    def __init__(self):
        self.frameworks = list(Framework.objects.all())
        self.default = next((f for f in self.frameworks if f.is_default), None)
        self.by_name = {}
        for framework in self.frameworks:
            self.by_name[framework.name.casefold()] = framework
            self.by_name[framework.slug.casefold()] = framework

    def find(self, reader: RowReader) -> Framework | None:
        name = reader.text("framework")
        if not name:
            return self.default
        framework = self.by_name.get(name.casefold())
        if framework is None:
            reader.fail("framework", f"no framework {name!r} exists")
        return framework

    def key(self, framework: Framework) -> str:
        return "" if framework.is_default else norm(framework.name)

    def key_of_cell(self, cell) -> str:
        text = norm(cell)
        framework = self.by_name.get(text)
        return self.key(framework) if framework else text


def framework_cell(framework: Framework) -> str:
    return "" if framework.is_default else framework.name


def framework_cells():
    """A framework's cell from its id (frameworks read once)."""
    cells = {f.pk: framework_cell(f) for f in Framework.objects.all()}
    return cells.__getitem__


def user_lookup() -> Lookup:
    return Lookup("user", get_user_model().objects.all, lambda u: u.get_username())


def representative_reviews(queryset: QuerySet) -> dict[tuple[int, int], MappingReview]:
    """The review a bundle carries for each (qualification, framework): the latest
    published round if there is one, otherwise the latest round."""
    chosen: dict[tuple[int, int], MappingReview] = {}
    for review in queryset.order_by("round"):
        pair = (review.qualification_id, review.framework_id)
        current = chosen.get(pair)
        if current is None or review.is_published or not current.is_published:
            chosen[pair] = review
    return chosen


class MappingReviewResource(BundleResource):
    sheet = "mapping_reviews"
    key_columns = ("qualification_ref", "framework")

    qualification_ref = column("qualification_ref", "qualification__ref")
    framework = column("framework")
    status = column("status")
    mapped_by = column("mapped_by", "mapped_by__username")
    moderated_by = column("moderated_by", "moderated_by__username")

    class Meta(BundleResource.Meta):
        model = MappingReview
        fields = ("qualification_ref", "framework", "status", "mapped_by", "moderated_by")

    def dehydrate_framework(self, review: MappingReview) -> str:
        return framework_cell(review.framework)

    def export_column(self, field):
        if field.column_name == "framework":
            return "framework_id", framework_cells()
        return super().export_column(field)

    def before_import(self, dataset, **kwargs):
        self.frameworks = FrameworkLookup()
        super().before_import(dataset, **kwargs)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.users = user_lookup()

    def row_key(self, row) -> tuple:
        return (norm(row.get("qualification_ref")), self.frameworks.key_of_cell(row.get("framework")))

    def instance_key(self, instance) -> tuple:
        return (norm(instance.qualification.ref), self.frameworks.key(instance.framework))

    def existing_queryset(self):
        return representative_reviews(self.export_base()).values()

    def export_base(self) -> QuerySet:
        return MappingReview.objects.select_related("qualification", "framework", "mapped_by", "moderated_by")

    def export_queryset(self):
        reviews = representative_reviews(self.export_base()).values()
        return sorted(reviews, key=lambda r: (r.qualification.ref, framework_cell(r.framework)))

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        qualification = reader.lookup("qualification_ref", self.qualifications, required=True)
        framework = self.frameworks.find(reader)
        if new and qualification and framework:
            instance.qualification, instance.framework = qualification, framework
        status = reader.choice("status", [s.value for s in ReviewStatus], default="")
        if not status:
            reader.fail("status", "is empty; use draft, submitted, returned, approved or accepted")
        instance.status = status
        instance.mapped_by = reader.lookup("mapped_by", self.users)
        instance.moderated_by = reader.lookup("moderated_by", self.users)
        if status in (ReviewStatus.APPROVED, ReviewStatus.RETURNED):
            if instance.moderated_by is None:
                reader.fail("moderated_by", f"is empty; a {status} grid names its moderator")
            elif instance.mapped_by is not None and instance.moderated_by.pk == instance.mapped_by.pk:
                reader.fail("moderated_by", "is the grid's mapper; nobody may moderate a grid they mapped")
        now = timezone.now()
        if status in PUBLISHED_STATUSES:
            instance.published_at = instance.published_at or now
            instance.decided_at = instance.decided_at or now
        else:
            instance.published_at = None
        if status != ReviewStatus.DRAFT:
            instance.submitted_at = instance.submitted_at or now

    def snapshot(self, instance) -> tuple:
        return (instance.status, instance.mapped_by_id, instance.moderated_by_id)


def number_key(value) -> str:
    """A numeric key cell as it compares: "01", "1" and 1.0 are the same area."""
    text = norm(value)
    return str(int(text)) if text.isdigit() else text


class AttributeResource(BundleResource):
    sheet = "attributes"
    key_columns = ("framework", "area", "qualification_ref", "module_ref")
    extra_columns = ("element",)

    framework = column("framework")
    area = column("area", "area__number", widget=WholeNumberWidget())
    qualification_ref = column("qualification_ref", "qualification__ref")
    module_ref = column("module_ref", "module__ref")
    element = column("element", "element__order", widget=WholeNumberWidget())

    class Meta(BundleResource.Meta):
        model = Attribute
        fields = ("framework", "area", "qualification_ref", "module_ref", "element")

    def dehydrate_framework(self, attribute: Attribute) -> str:
        return framework_cell(attribute.area.framework)

    def export_column(self, field):
        if field.column_name == "framework":
            return "area__framework_id", framework_cells()
        return super().export_column(field)

    def before_import(self, dataset, **kwargs):
        self.frameworks = FrameworkLookup()
        super().before_import(dataset, **kwargs)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.modules = self.shared_lookup(Module, module_lookup)
        self.areas = {(a.framework_id, a.number): a for a in Area.objects.all()}
        self.elements = {(e.area_id, e.order): e for e in Element.objects.all()}
        published = MappingReview.objects.published()
        self.published_reviews = {
            (r.qualification_id, r.framework_id): r
            for r in published.only("id", "qualification_id", "framework_id", "status", "round").order_by(
                "round"
            )
        }
        self.published_modules = set(
            QualificationModule.objects.filter(
                published_review("qualification__mapping_reviews__")
            ).values_list("module_id", "qualification__mapping_reviews__framework_id")
        )

    def row_key(self, row) -> tuple:
        return (
            self.frameworks.key_of_cell(row.get("framework")),
            number_key(row.get("area")),
            norm(row.get("qualification_ref")),
            norm(row.get("module_ref")),
            number_key(row.get("element")),
        )

    def instance_key(self, instance) -> tuple:
        return (
            self.frameworks.key(instance.area.framework),
            str(instance.area.number),
            norm(instance.qualification.ref if instance.qualification else ""),
            norm(instance.module.ref if instance.module else ""),
            str(instance.element.order) if instance.element else "",
        )

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        framework = self.frameworks.find(reader)
        number = reader.whole_number("area")
        area = None
        if number is None:
            reader.fail("area", "is empty; give the area's number")
        elif framework is not None:
            area = self.areas.get((framework.pk, number))
            if area is None:
                reader.fail("area", f"{framework} has no area {number}")
        element = None
        if reader.text("element") and area is not None:
            order = reader.whole_number("element")
            element = None if order is None else self.elements.get((area.pk, order))
            if element is None:
                reader.fail("element", f"area {number} of {framework} has no element {order}")
        qualification = reader.lookup("qualification_ref", self.qualifications)
        module = reader.lookup("module_ref", self.modules)
        filled = [c for c in ("qualification_ref", "module_ref") if reader.text(c)]
        if len(filled) != 1:
            reader.fail("qualification_ref", "fill exactly one of qualification_ref and module_ref")
        elif framework is not None and qualification is not None:
            review = self.published_reviews.get((qualification.pk, framework.pk))
            if review is None:
                reader.fail(
                    "qualification_ref",
                    f"{qualification.ref} has no approved or accepted "
                    f"mapping review for {framework}; only published judgements can be "
                    "imported",
                )
            instance.review = review
        elif (
            framework is not None
            and module is not None
            and (module.pk, framework.pk) not in self.published_modules
        ):
            reader.fail(
                "module_ref",
                f"{module.ref} belongs to no qualification with an "
                f"approved or accepted mapping review for {framework}; only "
                "published judgements can be imported",
            )
        if new:
            instance.area, instance.element = area, element
            instance.qualification, instance.module = qualification, module

    def snapshot(self, instance) -> tuple:
        return (instance.area_id, instance.element_id, instance.qualification_id, instance.module_id)

    def export_queryset(self) -> QuerySet:
        return Attribute.objects.select_related(
            "area__framework", "qualification", "module", "element"
        ).order_by("area__framework__name", "area__number", "qualification__ref", "module__ref")
