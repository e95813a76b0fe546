"""Hostile query strings and stored text on the public pages, the reports and the admin
changelists: a 4xx with a message or the right page, never a 500 or a traceback, nothing
written, stored text escaped, download headers well-formed."""

import re
import time

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from qualifications.models import Qualification
from roles.models import Role
from tests.support.factories import (
    ClusterFactory,
    ClusterSchemeFactory,
    OfferingFactory,
    ProviderFactory,
    QualificationFactory,
    RoleClusterFactory,
    RoleFactory,
    RoleQualificationFactory,
    UserFactory,
)
from tests.support.hostile import assert_clean_response, changed_tables, snapshot
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def get(client: Client, url: str, *, status: int | tuple[int, ...]):
    """GET ``url``: the status expected, no traceback, nothing written. The page's text."""
    before = snapshot()
    response = client.get(url)
    assert_clean_response(response)
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status_code in expected, (url, response.status_code)
    assert changed_tables(before) == []
    return response


@pytest.fixture
def staff_client() -> Client:
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Data clerk"))
    client = Client()
    client.force_login(user)
    return client


FINDER = "/qualifications/"
PROVIDERS = "/providers/"
REPORT = "/reports/provision/"
ADMIN_LIST = "/admin/qualifications/qualification/"


# -- page numbers --------------------------------------------------------------------


@pytest.mark.parametrize("url", [FINDER, PROVIDERS, REPORT, "/clusters/"])
@pytest.mark.parametrize("page", ["0", "-1", "abc", "1e9", "²", "1%00"])
def test_a_page_number_that_is_not_one_is_a_400_with_a_message(client, url, page):
    QualificationFactory()
    ClusterFactory(scheme=ClusterSchemeFactory(is_default=True))

    response = get(client, f"{url}?page={page}", status=400)

    assert "is not a page number: use a whole number, 1 or more" in page_text(response)


@pytest.mark.parametrize("url", [FINDER, PROVIDERS, REPORT])
def test_a_page_past_the_last_is_a_404(client, url):
    QualificationFactory()

    get(client, f"{url}?page=1000000000", status=404)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1e9", "99999999999999999999"])
def test_admin_changelist_survives_any_page_number(staff_client, page):
    QualificationFactory()

    get(staff_client, f"{ADMIN_LIST}?p={page}", status=(200, 302, 404))


# -- admin ordering and lookups --------------------------------------------------------


@pytest.mark.parametrize("query", ["o=99", "o=-99.1", "o=abc", "o=1.2.3.99", "o=" + "1." * 500])
def test_admin_changelist_ignores_an_unknown_ordering(staff_client, query):
    QualificationFactory(ref="Q1")

    response = get(staff_client, f"{ADMIN_LIST}?{query}", status=200)

    assert "Q1" in page_text(response)


@pytest.mark.parametrize(
    "query", ["foo__bar=1", "awarding_body__id__gt=x", "password=1", "awarding_body__secret=1"]
)
def test_admin_changelist_refuses_an_unknown_lookup(staff_client, query):
    response = get(staff_client, f"{ADMIN_LIST}?{query}", status=(302, 400))

    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("query", ["title__regex=(a%2B)%2B%24", "ref__iregex=.*"])
def test_admin_changelist_refuses_a_regular_expression_lookup(staff_client, query):
    # (a+)+$ against a long run of a's backtracks for minutes
    QualificationFactory(title="a" * 40 + "b")
    started = time.perf_counter()

    get(staff_client, f"{ADMIN_LIST}?{query}", status=400)

    assert time.perf_counter() - started < 2


def registered_changelists() -> list[str]:
    return sorted(f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in site._registry)


@pytest.mark.parametrize("url", registered_changelists())
def test_every_admin_changelist_refuses_a_regular_expression_lookup(url):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    get(client, f"{url}?id__regex=(a%2B)%2B%24", status=400)


# -- search: wildcards, NUL, long and repeated parameters ------------------------------


def titles_found(response) -> set[str]:
    return {title for title in ("100% Play", "Care_work", "Care work") if title in page_text(response)}


@pytest.mark.parametrize(
    "term,expected",
    [
        ("%", {"100% Play"}),
        ("_", {"Care_work"}),
        ("100%", {"100% Play"}),
        ("e_w", {"Care_work"}),
    ],
)
def test_finder_search_matches_like_wildcards_literally(client, term, expected):
    QualificationFactory(title="100% Play")
    QualificationFactory(title="Care_work")
    QualificationFactory(title="Care work")

    response = get(client, f"{FINDER}?q={term.replace('%', '%25')}", status=200)

    assert titles_found(response) == expected


def test_admin_search_matches_a_percent_sign_literally(staff_client):
    QualificationFactory(title="100% Play")
    QualificationFactory(title="Care work")

    response = get(staff_client, f"{ADMIN_LIST}?q=%25", status=200)

    assert titles_found(response) == {"100% Play"}


@pytest.mark.parametrize("url", [FINDER + "?q=", REPORT + "?scheme=", PROVIDERS + "?region="])
def test_a_nul_character_in_a_parameter_is_a_400(client, url):
    get(client, url + "a%00b", status=400)


@pytest.mark.parametrize("url", [FINDER + "?q=", REPORT + "?cluster=", "/role-move/?from="])
def test_an_8_kb_query_string_gets_an_answer_not_an_error(client, url):
    started = time.perf_counter()

    get(client, url + "x" * 8192, status=(200, 400))

    assert time.perf_counter() - started < 5


def test_an_8_kb_query_string_of_unknown_parameters_is_ignored(client):
    query = "&".join(f"p{i}=v" for i in range(1000))

    get(client, f"{REPORT}?{query}", status=200)


def test_finder_search_of_many_words_is_answered(client):
    get(client, FINDER + "?q=" + "+".join(["care"] * 2000), status=(200, 400))


@pytest.mark.parametrize(
    "query",
    ["level=1&level=9", "level=9&level=1", "coverage=possible&coverage=guaranteed", "scheme=a&scheme=b"],
)
def test_a_report_parameter_given_twice_is_a_400_naming_it(client, query):
    name = query.split("=")[0]

    response = get(client, f"{REPORT}?{query}", status=400)

    assert f"“{name}” is given 2 times with different values; give it once" in page_text(response)


def test_a_report_parameter_repeated_with_the_same_value_is_accepted(client):
    get(client, f"{REPORT}?level=2&level=2", status=200)


# -- unknown values of report parameters ----------------------------------------------


@pytest.mark.parametrize(
    "query,message",
    [
        ("scheme=no-such-scheme", "There is no cluster scheme called “no-such-scheme”."),
        ("cluster=no-such-cluster", "has no cluster called “no-such-cluster”."),
        ("framework=no-such-framework", "There is no framework called “no-such-framework”."),
        ("level=III", "Select a valid choice. III is not one of the available choices."),
        ("key_only=maybe", "Select a valid choice."),
    ],
)
@pytest.mark.parametrize("suffix", ["/", ".csv"])
def test_unknown_report_parameter_value_is_a_400_with_a_message(client, query, message, suffix):
    ClusterSchemeFactory(is_default=True)
    url = REPORT.rstrip("/") + suffix + "?" + query

    response = get(client, url, status=400)

    text = page_text(response) if suffix == "/" else response.content.decode()
    assert message in text


# -- download headers ------------------------------------------------------------------

HOSTILE_NAMES = [
    'Care "quoted"',
    "Care\r\nX-Injected: yes",
    "Café – soins",
    "../../etc/passwd",
    "a\\b/c;filename=evil.exe",
]
WELL_FORMED = re.compile(r'attachment; filename="[A-Za-z0-9._-]+"')


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_report_download_header_stays_well_formed_whatever_the_names(client, name, extension):
    scheme = ClusterSchemeFactory(name=name, slug="hostile", is_default=True)
    cluster = ClusterFactory(scheme=scheme, name=name, slug="hostile-cluster")
    RoleClusterFactory(cluster=cluster, role=RoleFactory(title=name))

    response = get(client, f"/reports/provision.{extension}?cluster=hostile-cluster", status=200)

    assert WELL_FORMED.fullmatch(response["Content-Disposition"])
    assert "\n" not in str(response.serialize_headers())


@pytest.mark.parametrize("table", ["%22", "a%0d%0ab", "..%2f..%2fx", "%C3%A9"])
def test_report_table_names_outside_the_slug_alphabet_are_404s(client, table):
    get(client, f"/reports/coverage/{table}.csv", status=404)


def test_admin_export_download_header_is_well_formed(staff_client):
    QualificationFactory(ref='Q"1\r\n', title="Care\r\nX-Injected: yes")
    url = reverse("admin:qualifications_qualification_export")
    form = staff_client.get(url).context["form"]
    fields = {n: "on" for n, f in form.fields.items() if getattr(f, "is_selectable_field", False)}

    response = staff_client.post(url, {"resource": "0", "format": "0", **fields})

    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"', response["Content-Disposition"])


# -- stored text on public pages ---------------------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_stored_markup_is_escaped_on_every_public_page(client):
    qualification = QualificationFactory(ref="Q1", title=SCRIPT, notes=SCRIPT)
    role = RoleFactory(title=SCRIPT, slug="hostile-role", description=SCRIPT)
    RoleQualificationFactory(role=role, qualification=qualification, is_key=True)
    scheme = ClusterSchemeFactory(name=SCRIPT, slug="hostile", is_default=True)
    RoleClusterFactory(role=role, cluster=ClusterFactory(scheme=scheme, name=SCRIPT, slug="c"))
    OfferingFactory(qualification=qualification, provider=ProviderFactory(name=SCRIPT))

    for url in [
        "/qualifications/Q1/",
        "/qualifications/?q=alert",
        "/roles/hostile-role/",
        "/clusters/",
        "/clusters/hostile/",
        "/clusters/hostile/c/",
        "/providers/",
        "/reports/provision/",
        f"/qualifications/?q={SCRIPT}",
    ]:
        response = get(client, url, status=200)
        body = response.content.decode()
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>"]
)
def test_a_script_address_on_record_is_never_rendered_as_a_link(client, url):
    # an address from before URL validation, or written past it: shown as text, not a link
    qualification = QualificationFactory(ref="Q1", source_url=url)
    provider = ProviderFactory(name="College", url=url)
    OfferingFactory(qualification=qualification, provider=provider)
    role = RoleFactory(slug="worker")
    RoleQualificationFactory(role=role, qualification=qualification, is_key=True)

    for page in ["/qualifications/Q1/", "/providers/", "/roles/worker/"]:
        body = get(client, page, status=200).content.decode()
        assert not re.search(r'href="\s*(javascript|data):', body, re.I), page


def test_a_megabyte_description_renders(client):
    megabyte = ("A long description of the role. " * 33_000)[:1_000_000]
    RoleFactory(title="Worker", slug="worker", description=megabyte)
    QualificationFactory(ref="Q1", notes=megabyte)

    started = time.perf_counter()
    role = get(client, "/roles/worker/", status=200)
    qualification = get(client, "/qualifications/Q1/", status=200)

    assert time.perf_counter() - started < 5
    assert megabyte[-200:].strip() in role.content.decode()
    assert megabyte[-200:].strip() in qualification.content.decode()


@pytest.mark.parametrize("ref", ["Q1%00", "..%2F..%2Fetc%2Fpasswd", "x" * 5000, "%E2%80%AEQ1"])
def test_a_hostile_ref_in_a_public_url_is_a_404(client, ref):
    QualificationFactory(ref="Q2")

    get(client, f"/qualifications/{ref}/", status=(400, 404))


def test_unknown_roles_in_role_move_are_a_400_naming_them(client):
    RoleFactory(slug="worker")

    response = get(client, "/role-move/?from=worker&to=no-such-role", status=400)

    assert "no-such-role" in page_text(response)


def test_role_pages_ignore_look_alike_slugs(client):
    RoleFactory(slug="worker", title="Worker")

    get(client, "/roles/w%E2%80%8Borker/", status=404)
    assert Role.objects.count() == 1
    assert Qualification.objects.count() == 0
