"""Bundle sheets for cluster schemes, clusters, roles and their links."""

from django.db.models import QuerySet

from bundles.resources import BundleResource, column
from bundles.rows import LevelWidget, Lookup, RowReader, YesNoWidget, cell_text, norm
from bundles.sheets.qualifications import qualification_lookup
from qualifications.models import Qualification
from roles import keys
from roles.models import Cluster, ClusterScheme, Role, RoleCluster, RoleQualification
from roles.services import scheme_create, unique_slug


class ClusterLookup:
    """Clusters by (scheme, cluster) names, case-insensitive."""

    label = "cluster"

    def __init__(self):
        self.items = {
            (c.scheme.name.casefold(), c.name.casefold()): c for c in Cluster.objects.select_related("scheme")
        }

    def find(self, reader: RowReader):
        scheme = reader.text("scheme", required=True)
        name = reader.text("cluster", required=True)
        if not scheme or not name:
            return None
        cluster = self.items.get((scheme.casefold(), name.casefold()))
        if cluster is None:
            reader.fail(
                "cluster",
                f"no cluster {name!r} exists in scheme {scheme!r} or is defined earlier in the bundle",
            )
        return cluster


def role_lookup() -> Lookup:
    return Lookup("role", lambda: Role.objects.only("id", "title"), lambda r: r.title)


class ClusterResource(BundleResource):
    sheet = "clusters"
    key_columns = ("scheme", "cluster")

    scheme = column("scheme", "scheme__name")
    cluster = column("cluster", "name")

    class Meta(BundleResource.Meta):
        model = Cluster
        fields = ("scheme", "cluster")

    def before_import(self, dataset, **kwargs):
        # A bundle may introduce a scheme simply by naming it.
        if "scheme" in dataset.headers:
            known = {s.name.casefold() for s in ClusterScheme.objects.all()}
            for value in dataset["scheme"]:
                try:
                    name = cell_text(value)
                except ValueError:
                    continue  # reported against the row
                if name and len(name) <= 150 and name.casefold() not in known:
                    scheme_create(name=name)
                    known.add(name.casefold())
        super().before_import(dataset, **kwargs)
        self.schemes = Lookup("cluster scheme", ClusterScheme.objects.all, lambda s: s.name)
        self.slugs: dict[int, set[str]] = {}
        for scheme_id, slug in Cluster.objects.values_list("scheme_id", "slug"):
            self.slugs.setdefault(scheme_id, set()).add(slug)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.scheme.name), norm(instance.name))

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        scheme = reader.lookup("scheme", self.schemes, required=True)
        instance.name = reader.text("cluster", required=True, max_length=150)
        if scheme and new:
            instance.scheme = scheme
            instance.slug = unique_slug(instance.name, self.slugs.setdefault(scheme.pk, set()))

    def export_queryset(self) -> QuerySet:
        return Cluster.objects.select_related("scheme").order_by("scheme__name", "name")


class RoleResource(BundleResource):
    sheet = "roles"
    key_columns = ("role",)
    extra_columns = ("status",)

    role = column("role", "title")
    level = column("level", widget=LevelWidget())
    description = column("description")
    status = column("status")

    class Meta(BundleResource.Meta):
        model = Role
        fields = ("role", "level", "description", "status")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.slugs = set(Role.objects.values_list("slug", flat=True))

    def instance_key(self, instance) -> tuple:
        return (norm(instance.title),)

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        instance.title = reader.text("role", required=True, max_length=255)
        if new and instance.title:
            instance.slug = unique_slug(instance.title, self.slugs)
        if reader.has("level"):
            instance.level = reader.level("level")
        if reader.has("description"):
            instance.description = reader.text("description")
        if reader.has("status"):
            instance.status = reader.choice(
                "status", [v for v, _ in Role.Status.choices], default=Role.Status.CURRENT
            )

    def export_queryset(self) -> QuerySet:
        return Role.objects.order_by("title")


class RoleClusterResource(BundleResource):
    sheet = "role_clusters"
    key_columns = ("scheme", "cluster", "role")

    scheme = column("scheme", "cluster__scheme__name")
    cluster = column("cluster", "cluster__name")
    role = column("role", "role__title")

    class Meta(BundleResource.Meta):
        model = RoleCluster
        fields = ("scheme", "cluster", "role")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.clusters = ClusterLookup()
        self.roles = self.shared_lookup(Role, role_lookup)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.cluster.scheme.name), norm(instance.cluster.name), norm(instance.role.title))

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        cluster = self.clusters.find(reader)
        role = reader.lookup("role", self.roles, required=True)
        if cluster:
            instance.cluster = cluster
        if role:
            instance.role = role

    def export_queryset(self) -> QuerySet:
        return RoleCluster.objects.select_related("cluster__scheme", "role").order_by(
            "cluster__scheme__name", "cluster__name", "role__title"
        )


class RoleQualificationResource(BundleResource):
    sheet = "role_qualifications"
    key_columns = ("role", "qualification_ref")

    role = column("role", "role__title")
    qualification_ref = column("qualification_ref", "qualification__ref")
    key = column("key", "is_key", widget=YesNoWidget())

    class Meta(BundleResource.Meta):
        model = RoleQualification
        fields = ("role", "qualification_ref", "key")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.roles = self.shared_lookup(Role, role_lookup)
        self.qualifications = self.shared_lookup(Qualification, qualification_lookup)
        self.linked: set[int] = set()  # the qualifications the sheet names

    def after_write(self, data) -> None:
        keys.refresh(self.linked)

    def instance_key(self, instance) -> tuple:
        return (norm(instance.role.title), norm(instance.qualification.ref))

    def read_row(self, instance, reader: RowReader, new: bool) -> None:
        role = reader.lookup("role", self.roles, required=True)
        qualification = reader.lookup("qualification_ref", self.qualifications, required=True)
        if role:
            instance.role = role
        if qualification:
            instance.qualification = qualification
            self.linked.add(qualification.pk)
        if reader.has("key") or new:
            instance.is_key = reader.yes_no("key", default=False)

    def export_queryset(self) -> QuerySet:
        return RoleQualification.objects.select_related("role", "qualification").order_by(
            "role__title", "qualification__ref"
        )
