"""Shared fixtures: a fast password hasher and users."""

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashers are slow on purpose; tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def make_user(db):
    """Create users on demand: ``make_user(username="mapper")``."""
    return UserFactory


# -- browser tests ---------------------------------------------------------------------
# Playwright drives Debian's Chromium; no browser is ever downloaded. The Debian wrapper
# script /usr/bin/chromium can misbehave under Playwright, so the binary itself is used.

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
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
    """Open pages in fresh browser contexts (one per person); all are closed afterwards."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def admin_login(page, username: str, password: str = "test-password") -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
