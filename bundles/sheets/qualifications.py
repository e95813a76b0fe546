"""Bundle sheets for qualifications, modules, providers and the links between them."""

from django.db.models import QuerySet

from bundles.bulk import update_with_history
from bundles.resources import BundleResource, column
from bundles.rows import (
    DateWidget,
    LevelWidget,
    Lookup,
    MoneyWidget,
    RowReader,
    WholeNumberWidget,
    YesNoWidget,
    norm,
)
from iqf.lib.text import title_key
from qualifications import regions
from qualifications.models import (
    AwardingBody,
    Module,
    Offering,
    Prerequisite,
    Provider,
    Qualification,
    QualificationModule,
    QualificationType,
    Region,
)


def qualification_lookup() -> Lookup:
    return Lookup("qualification", lambda: Qualification.objects.only("id", "ref"), lambda q: q.ref)


def module_lookup() -> Lookup:
    return Lookup("module", lambda: Module.objects.only("id", "ref"), lambda m: m.ref)


class QualificationTypeResource(BundleResource):
    sheet = "qualification_types"
    key_columns = ("name",)
    name = column("name")

    class Meta(BundleResource.Meta):
        model = QualificationType
        fields = ("name",)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.name),)

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        instance.name = reader.text("name", required=True, max_length=100)

    def export_queryset(self) -> QuerySet:
        return QualificationType.objects.order_by("name")


class AwardingBodyResource(BundleResource):
    sheet = "awarding_bodies"
    key_columns = ("name",)
    name = column("name")

    class Meta(BundleResource.Meta):
        model = AwardingBody
        fields = ("name",)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.name),)

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        instance.name = reader.text("name", required=True, max_length=200)

    def export_queryset(self) -> QuerySet:
        return AwardingBody.objects.order_by("name")


STATUSES = [value for value, _ in Qualification.Status.choices]


class QualificationResource(BundleResource):
    sheet = "qualifications"
    key_columns = ("ref",)
    extra_columns = ("superseded_by", "last_verified")
    # kept by qualifications.regions and roles.keys
    derived_fields = Qualification.DERIVED_FIELDS

    ref = column("ref")
    title = column("title")
    type = column("type", "qualification_type__name")
    awarding_body = column("awarding_body", "awarding_body__name")
    level = column("level", widget=LevelWidget())
    learning_hours = column("learning_hours", widget=WholeNumberWidget())
    status = column("status")
    source = column("source")
    source_url = column("source_url")
    notes = column("notes")
    superseded_by = column("superseded_by", "superseded_by__ref")
    last_verified = column("last_verified", widget=DateWidget())

    class Meta(BundleResource.Meta):
        model = Qualification
        fields = (
            "ref",
            "title",
            "type",
            "awarding_body",
            "level",
            "learning_hours",
            "status",
            "source",
            "source_url",
            "notes",
            "superseded_by",
            "last_verified",
        )

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.types = Lookup("qualification type", QualificationType.objects.all, lambda t: t.name)
        self.bodies = Lookup("awarding body", AwardingBody.objects.all, lambda b: b.name)
        self.refs_in_sheet = {norm(r) for r in dataset["ref"]} if "ref" in dataset.headers else set()
        # successors defined later in the same sheet are linked once every row is written
        self.pending_successors: dict[str, str] = {}

    def instance_key(self, instance) -> tuple:
        return (norm(instance.ref),)

    def existing_queryset(self) -> QuerySet:
        return Qualification.objects.select_related("awarding_body")

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        ref = reader.text("ref", required=True, max_length=64)
        if new:  # an existing record matched ignoring case keeps its ref as spelled
            instance.ref = ref
        if reader.has("title") or new:
            instance.title = reader.text("title", required=True, max_length=255)
        if reader.has("type"):
            instance.qualification_type = reader.lookup("type", self.types)
        if reader.has("awarding_body"):
            instance.awarding_body = reader.lookup("awarding_body", self.bodies)
        if reader.has("level"):
            instance.level = reader.level("level")
        if reader.has("learning_hours"):
            instance.learning_hours = reader.whole_number("learning_hours")
        for name, length in (("source", 200), ("source_url", 500), ("notes", None)):
            if reader.has(name):
                setattr(instance, name, reader.text(name, max_length=length))
        if reader.has("last_verified"):
            instance.last_verified = reader.date("last_verified")
        if reader.has("status") or reader.has("superseded_by"):
            self.read_status(instance, reader)

    def read_status(self, instance, reader: RowReader) -> None:
        status = reader.choice("status", STATUSES, default=Qualification.Status.CURRENT)
        successor_ref = reader.text("superseded_by")
        if status != Qualification.Status.SUPERSEDED:
            if successor_ref:
                reader.fail("superseded_by", "is filled but the status is not superseded")
            instance.status, instance.superseded_by = status, None
            return
        if not successor_ref:
            reader.fail("superseded_by", "is empty; a superseded qualification names its successor")
            return
        if norm(successor_ref) == norm(instance.ref):
            reader.fail("superseded_by", "names the qualification itself")
            return
        successor = self.existing.get((norm(successor_ref),))
        if successor is not None and successor.pk is not None:
            instance.status, instance.superseded_by = status, successor
        elif norm(successor_ref) in self.refs_in_sheet:
            # written as current first, then superseded once its successor exists
            instance.status, instance.superseded_by = Qualification.Status.CURRENT, None
            self.pending_successors[instance.ref] = successor_ref
        else:
            reader.fail(
                "superseded_by", f"no qualification {successor_ref!r} exists or is defined in the bundle"
            )

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        instance.title_key = title_key(
            instance.title, instance.awarding_body.name if instance.awarding_body else ""
        )

    def after_write(self, data) -> None:
        if self.pending_successors:
            self.link_pending_successors()
        if "superseded_by" in data.headers:
            self.refuse_supersede_cycles()

    def link_pending_successors(self) -> None:
        # whole rows: the history rows written below copy every field
        by_ref = {q.ref.casefold(): q for q in Qualification.objects.all()}
        changed = []
        for ref, successor_ref in self.pending_successors.items():
            qualification = by_ref[ref.casefold()]
            qualification.status = Qualification.Status.SUPERSEDED
            qualification.superseded_by = by_ref[successor_ref.casefold()]
            changed.append(qualification)
        update_with_history(
            changed, ["status", "superseded_by"], user=self.history_user, reason=self.change_reason
        )

    @staticmethod
    def refuse_supersede_cycles() -> None:
        """Every chain of successors must end at a qualification that is not superseded."""
        successor = dict(
            Qualification.objects.filter(superseded_by__isnull=False).values_list("id", "superseded_by_id")
        )
        settled: set[int] = set()
        for start in successor:
            path: list[int] = []
            node = start
            while node in successor and node not in settled and node not in path:
                path.append(node)
                node = successor[node]
            if node in path:
                loop = path[path.index(node) :]
                refs = dict(Qualification.objects.filter(id__in=loop).values_list("id", "ref"))
                names = " → ".join(refs[i] for i in loop + [node])
                raise ValueError(
                    f"column superseded_by: the successors go round in a circle ({names}); "
                    "a chain of successors must end at a qualification that is not superseded"
                )
            settled.update(path)

    def export_queryset(self) -> QuerySet:
        return Qualification.objects.select_related(
            "qualification_type", "awarding_body", "superseded_by"
        ).order_by("ref")


class ModuleResource(BundleResource):
    sheet = "modules"
    key_columns = ("ref",)
    extra_columns = ("qualification_ref",)

    ref = column("ref")
    title = column("title")
    level = column("level", widget=LevelWidget())
    learning_hours = column("learning_hours", widget=WholeNumberWidget())
    notes = column("notes")
    qualification_ref = column("qualification_ref", "qualification__ref")

    class Meta(BundleResource.Meta):
        model = Module
        fields = ("ref", "title", "level", "learning_hours", "notes", "qualification_ref")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.ref),)

    def existing_queryset(self) -> QuerySet:
        return Module.objects.all()

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        ref = reader.text("ref", required=True, max_length=64)
        if new:  # an existing record matched ignoring case keeps its ref as spelled
            instance.ref = ref
        if reader.has("title") or new:
            instance.title = reader.text("title", required=True, max_length=255)
        if reader.has("level"):
            instance.level = reader.level("level")
        if reader.has("learning_hours"):
            instance.learning_hours = reader.whole_number("learning_hours")
        if reader.has("notes"):
            instance.notes = reader.text("notes")
        if reader.has("qualification_ref"):
            instance.qualification = reader.lookup("qualification_ref", self.qualifications)

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        instance.title_key = title_key(instance.title)

    def export_queryset(self) -> QuerySet:
        return Module.objects.select_related("qualification").order_by("ref")


class QualificationModuleResource(BundleResource):
    sheet = "qualification_modules"
    key_columns = ("qualification_ref", "module_ref")
    extra_columns = ("order",)

    qualification_ref = column("qualification_ref", "qualification__ref")
    module_ref = column("module_ref", "module__ref")
    mandatory = column("mandatory", widget=YesNoWidget())
    order = column("order", widget=WholeNumberWidget())

    class Meta(BundleResource.Meta):
        model = QualificationModule
        fields = ("qualification_ref", "module_ref", "mandatory", "order")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.modules = self.shared_lookup(Module, module_lookup)
        self.positions: dict[str, int] = {}

    def instance_key(self, instance) -> tuple:
        return (norm(instance.qualification.ref), norm(instance.module.ref))

    def existing_queryset(self) -> QuerySet:
        return QualificationModule.objects.select_related("qualification", "module").only(
            "id",
            "qualification__ref",
            "module__ref",
            "mandatory",
            "order",
            "qualification_id",
            "module_id",
        )

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        qualification = reader.lookup("qualification_ref", self.qualifications, required=True)
        module = reader.lookup("module_ref", self.modules, required=True)
        if qualification:
            instance.qualification = qualification
        if module:
            instance.module = module
        if reader.has("mandatory") or new:
            instance.mandatory = reader.yes_no("mandatory", default=True)
        key = norm(reader.row.get("qualification_ref"))
        self.positions[key] = self.positions.get(key, 0) + 1
        order = reader.whole_number("order") if reader.has("order") else None
        instance.order = order if order is not None else self.positions[key]

    def export_queryset(self) -> QuerySet:
        return QualificationModule.objects.select_related("qualification", "module").order_by(
            "qualification__ref", "order", "module__ref"
        )


class PrerequisiteResource(BundleResource):
    sheet = "prerequisites"
    key_columns = ("qualification_ref", "required_qualification_ref", "required_module_ref")

    qualification_ref = column("qualification_ref", "qualification__ref")
    required_qualification_ref = column("required_qualification_ref", "required_qualification__ref")
    required_module_ref = column("required_module_ref", "required_module__ref")

    class Meta(BundleResource.Meta):
        model = Prerequisite
        fields = ("qualification_ref", "required_qualification_ref", "required_module_ref")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.modules = self.shared_lookup(Module, module_lookup)

    def instance_key(self, instance) -> tuple:
        return (
            norm(instance.qualification.ref),
            norm(instance.required_qualification.ref if instance.required_qualification else ""),
            norm(instance.required_module.ref if instance.required_module else ""),
        )

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        qualification = reader.lookup("qualification_ref", self.qualifications, required=True)
        if qualification:
            instance.qualification = qualification
        instance.required_qualification = reader.lookup("required_qualification_ref", self.qualifications)
        instance.required_module = reader.lookup("required_module_ref", self.modules)
        filled = [c for c in ("required_qualification_ref", "required_module_ref") if reader.text(c)]
        if len(filled) != 1:
            reader.fail(
                "required_qualification_ref",
                "fill exactly one of required_qualification_ref and required_module_ref",
            )
        elif (
            instance.required_qualification is not None
            and qualification is not None
            and instance.required_qualification.pk == qualification.pk
        ):
            reader.fail("required_qualification_ref", "a qualification cannot require itself")

    def export_queryset(self) -> QuerySet:
        return Prerequisite.objects.select_related(
            "qualification", "required_qualification", "required_module"
        ).order_by("qualification__ref", "required_qualification__ref", "required_module__ref")


class ProviderResource(BundleResource):
    sheet = "providers"
    key_columns = ("name",)

    name = column("name")
    region = column("region", "region__name")
    url = column("url")

    class Meta(BundleResource.Meta):
        model = Provider
        fields = ("name", "region", "url")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        known = list(Region.objects.all())
        self.regions = Lookup("region", lambda: known, lambda r: r.name)
        for region in known:
            self.regions.alias(region.slug, region)
        self.existing_rows: set[int] = set()  # providers the sheet may move or rename

    def after_write(self, data) -> None:
        # Where the sheet's providers are now decides where their qualifications are offered.
        regions.refresh(regions.offered_by(self.existing_rows))

    def instance_key(self, instance) -> tuple:
        return (norm(instance.name),)

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        if not new:
            self.existing_rows.add(instance.pk)
        instance.name = reader.text("name", required=True, max_length=200)
        if reader.has("region"):
            instance.region = reader.lookup("region", self.regions)
        if reader.has("url"):
            instance.url = reader.text("url", max_length=500)

    def export_queryset(self) -> QuerySet:
        return Provider.objects.select_related("region").order_by("name")


class OfferingResource(BundleResource):
    sheet = "offerings"
    key_columns = ("provider", "qualification_ref", "mode")

    provider = column("provider", "provider__name")
    qualification_ref = column("qualification_ref", "qualification__ref")
    course_hours = column("course_hours", widget=WholeNumberWidget())
    mode = column("mode")
    cost = column("cost", widget=MoneyWidget())

    class Meta(BundleResource.Meta):
        model = Offering
        fields = ("provider", "qualification_ref", "course_hours", "mode", "cost")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.providers = Lookup("provider", Provider.objects.all, lambda p: p.name)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.offered: set[int] = set()  # the qualifications the sheet names

    def after_write(self, data) -> None:
        regions.refresh(self.offered)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.provider.name), norm(instance.qualification.ref), norm(instance.mode))

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        provider = reader.lookup("provider", self.providers, required=True)
        qualification = reader.lookup("qualification_ref", self.qualifications, required=True)
        if provider:
            instance.provider = provider
        if qualification:
            instance.qualification = qualification
            self.offered.add(qualification.pk)
        instance.mode = reader.text("mode", max_length=50)
        if reader.has("course_hours"):
            instance.course_hours = reader.whole_number("course_hours")
        if reader.has("cost"):
            instance.cost = reader.money("cost")

    def export_queryset(self) -> QuerySet:
        return Offering.objects.select_related("provider", "qualification").order_by(
            "provider__name", "qualification__ref", "mode"
        )
