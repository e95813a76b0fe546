"""The parameters every report takes (DESIGN.md §5), read through one django-filter form.

``scheme``, ``cluster`` and ``framework`` are names or slugs; ``level`` is ``E``/``1``…``8``;
``key_only`` and ``coverage`` take the words of §5; ``rule`` (``any``, ``half``, ``all``)
says when the elements of an area add up to the area, for a framework with elements. An
unknown value is a form error, which the views turn into a 400 page naming it.

The filter set's queryset is the base set every report counts from: the qualifications
of the chosen cluster, at the chosen level, key for some role when ``key_only=yes``.
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from commoncore.coverage import AreaInfo, Mode, Rule, areas_of
from commoncore.models import Framework
from iqf.lib.levels import Level, level_code, parse_level
from qualifications.models import Qualification
from roles.models import Cluster, ClusterScheme, RoleQualification

PARAMETERS = ("scheme", "cluster", "framework", "level", "key_only", "coverage", "rule")


def _named(queryset: QuerySet, value: str):
    """The row whose slug, or name ignoring case, is ``value``."""
    return queryset.filter(Q(slug=value) | Q(name__iexact=value)).first()


class ReportForm(forms.Form):
    def _text(self, data: dict, name: str) -> str | None:
        """The field's cleaned text, or None when the field refused it (a NUL character,
        which the database cannot even be asked about)."""
        if self.has_error(name):
            return None
        return (data.get(name) or "").strip()

    def clean(self):
        data = super().clean()
        assert data is not None  # a form's clean gives its cleaned data
        text = self._text(data, "scheme")
        schemes = ClusterScheme.objects.all()
        scheme = (
            None
            if text is None
            else _named(schemes, text)
            if text
            else schemes.filter(is_default=True).first()
        )
        if text and scheme is None:
            self.add_error("scheme", f"There is no cluster scheme called “{text}”.")
        data["scheme"] = scheme
        text = self._text(data, "cluster")
        data["cluster"] = None
        if text and scheme is not None:
            cluster = _named(Cluster.objects.filter(scheme=scheme), text)
            if cluster is None:
                self.add_error("cluster", f"The scheme “{scheme.name}” has no cluster called “{text}”.")
            data["cluster"] = cluster
        text = self._text(data, "framework")
        frameworks = Framework.objects.all()
        framework = (
            None
            if text is None
            else _named(frameworks, text)
            if text
            else frameworks.filter(is_default=True).first()
        )
        if framework is None and text is not None:
            self.add_error("framework", f"There is no framework called “{text}”.")
        data["framework"] = framework
        return data


class ReportFilter(django_filters.FilterSet):
    scheme = django_filters.CharFilter(label="Cluster scheme", method="keep")
    cluster = django_filters.CharFilter(label="Cluster", method="filter_cluster")
    framework = django_filters.CharFilter(label="Framework", method="keep")
    level = django_filters.ChoiceFilter(
        label="Level",
        method="filter_level",
        empty_label="All levels",
        choices=[(level_code(value), label) for value, label in Level.choices],
    )
    key_only = django_filters.ChoiceFilter(
        label="Qualifications",
        method="filter_key_only",
        empty_label=None,
        choices=[("no", "All qualifications"), ("yes", "Only those key for a role")],
    )
    coverage = django_filters.ChoiceFilter(
        label="Coverage",
        method="keep",
        empty_label=None,
        choices=[
            (Mode.POSSIBLE.value, "Possible: any module"),
            (Mode.GUARANTEED.value, "Guaranteed: mandatory modules only"),
        ],
    )
    rule = django_filters.ChoiceFilter(
        label="An area with elements counts as covered when",
        method="keep",
        empty_label=None,
        choices=[(r.value, r.label.capitalize()) for r in Rule],
    )

    class Meta:
        model = Qualification
        fields: list[str] = []
        form = ReportForm

    def __init__(self, data: QueryDict | None = None, **kwargs):
        super().__init__(data, queryset=Qualification.objects.all(), **kwargs)

    def keep(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    def filter_cluster(self, queryset: QuerySet, name: str, value) -> QuerySet:
        cluster = self.form.cleaned_data.get("cluster")
        if cluster is None:
            return queryset
        return queryset.filter(
            pk__in=RoleQualification.objects.filter(role__cluster_links__cluster=cluster).values(
                "qualification_id"
            )
        )

    def filter_level(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(level=parse_level(value))

    def filter_key_only(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value != "yes":
            return queryset
        return queryset.filter(
            Exists(RoleQualification.objects.filter(qualification=OuterRef("pk"), is_key=True))
        )


@dataclass(frozen=True)
class Params:
    """The cleaned parameters, and the base set of qualifications (a lazy queryset)."""

    scheme: ClusterScheme | None
    cluster: Cluster | None
    framework: Framework
    areas: list[AreaInfo]
    level: int | None
    key_only: bool
    mode: Mode
    rule: Rule
    qualifications: QuerySet

    @property
    def every_qualification(self) -> bool:
        """Whether the base set is every qualification (no cluster, level or key-only
        filter), so that a query need not restrict to it."""
        return self.cluster is None and self.level is None and not self.key_only

    def within(self, path: str = "qualification") -> dict:
        """A filter keeping rows whose ``path`` is a qualification of the base set; none
        when that is every qualification (an IN over the whole table is no restriction,
        and SQLite drives its joins from it, to their cost at scale)."""
        return {} if self.every_qualification else {f"{path}__in": self.qualifications.values("pk")}

    def query(self) -> dict[str, str]:
        """The parameters as a query string would give them (defaults left out)."""
        pairs = {
            "scheme": self.scheme.slug if self.scheme and not self.scheme.is_default else "",
            "cluster": self.cluster.slug if self.cluster else "",
            "framework": "" if self.framework.is_default else self.framework.slug,
            "level": level_code(self.level),
            "key_only": "yes" if self.key_only else "",
            "coverage": "" if self.mode == Mode.POSSIBLE else self.mode.value,
            "rule": "" if self.rule == Rule.ANY else self.rule.value,
        }
        return {k: v for k, v in pairs.items() if v}


class ParameterError(ValueError):
    def __init__(self, messages: list[str], filterset: ReportFilter):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.filterset = filterset


def read_params(data: QueryDict) -> tuple[Params, ReportFilter]:
    """Clean a report's query string, or raise ParameterError with every problem."""
    filterset = ReportFilter(data)
    # A parameter given twice with different values would be read as its last value: a
    # report other than the one asked for, silently.
    repeated = [
        f"{filterset.form.fields[name].label}: “{name}” is given {len(data.getlist(name))} "
        "times with different values; give it once"
        for name in PARAMETERS
        if len(set(data.getlist(name))) > 1
    ]
    if not filterset.is_valid() or repeated:
        messages = repeated + [
            f"{filterset.form.fields[name].label}: {error}" if name in filterset.form.fields else str(error)
            for name, errors in filterset.form.errors.items()
            for error in errors
        ]
        raise ParameterError(messages, filterset)
    cleaned = filterset.form.cleaned_data
    framework = cleaned["framework"]
    params = Params(
        scheme=cleaned["scheme"],
        cluster=cleaned["cluster"],
        framework=framework,
        areas=areas_of(framework),
        level=parse_level(cleaned.get("level") or ""),
        key_only=cleaned.get("key_only") == "yes",
        mode=Mode(cleaned.get("coverage") or Mode.POSSIBLE),
        rule=Rule(cleaned.get("rule") or Rule.ANY),
        qualifications=filterset.qs,
    )
    return params, filterset
