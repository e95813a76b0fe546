import datetime

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html

from iqf.lib.admin import (
    DuplicateCheckForm,
    IQFModelAdmin,
    JoinedTabularInline,
    NoRegexLookups,
    archive_action,
    count_of,
    https_formfield,
)
from qualifications import services
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
from roles.models import RoleQualification

VERIFY_EVERY_DAYS = 365


def verification_due_before() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=VERIFY_EVERY_DAYS)


class VerificationFilter(admin.SimpleListFilter):
    title = "verified in the last 12 months?"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("no", "Not verified in the last 12 months"), ("yes", "Verified in the last 12 months")]

    def queryset(self, request, queryset):
        due = Q(last_verified__isnull=True) | Q(last_verified__lt=verification_due_before())
        if self.value() == "no":
            return queryset.filter(due)
        if self.value() == "yes":
            return queryset.exclude(due)
        return queryset


class HasModulesFilter(admin.SimpleListFilter):
    title = "has modules?"
    parameter_name = "has_modules"

    def lookups(self, request, model_admin):
        return [("no", "Has no modules yet"), ("yes", "Has modules")]

    def queryset(self, request, queryset):
        has = Exists(QualificationModule.objects.filter(qualification=OuterRef("pk")))
        if self.value() == "no":
            return queryset.filter(~has)
        if self.value() == "yes":
            return queryset.filter(has)
        return queryset


class QualificationModuleInline(JoinedTabularInline):
    model = QualificationModule
    fields = ["order", "module", "mandatory"]
    autocomplete_fields = ["module"]
    ordering = ["order"]
    extra = 1
    verbose_name = "module"
    verbose_name_plural = "modules (mandatory or optional, in order)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("module", "qualification")


class PrerequisiteInline(JoinedTabularInline):
    model = Prerequisite
    fk_name = "qualification"
    fields = ["required_qualification", "required_module"]
    autocomplete_fields = ["required_qualification", "required_module"]
    extra = 0
    verbose_name_plural = "pre-requirements (fill one column per row)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("required_qualification", "required_module", "qualification")
        )


class RoleQualificationInline(JoinedTabularInline):
    model = RoleQualification
    fields = ["role", "is_key"]
    autocomplete_fields = ["role"]
    extra = 0
    verbose_name_plural = "roles this qualification serves"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "qualification")


class OfferingInline(JoinedTabularInline):
    model = Offering
    fields = ["provider", "mode", "course_hours", "cost"]
    autocomplete_fields = ["provider"]
    extra = 0
    verbose_name_plural = "providers offering it"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider", "qualification")


class QualificationForm(DuplicateCheckForm):
    class Meta:
        model = Qualification
        fields = "__all__"
        formfield_callback = https_formfield

    def clean(self):
        cleaned_data = super().clean()
        loop = services.successor_loop(
            qualification=self.instance, successor=cleaned_data.get("superseded_by")
        )
        if loop:
            self.add_error(
                "superseded_by",
                "This would make a loop of successors: "
                + " → ".join(loop)
                + ". Choose the qualification that replaces it.",
            )
        return cleaned_data

    def find_duplicates(self, cleaned_data) -> QuerySet:
        body = cleaned_data.get("awarding_body")
        return services.likely_duplicates_of_qualification(
            title=cleaned_data.get("title") or "",
            awarding_body_name=body.name if body else "",
            exclude_pk=self.instance.pk,
        )


@admin.register(Qualification)
class QualificationAdmin(IQFModelAdmin):
    form = QualificationForm
    list_display = [
        "ref",
        "title",
        "level",
        "qualification_type",
        "awarding_body",
        "status_tag",
        "module_count",
        "last_verified",
    ]
    list_display_links = ["ref", "title"]
    list_filter = [
        "status",
        "level",
        "qualification_type",
        "awarding_body",
        VerificationFilter,
        HasModulesFilter,
    ]
    search_fields = ["ref", "title", "awarding_body__name"]
    ordering = ["title", "ref"]
    list_select_related = ["qualification_type", "awarding_body"]
    autocomplete_fields = ["awarding_body", "superseded_by"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [QualificationModuleInline, PrerequisiteInline, RoleQualificationInline, OfferingInline]
    actions = ["withdraw", "reinstate"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "confirm_duplicate",
                    "ref",
                    "title",
                    "qualification_type",
                    "awarding_body",
                    "level",
                    "learning_hours",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": ["status", "superseded_by", "last_verified"],
                "description": "Withdrawn and superseded qualifications are kept and marked, never deleted.",
            },
        ),
        ("Source", {"fields": ["source", "source_url", "notes"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        # counted per row shown, not grouped over the whole table before paging
        return (
            super()
            .get_queryset(request)
            .annotate(module_total=count_of(QualificationModule.objects.filter(qualification=OuterRef("pk"))))
        )

    @admin.display(description="modules", ordering="module_total")
    def module_count(self, obj: Qualification) -> int:
        return obj.module_total  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="status", ordering="status")
    def status_tag(self, obj: Qualification) -> str:
        if obj.status == Qualification.Status.CURRENT:
            return "Current"
        return format_html("<strong>{}</strong>", obj.get_status_display())

    @admin.action(description="Withdraw (archive) selected qualifications", permissions=["archive"])
    def withdraw(self, request, queryset):
        changed = sum(services.qualification_withdraw(qualification=q) for q in queryset)
        self.message_user(
            request,
            f"Withdrew {changed} qualifications; {queryset.count() - changed} already withdrawn.",
            messages.SUCCESS,
        )

    @admin.action(description="Reinstate selected qualifications as current", permissions=["archive"])
    def reinstate(self, request, queryset):
        changed = sum(services.qualification_reinstate(qualification=q) for q in queryset)
        self.message_user(request, f"Reinstated {changed} qualifications.", messages.SUCCESS)

    def has_archive_permission(self, request) -> bool:
        return request.user.has_perm("qualifications.archive_qualification")


class ModuleForm(DuplicateCheckForm):
    class Meta:
        model = Module
        fields = "__all__"
        formfield_callback = https_formfield

    def find_duplicates(self, cleaned_data) -> QuerySet:
        return services.likely_duplicates_of_module(
            title=cleaned_data.get("title") or "", exclude_pk=self.instance.pk
        )


class UsedInFilter(admin.SimpleListFilter):
    title = "shared between qualifications?"
    parameter_name = "shared"

    def lookups(self, request, model_admin):
        return [("yes", "Used by two or more"), ("one", "Used by one"), ("none", "Not used yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(qualification_total__gte=2)
        if self.value() == "one":
            return queryset.filter(qualification_total=1)
        if self.value() == "none":
            return queryset.filter(qualification_total=0)
        return queryset


@admin.register(Module)
class ModuleAdmin(IQFModelAdmin):
    form = ModuleForm
    list_display = ["ref", "title", "level", "qualification_count", "is_archived"]
    list_display_links = ["ref", "title"]
    list_filter = ["level", UsedInFilter, "is_archived"]
    search_fields = ["ref", "title"]
    ordering = ["title", "ref"]
    autocomplete_fields = ["qualification"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        archive_action(field="is_archived", value=True, name="archive", description="Archive"),
        archive_action(field="is_archived", value=False, name="restore", description="Restore"),
    ]
    fieldsets = [
        (None, {"fields": ["confirm_duplicate", "ref", "title", "level", "learning_hours"]}),
        ("Also a qualification", {"fields": ["qualification"]}),
        ("Notes and status", {"fields": ["notes", "is_archived", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # counted per row shown, not grouped over the whole table before paging
        return (
            super()
            .get_queryset(request)
            .annotate(qualification_total=count_of(QualificationModule.objects.filter(module=OuterRef("pk"))))
        )

    @admin.display(description="used by qualifications", ordering="qualification_total")
    def qualification_count(self, obj: Module) -> int:
        return obj.qualification_total  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(AwardingBody)
class AwardingBodyAdmin(IQFModelAdmin):
    list_display = ["name", "qualification_count", "is_archived"]
    list_filter = ["is_archived"]
    search_fields = ["name"]
    ordering = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        archive_action(field="is_archived", value=True, name="archive", description="Archive"),
        archive_action(field="is_archived", value=False, name="restore", description="Restore"),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                qualification_total=count_of(Qualification.objects.filter(awarding_body=OuterRef("pk")))
            )
        )

    @admin.display(description="qualifications", ordering="qualification_total")
    def qualification_count(self, obj: AwardingBody) -> int:
        return obj.qualification_total  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(QualificationType)
class QualificationTypeAdmin(IQFModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]
    ordering = ["name"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Provider)
class ProviderAdmin(IQFModelAdmin):
    list_display = ["name", "region", "offering_count", "url", "is_archived"]
    list_filter = ["region", "is_archived"]
    search_fields = ["name"]
    ordering = ["name"]
    list_select_related = ["region"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        archive_action(field="is_archived", value=True, name="archive", description="Archive"),
        archive_action(field="is_archived", value=False, name="restore", description="Restore"),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(offering_total=count_of(Offering.objects.filter(provider=OuterRef("pk"))))
        )

    @admin.display(description="qualifications offered", ordering="offering_total")
    def offering_count(self, obj: Provider) -> int:
        return obj.offering_total  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(Region)
class RegionAdmin(NoRegexLookups, admin.ModelAdmin):
    list_display = ["name", "order"]
    ordering = ["order"]
    search_fields = ["name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
