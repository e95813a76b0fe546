"""Shared fixtures: a fast password hasher and users."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.support.factories import UserFactory

#: The database the settings name, read before pytest-django swaps in the test database.
CONFIGURED_DATABASE = django_settings.DATABASES["default"]["NAME"]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    # A test's writes are never committed, so could never end a cached page; the page
    # cache has tests of its own that commit (test_pagecache.py).
    settings.PAGE_CACHE = False


@pytest.fixture(autouse=True)
def derived_data_stay_exact(request):
    """After every test that writes to the database: every derived value stored in, or
    derived from, a table the test wrote to is recomputed and compared with what is
    stored (``iqf.lib.derived``), before the test's transaction is rolled back; a stale
    one fails the test. A test that leaves one stale on purpose says so with the
    ``stale_derived`` marker."""
    uses_database = (
        "_django_db_helper" in request.fixturenames
        or request.node.get_closest_marker("django_db") is not None
    )
    if not uses_database or request.node.get_closest_marker("stale_derived"):
        yield
        return
    # set up now, so that the database is still the test's when this fixture ends
    request.getfixturevalue("_django_db_helper")
    from iqf.lib import derived

    with derived.recording() as written:
        yield
    if written:
        stale = derived.stale_values(written)
        assert not stale, "Derived data left stale:\n" + "\n".join(map(str, stale[:20]))


@pytest.fixture
def clerk(db):
    """A staff member in the Data clerk group."""
    from tests.support.admin import person

    return person("Data clerk")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def make_user(db):
    """Create users on demand: ``make_user(username="mapper")``."""
    return UserFactory


# -- what migrations installed -----------------------------------------------------------
# A transactional test (the browser tests, the PostgreSQL race tests) ends by emptying every
# table, so the groups, frameworks and regions that data migrations install are gone for
# the transactional tests after it, and, with --reuse-db, for the whole next run. The
# state after migrate is read once, before any test, and loaded back when the run ends.


def load_migrated_data(snapshot: str) -> None:
    """Empty every table and load back the state ``migrated_data`` read."""
    from django.core.management import call_command
    from django.db import connection

    # Like TransactionTestCase's own flush: sequences keep counting, and no post_migrate
    # handler recreates content types under new ids to clash with the snapshot's.
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(snapshot)


@pytest.fixture(scope="session", autouse=True)
def migrated_data(django_db_setup, django_db_blocker):
    """The test database as migrate left it, serialized before the first test."""
    from django.db import connection

    if connection.settings_dict["NAME"] == CONFIGURED_DATABASE:
        # no selected test uses the database, so pytest-django set none up: the connection
        # still names the real database, which is neither read nor touched
        yield None
        return
    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()
    yield snapshot
    with django_db_blocker.unblock():
        # Only a run whose transactional tests emptied the tables writes anything here.
        if connection.creation.serialize_db_to_string() != snapshot:
            load_migrated_data(snapshot)
        connection.close()


@pytest.fixture
def migrated_transactional_db(migrated_data, transactional_db):
    """A transactional test starting from exactly the state after migrate, whatever an
    earlier transactional test left behind."""
    load_migrated_data(migrated_data)


# -- browser tests ---------------------------------------------------------------------
# Playwright drives Debian's Chromium; no browser is ever downloaded. The Debian wrapper
# script /usr/bin/chromium can misbehave under Playwright, so the binary itself is used.

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    import os

    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


@pytest.fixture(scope="session")
def browser():
    import os

    path = chromium_path()
    if path is None:
        if os.environ.get("IQF_REQUIRE_BROWSER"):
            pytest.fail("No Chromium, and IQF_REQUIRE_BROWSER is set (CI runs the browser tests).")
        pytest.skip("No Chromium: install Debian's chromium package (make test does so when it can).")
    # Playwright's synchronous API runs an event loop in this thread; the live server's
    # database work happens in its own thread, so Django's async guard does not apply.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (one per person); all are closed afterwards.
    Every page reports what the Content-Security-Policy refused: a test fails if anything
    was (an inline script or style, a resource from elsewhere)."""
    contexts, refused = [], []

    def open_page():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                refused.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert refused == [], "The Content-Security-Policy refused:\n" + "\n".join(refused)


def admin_login(page, username: str, password: str = "test-password") -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page) -> list[str]:
    """Run axe-core (from the project's npm packages) on the page; one line per violation.
    It is evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy (no inline scripts) does not govern."""
    page.evaluate(AXE_SCRIPT.read_text())
    # axe preloads the page's style sheets by copying them into <style> elements of its own,
    # which the policy (style-src 'self') rightly refuses, and which new_page then reports.
    # Only css-orientation-lock, an experimental rule outside AXE_TAGS, reads that copy, so
    # axe preloads the media assets alone (for no-autoplay-audio) and adds no style.
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " preload: {assets: ['media']}}))"
        ".violations.map(v => v.id + ' (' + v.impact + ', ' + v.nodes.length + ' element'"
        " + (v.nodes.length === 1 ? '' : 's') + '): ' + v.help + ' — '"
        " + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', ')"
        " + (v.nodes.length > 5 ? ', …' : ''))",
        AXE_TAGS,
    )
    return violations
