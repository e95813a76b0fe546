from django.contrib import admin
from django.db.models import OuterRef

from iqf.lib.admin import IQFModelAdmin, JoinedTabularInline, archive_action, count_of
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification


class ClusterInline(admin.TabularInline):
    model = Cluster
    fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0
    show_change_link = True

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClusterScheme)
class ClusterSchemeAdmin(IQFModelAdmin):
    list_display = ["name", "is_default", "cluster_count"]
    search_fields = ["name"]
    ordering = ["-is_default", "name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ClusterInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(cluster_total=count_of(Cluster.objects.filter(scheme=OuterRef("pk"))))
        )

    @admin.display(description="clusters", ordering="cluster_total")
    def cluster_count(self, obj: ClusterScheme) -> int:
        return obj.cluster_total  # type: ignore[attr-defined]  # annotated by get_queryset


class RoleClusterInline(JoinedTabularInline):
    model = RoleCluster
    fields = ["cluster"]
    autocomplete_fields = ["cluster"]
    extra = 0
    verbose_name_plural = "clusters (in any scheme)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cluster__scheme", "role")


class ClusterRoleInline(JoinedTabularInline):
    model = RoleCluster
    fields = ["role"]
    autocomplete_fields = ["role"]
    extra = 0
    verbose_name_plural = "roles in this cluster"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("role", "cluster")


class RoleQualificationInline(JoinedTabularInline):
    model = RoleQualification
    fields = ["qualification", "is_key"]
    autocomplete_fields = ["qualification"]
    extra = 0
    verbose_name_plural = "qualifications (tick key for the significant ones)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("qualification", "role")


@admin.register(Cluster)
class ClusterAdmin(IQFModelAdmin):
    list_display = ["name", "scheme", "role_count"]
    list_filter = ["scheme"]
    search_fields = ["name", "scheme__name"]
    ordering = ["scheme__name", "name"]
    list_select_related = ["scheme"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ClusterRoleInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(role_total=count_of(RoleCluster.objects.filter(cluster=OuterRef("pk"))))
        )

    @admin.display(description="roles", ordering="role_total")
    def role_count(self, obj: Cluster) -> int:
        return obj.role_total  # type: ignore[attr-defined]  # annotated by get_queryset


class NoKeyQualificationFilter(admin.SimpleListFilter):
    title = "has a key qualification?"
    parameter_name = "has_key"

    def lookups(self, request, model_admin):
        return [("no", "No key qualification"), ("yes", "Has a key qualification")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(key_total=0)
        if self.value() == "yes":
            return queryset.filter(key_total__gt=0)
        return queryset


@admin.register(Role)
class RoleAdmin(IQFModelAdmin):
    list_display = ["title", "level", "qualification_count", "key_count", "status"]
    list_filter = ["status", "level", "clusters__scheme", NoKeyQualificationFilter]
    search_fields = ["title", "clusters__name"]
    ordering = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RoleClusterInline, RoleQualificationInline]
    fields = ["title", "slug", "level", "description", "status", "created_at", "updated_at"]
    actions = [
        archive_action(field="status", value=Role.Status.ARCHIVED, name="archive", description="Archive"),
        archive_action(field="status", value=Role.Status.CURRENT, name="restore", description="Restore"),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                qualification_total=count_of(RoleQualification.objects.filter(role=OuterRef("pk"))),
                key_total=count_of(RoleQualification.objects.filter(role=OuterRef("pk"), is_key=True)),
            )
        )

    @admin.display(description="qualifications", ordering="qualification_total")
    def qualification_count(self, obj: Role) -> int:
        return obj.qualification_total  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="key", ordering="key_total")
    def key_count(self, obj: Role) -> int:
        return obj.key_total  # type: ignore[attr-defined]  # annotated by get_queryset
