"""What the benchmark requests: one URL per public page type, each report's page and CSV,
and the admin's main changelists, chosen from the data so that each is a busy case (the
role with the most qualifications, the qualification with the most modules…)."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.db.models import Count
from django.urls import reverse

from iqf.lib.levels import level_code
from qualifications.models import Module, Qualification, QualificationType
from reports.registry import REPORTS
from roles.models import Cluster, ClusterScheme, Role


@dataclass(frozen=True)
class Target:
    group: str  # "page", "report", "csv" or "admin"
    name: str
    url: str


def _busiest(queryset, relation: str):
    return queryset.annotate(n=Count(relation)).order_by("-n", "pk").first()


def page_targets() -> list[Target]:
    scheme = ClusterScheme.objects.filter(is_default=True).first()
    cluster = _busiest(Cluster.objects.filter(scheme=scheme), "role_links")
    roles = Role.objects.current()
    role = _busiest(roles, "qualification_links")
    # a move up a pathway: from a role at a lower level to the busiest role's level
    start = (
        roles.exclude(pk=role.pk).filter(level__lt=role.level or 9).order_by("-level", "pk").first()
        or roles.exclude(pk=role.pk).order_by("pk").first()
    )
    qualification = _busiest(Qualification.objects.all(), "memberships")
    module = _busiest(Module.objects.all(), "memberships")
    # two facets a manager would combine: the commonest type at the commonest level
    top = (
        Qualification.objects.current()
        .exclude(level=None)
        .values("level", "qualification_type")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    type_name = QualificationType.objects.get(pk=top["qualification_type"]).name
    finder = urlencode({"level": level_code(top["level"]), "type": type_name})
    # a search for a word someone looking for that qualification would type: the rarest
    # word of four letters or more in its title (a word in most titles is no search)
    words = {w for w in qualification.title.split() if len(w) >= 4} or set(qualification.title.split())
    word = min(sorted(words), key=lambda w: Qualification.objects.filter(title__icontains=w).count())
    return [
        Target("page", "home", "/"),
        Target("page", "clusters", "/clusters/"),
        Target("page", "cluster", f"/clusters/{scheme.slug}/{cluster.slug}/"),
        Target("page", "role", f"/roles/{role.slug}/"),
        Target("page", "qualification", f"/qualifications/{quote(qualification.ref)}/"),
        Target("page", "module", f"/modules/{quote(module.ref)}/"),
        Target("page", "finder (two facets)", f"/qualifications/?{finder}"),
        Target("page", "finder (no filter)", "/qualifications/"),
        Target("page", "finder (search)", f"/qualifications/?{urlencode({'q': word})}"),
        Target("page", "role move", f"/role-move/?from={start.slug}&to={role.slug}"),
        Target("page", "providers", "/providers/"),
        Target("page", "common core", "/common-core/"),
        Target("page", "reports index", "/reports/"),
    ]


def report_targets() -> list[Target]:
    targets = []
    for name in REPORTS:
        targets.append(Target("report", name, f"/reports/{name}/"))
        targets.append(Target("csv", name, f"/reports/{name}.csv"))
    return targets


ADMIN_CHANGELISTS = [
    ("qualifications", "qualifications_qualification"),
    ("modules", "qualifications_module"),
    ("roles", "roles_role"),
    ("providers", "qualifications_provider"),
    ("mapping reviews", "commoncore_mappingreview"),
]


def admin_targets() -> list[Target]:
    return [Target("admin", name, reverse(f"admin:{model}_changelist")) for name, model in ADMIN_CHANGELISTS]
