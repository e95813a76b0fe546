"""The five §5 reports against a plain-Python oracle over random factory data.

``random_world`` builds clusters in two schemes, roles in zero, one or two clusters,
qualifications and modules at random levels, judgements in the Common Core and in a
framework with elements, and grids in every status, and records the same facts in plain
Python. The oracle computes each report from those facts by the definitions of DESIGN.md
§4 and §5 alone; the report function and the CSV a user downloads must both agree.
"""

import itertools
import random
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from reports.params import read_params
from reports.registry import REPORTS
from tests.support.factories import (
    AreaFactory,
    AttributeFactory,
    ClusterFactory,
    ClusterSchemeFactory,
    ElementFactory,
    FrameworkFactory,
    MappingReviewFactory,
    ModuleFactory,
    QualificationFactory,
    QualificationModuleFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    default_area,
    default_framework,
)
from tests.support.reports import csv_rows

pytestmark = pytest.mark.django_db

LEVELS = [0, 1, 2, 3, 4, 5, 6, 7, 8]
CODES = {None: "", 0: "E", **{n: str(n) for n in range(1, 9)}}


@dataclass
class World:
    """The facts, by primary key, as plain Python."""

    schemes: dict[str, int] = field(default_factory=dict)  # slug → pk
    clusters: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # pk → scheme, name, slug
    roles: dict[int, str] = field(default_factory=dict)  # pk → title
    role_clusters: set[tuple[int, int]] = field(default_factory=set)
    qualifications: dict[int, tuple[str, str, int | None]] = field(default_factory=dict)
    links: dict[tuple[int, int], bool] = field(default_factory=dict)  # (role, qual) → key
    modules: dict[int, int | None] = field(default_factory=dict)  # pk → level
    members: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)  # qual → modules
    #: framework slug → {"areas": [(number, elements)], "modules": pk → {(area, element|None)},
    #: "own": qual pk → {(area, element|None)}, "mapped": {qual pk}}
    frameworks: dict[str, dict] = field(default_factory=dict)


def random_world(seed: int) -> World:
    rng = random.Random(seed)
    w = World()
    objects = {}  # (kind, pk) → instance, for the factories
    # Schemes and clusters; names sort the same in Python and in any database collation.
    for s, (slug, default) in enumerate([("scheme-a", True), ("scheme-b", False)]):
        scheme = ClusterSchemeFactory(name=f"Scheme {slug[-1].upper()}", slug=slug, is_default=default)
        w.schemes[slug] = scheme.pk
        for c in range(4 if default else 2):
            name = f"Cluster {s}{c}"
            cluster = ClusterFactory(scheme=scheme, name=name, slug=f"cluster-{s}{c}")
            w.clusters[cluster.pk] = (scheme.pk, name, cluster.slug)
            objects[("cluster", cluster.pk)] = cluster
    by_scheme = {pk: [c for c, v in w.clusters.items() if v[0] == pk] for pk in w.schemes.values()}
    for r in range(10):
        role = RoleFactory(title=f"Role {r:02d}", slug=f"role-{r:02d}")
        w.roles[role.pk] = role.title
        objects[("role", role.pk)] = role
        a = by_scheme[w.schemes["scheme-a"]]
        # role 00 is in two clusters of the default scheme; role 09 in none of them
        chosen = a[:2] if r == 0 else [] if r == 9 else rng.sample(a, rng.choice([1, 1, 2]))
        chosen += rng.sample(by_scheme[w.schemes["scheme-b"]], rng.randint(0, 1))
        for cluster in chosen:
            RoleClusterFactory(role=role, cluster=objects[("cluster", cluster)])
            w.role_clusters.add((role.pk, cluster))
    for m in range(16):
        module = ModuleFactory(ref=f"M{m:03d}", level=rng.choice([None, *LEVELS, 3, 3]))
        w.modules[module.pk] = module.level
        objects[("module", module.pk)] = module
    module_pks = list(w.modules)
    for q in range(16):
        level = rng.choice([None, *LEVELS, 2, 3, 3])
        qualification = QualificationFactory(ref=f"R{q:03d}", title=f"Award {q:02d}", level=level)
        w.qualifications[qualification.pk] = (qualification.ref, qualification.title, level)
        objects[("qualification", qualification.pk)] = qualification
        w.members[qualification.pk] = []
        for module in rng.sample(module_pks, rng.randint(0, 4)):
            mandatory = rng.random() < 0.5
            QualificationModuleFactory(
                qualification=qualification, module=objects[("module", module)], mandatory=mandatory
            )
            w.members[qualification.pk].append((module, mandatory))
    for role in w.roles:
        for qualification in rng.sample(list(w.qualifications), rng.randint(0, 4)):
            key = rng.random() < 0.5
            RoleQualificationFactory(
                role=objects[("role", role)],
                is_key=key,
                qualification=objects[("qualification", qualification)],
            )
            w.links[(role, qualification)] = key

    # The Common Core: whole-area judgements; grids in every status.
    core = {"areas": [(n, 0) for n in range(1, 7)], "modules": {}, "own": {}, "mapped": set()}
    for module in w.modules:
        core["modules"][module] = {(n, None) for n in rng.sample(range(1, 7), rng.randint(0, 3))}
        for n, _ in core["modules"][module]:
            AttributeFactory(qualification=None, module=objects[("module", module)], area=default_area(n))
    for qualification in w.qualifications:
        core["own"][qualification] = {(n, None) for n in rng.sample(range(1, 7), rng.randint(0, 1))}
        for n, _ in core["own"][qualification]:
            AttributeFactory(qualification=objects[("qualification", qualification)], area=default_area(n))
        status = rng.choice(["approved", "accepted", "draft", "submitted", "returned", None])
        if status:
            MappingReviewFactory(
                qualification=objects[("qualification", qualification)],
                **({status: True} if status != "draft" else {}),
            )
        if status in ("approved", "accepted"):
            core["mapped"].add(qualification)
    w.frameworks[default_framework().slug] = core

    # A framework with elements: judgements of elements, and now and then of a whole area.
    framework = FrameworkFactory(name="Skills", slug="skills")
    shape = [(1, 0), (2, 2), (3, 3), (4, 4)]
    areas, elements = {}, {}
    for number, n in shape:
        areas[number] = AreaFactory(framework=framework, number=number)
        elements[number] = [ElementFactory(area=areas[number]) for _ in range(n)]
    skills = {"areas": shape, "modules": {}, "own": {}, "mapped": set()}

    def judge(subject: dict) -> set:
        judged = set()
        for number, _ in shape:
            if not elements[number] or rng.random() < 0.1:
                if rng.random() < 0.3:
                    judged.add((number, None))
                    AttributeFactory(area=areas[number], element=None, **subject)
            else:
                for element in rng.sample(elements[number], rng.randint(0, len(elements[number]))):
                    judged.add((number, element.pk))
                    AttributeFactory(area=areas[number], element=element, **subject)
        return judged

    for module in w.modules:
        skills["modules"][module] = judge({"qualification": None, "module": objects[("module", module)]})
    for qualification in w.qualifications:
        skills["own"][qualification] = (
            judge({"qualification": objects[("qualification", qualification)]})
            if rng.random() < 0.3
            else set()
        )
        status = rng.choice(["approved", "accepted", "draft", None])
        if status:
            MappingReviewFactory(
                qualification=objects[("qualification", qualification)],
                framework=framework,
                **({status: True} if status != "draft" else {}),
            )
        if status in ("approved", "accepted"):
            skills["mapped"].add(qualification)
    w.frameworks["skills"] = skills
    return w


# -- the oracle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    scheme: str = "scheme-a"
    cluster: str = ""
    framework: str = ""
    level: int | None = None
    key_only: bool = False
    guaranteed: bool = False
    rule: str = "any"

    def params(self) -> dict[str, str]:
        return {
            "scheme": self.scheme,
            "cluster": self.cluster,
            "framework": self.framework,
            "level": CODES[self.level],
            "key_only": "yes" if self.key_only else "no",
            "coverage": "guaranteed" if self.guaranteed else "possible",
            "rule": self.rule,
        }


class Oracle:
    def __init__(self, w: World, q: Query):
        self.w, self.q = w, q
        self.fw = w.frameworks[q.framework or default_framework().slug]
        self.scheme = w.schemes[q.scheme]
        self.clusters = sorted(
            (
                c
                for c, v in w.clusters.items()
                if v[0] == self.scheme and (not q.cluster or v[2] == q.cluster)
            ),
            key=lambda c: w.clusters[c][1],
        )
        self.cluster = next((c for c, v in w.clusters.items() if v[2] == q.cluster), None)

    # the sets of §4 and §5
    def roles_of(self, cluster: int) -> list[int]:
        return sorted((r for r, c in self.w.role_clusters if c == cluster), key=lambda r: self.w.roles[r])

    def quals_of(self, role: int, key: bool = False) -> set[int]:
        return {qual for (r, qual), is_key in self.w.links.items() if r == role and (is_key or not key)}

    def base(self) -> set[int]:
        quals = set(self.w.qualifications)
        if self.cluster is not None:
            quals &= set().union(*(self.quals_of(r) for r in self.roles_of(self.cluster)))
        if self.q.level is not None:
            quals = {p for p in quals if self.w.qualifications[p][2] == self.q.level}
        if self.q.key_only:
            quals &= {qual for (_, qual), key in self.w.links.items() if key}
        return quals

    def mapped(self) -> set[int]:
        return self.base() & self.fw["mapped"]

    def areas_from(self, judged: set) -> set[int]:
        covered = set()
        for number, elements in self.fw["areas"]:
            if (number, None) in judged:
                covered.add(number)
                continue
            count = len({e for a, e in judged if a == number and e is not None})
            need = {"any": 1, "half": -(-elements // 2), "all": elements}[self.q.rule]
            if elements and count >= max(need, 1):
                covered.add(number)
        return covered

    def qual_areas(self, qual: int) -> set[int]:
        judged = set(self.fw["own"].get(qual, set()))
        for module, mandatory in self.w.members[qual]:
            if mandatory or not self.q.guaranteed:
                judged |= self.fw["modules"][module]
        return self.areas_from(judged)

    def numbers(self) -> list[int]:
        return [n for n, _ in self.fw["areas"]]

    # the reports
    def provision(self) -> list[tuple]:
        base = self.base()

        def cells(quals: set[int], keys: set[int]) -> tuple:
            levels = [self.w.qualifications[p][2] for p in quals]
            return (len(quals), len(keys), *[levels.count(n) for n in [*LEVELS, None]])

        rows, everything, every_key = [], set(), set()
        for cluster in self.clusters:
            name = self.w.clusters[cluster][1]
            union, keys = set(), set()
            for role in self.roles_of(cluster):
                quals, key = self.quals_of(role) & base, self.quals_of(role, key=True) & base
                rows.append((name, self.w.roles[role], *cells(quals, key)))
                union |= quals
                keys |= key
            rows.append((name, "", *cells(union, keys)))
            everything |= union
            every_key |= keys
        rows.append(("All clusters", "", *cells(everything, every_key)))
        return rows

    def coverage(self) -> list[tuple]:
        rows = []
        for qual in sorted(self.mapped(), key=lambda p: self.w.qualifications[p][0]):
            ref, title, level = self.w.qualifications[qual]
            covered = self.qual_areas(qual)
            rows.append(
                (
                    ref,
                    title,
                    CODES[level],
                    len(covered),
                    *["yes" if n in covered else "no" for n in self.numbers()],
                )
            )
        return rows

    def module_areas(self) -> list[tuple]:
        modules = {
            m
            for qual in self.mapped()
            for m, mandatory in self.w.members[qual]
            if mandatory or not self.q.guaranteed
        }
        if self.q.level is not None:
            modules = {m for m in modules if self.w.modules[m] == self.q.level}
        covered = {m: self.areas_from(self.fw["modules"][m]) for m in modules}

        def share(n: int) -> str:
            return f"{n / len(modules):.4f}" if modules else "0.0000"

        rows = []
        for number in self.numbers():
            n = sum(1 for areas in covered.values() if number in areas)
            rows.append((number, n, share(n)))
        none = sum(1 for areas in covered.values() if not areas)
        rows.append(("none", none, share(none)))
        return rows

    def role_gaps(self) -> list[tuple]:
        base, mapped = self.base(), self.mapped()
        roles = {r for c in self.clusters for r in self.roles_of(c)}
        rows = []
        for role in sorted(roles, key=lambda r: self.w.roles[r]):
            names = sorted(
                self.w.clusters[c][1]
                for r, c in self.w.role_clusters
                if r == role and self.w.clusters[c][0] == self.scheme
            )
            keys = self.quals_of(role, key=True) & base
            mapped_keys = keys & mapped
            reached = set().union(*(self.qual_areas(p) for p in mapped_keys))
            missing = [n for n in self.numbers() if n not in reached]
            note = (
                "no key qualification"
                if not keys
                else "no key qualification mapped yet"
                if not mapped_keys
                else ""
            )
            rows.append(
                (
                    ";".join(names),
                    self.w.roles[role],
                    len(keys),
                    len(mapped_keys),
                    ";".join(map(str, missing)),
                    note,
                )
            )
        return rows

    def level_gaps(self) -> list[tuple]:
        base = self.base()
        rows = []
        for cluster in self.clusters:
            quals = set().union(*(self.quals_of(r) for r in self.roles_of(cluster))) & base
            levels = sorted({self.w.qualifications[p][2] for p in quals} - {None})
            missing = [n for n in range(levels[0], levels[-1] + 1) if n not in levels] if levels else []
            rows.append(
                (
                    self.w.clusters[cluster][1],
                    ";".join(CODES[n] for n in levels),
                    ";".join(CODES[n] for n in missing),
                )
            )
        return rows


ORACLES = {
    "provision": Oracle.provision,
    "coverage": Oracle.coverage,
    "module-areas": Oracle.module_areas,
    "role-gaps": Oracle.role_gaps,
    "level-gaps": Oracle.level_gaps,
}


def check(client, w: World, query: Query, names=tuple(ORACLES)) -> None:
    for name in names:
        expected = ORACLES[name](Oracle(w, query))
        params, _ = read_params(QueryDict(urlencode(query.params())))
        result = REPORTS[name].build(params)
        assert list(result.main.rows) == expected, (name, query)
        # and what the user downloads: the same cells as text
        assert csv_rows(client, name, **query.params())[1:] == [
            [str(cell) for cell in row] for row in expected
        ], (name, query)


def queries_for(w: World, rng: random.Random) -> list[Query]:
    """Both coverage modes crossed with cluster, level and key_only choices, two of each."""
    default = [v[2] for v in w.clusters.values() if v[0] == w.schemes["scheme-a"]]
    clusters = ["", rng.choice(default)]
    levels = [None, rng.choice([2, 3])]
    combos = itertools.product([False, True], clusters, levels, [False, True])
    return [Query(cluster=c, level=lv, key_only=k, guaranteed=g) for g, c, lv, k in combos]


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_reports_match_the_oracle_in_the_common_core(client, seed):
    w = random_world(seed)
    rng = random.Random(seed)
    for query in queries_for(w, rng):
        check(client, w, query)


@pytest.mark.parametrize("seed", [21, 22])
def test_reports_match_the_oracle_in_another_scheme(client, seed):
    w = random_world(seed)
    for query in [
        Query(scheme="scheme-b"),
        Query(scheme="scheme-b", cluster="cluster-10"),
        Query(scheme="scheme-b", guaranteed=True, key_only=True),
    ]:
        check(client, w, query)


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_reports_match_the_oracle_for_a_framework_with_elements(client, seed):
    w = random_world(seed)
    for rule, guaranteed, cluster in itertools.product(
        ["any", "half", "all"], [False, True], ["", "cluster-01"]
    ):
        check(
            client,
            w,
            Query(framework="skills", rule=rule, guaranteed=guaranteed, cluster=cluster),
            names=("coverage", "module-areas", "role-gaps"),
        )


@pytest.mark.parametrize("seed", [11, 12])
def test_the_world_has_the_cases_the_oracle_is_meant_to_exercise(seed):
    """A guard against a generator too tame to test anything."""
    for w in [random_world(seed)]:
        core = w.frameworks[default_framework().slug]
        assert core["mapped"] and set(w.qualifications) - core["mapped"]
        assert any(not mandatory for members in w.members.values() for _, mandatory in members)
        assert any(key for key in w.links.values()) and any(not k for k in w.links.values())
        skills = w.frameworks["skills"]
        assert any(e is not None for judged in skills["modules"].values() for _, e in judged)
        levels = Oracle(w, Query()).level_gaps()
        assert any(row[2] for row in levels)  # some cluster has a gap
