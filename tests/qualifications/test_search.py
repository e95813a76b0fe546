"""The finder's search: its matches are found once and named by id to every count
(``iqf.lib.idset.InIds``), and on PostgreSQL the trigram indexes can serve each of its
conditions. Expected matches and counts are worked out here in plain Python."""

import random
from collections import Counter

import pytest
from django.db import connection

from iqf.lib import idset
from iqf.lib.idset import InIds
from iqf.lib.levels import level_code
from qualifications.models import Module, Qualification, QualificationModule
from tests.support.factories import ModuleFactory, QualificationFactory, QualificationModuleFactory
from tests.support.qualification_pages import checkbox_counts, finder, result_titles

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's"
)


@pytest.mark.parametrize("how_many", [0, 3, idset.LOOKED_UP + 1, 40_000])
def test_in_ids_keeps_exactly_the_rows_named_however_many_ids(how_many):
    rows = QualificationFactory.create_batch(12)
    chosen = {q.pk for q in random.Random(how_many).sample(rows, min(how_many, 5))}
    absent = max(q.pk for q in rows) + 1
    ids = list(chosen) + list(range(absent, absent + max(0, how_many - len(chosen))))

    kept = set(Qualification.objects.filter(InIds("pk", ids)).values_list("pk", flat=True))
    left_out = set(Qualification.objects.exclude(InIds("pk", ids)).values_list("pk", flat=True))

    assert kept == chosen
    assert left_out == {q.pk for q in rows} - chosen


def _words(*texts: str) -> str:
    return " ".join(texts).casefold()


def test_search_results_and_level_counts_are_those_of_every_word_anywhere(client):
    rng = random.Random(7)
    vocabulary = ["Playwork", "Care", "Youth", "Learning", "Outdoor", "Safeguarding"]
    modules = [ModuleFactory(title=f"{rng.choice(vocabulary)} unit {n}") for n in range(8)]
    for n in range(30):
        qualification = QualificationFactory(
            title=f"{rng.choice(vocabulary)} diploma {n}",
            level=rng.choice([2, 3, 4]),
            ref=f"{600 + n}/{rng.choice(['PLAY', 'CARE', 'X'])}",
        )
        for module in rng.sample(modules, rng.randint(0, 3)):
            QualificationModuleFactory(qualification=qualification, module=module)
    module_titles: dict[int, list[str]] = {}
    for link in QualificationModule.objects.select_related("module"):
        module_titles.setdefault(link.qualification_id, []).append(link.module.title)

    for search in ["playwork", "care unit", "PLAY youth", "safeguarding outdoor diploma"]:
        terms = search.casefold().split()
        matches = [
            q
            for q in Qualification.objects.all()
            if all(term in _words(q.title, q.ref, *module_titles.get(q.pk, [])) for term in terms)
        ]
        response = finder(client, f"q={search.replace(' ', '+')}")

        assert sorted(result_titles(response)) == sorted(q.title for q in matches)
        shown = {code: n for code, n in checkbox_counts(response, "level").items() if n}
        assert shown == dict(Counter(level_code(q.level) for q in matches))


def test_the_search_is_made_once_for_the_results_and_every_count(client):
    QualificationModuleFactory(module=ModuleFactory(title="Playwork in practice"))
    QualificationFactory(title="Diploma in Playwork")
    plain = len(_queries_of(client, "level=3"))

    searched = _queries_of(client, "q=playwork&level=3")

    looking = [sql for sql in searched if "LIKE" in sql.upper()]
    assert len(looking) == 1  # one query searches; the others name its matches
    assert len(searched) == plain + 1


def _queries_of(client, query: str) -> list[str]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert finder(client, query).status_code == 200
    return [q["sql"] for q in captured]


@postgresql_only
@pytest.mark.parametrize(
    ("model", "lookup", "index"),
    [
        (Qualification, "title__icontains", "qualification_title_trgm"),
        (Qualification, "ref__icontains", "qualification_ref_trgm"),
        (Module, "title__icontains", "module_title_trgm"),
    ],
)
def test_each_search_condition_can_be_answered_from_its_trigram_index(model, lookup, index):
    # with sequential scans ruled out, the planner can only use an index that matches
    # the condition Django writes (UPPER(column) LIKE UPPER('%word%'))
    queryset = model.objects.order_by().filter(**{lookup: "playwork"}).values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
