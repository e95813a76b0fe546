"""Production settings, read as a deployment reads them: in a process of their own.

The suite runs on development settings; these tests start ``manage.py`` with
``DJANGO_ENV=production`` and the environment a deployment gives, and check what it
refuses, what Django's deployment check says, and the headers and cookies a browser gets.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from iqf.lib.sessions import RENEWED_AT, SIGNED_IN_AT

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET = "a-production-secret-of-fifty-characters-or-more-0123456789"


def production_env(tmp_path, **changes: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "ADMIN_PATH",
            "SECURE_SSL_REDIRECT",
            "CONN_MAX_AGE",
            "PROXY_COUNT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "STATIC_ROOT",
            "STAFF_TWO_FACTOR",
        }
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="iqf.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_check_gives_no_warning(tmp_path):
    done = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_development_settings_do_fail_the_deployment_check(tmp_path):
    """The check above can fail: the same command on development settings warns."""
    env = production_env(tmp_path, DJANGO_ENV="development")
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout  # no HSTS


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(tmp_path, missing):
    for blank in (None, "  "):
        done = manage(production_env(tmp_path, **{missing: blank}), "check")
        assert done.returncode != 0
        assert "Production settings need these environment variables: " + missing in done.stderr


@pytest.mark.parametrize("path", ["admin/../x", "admin?x", "<script>", "a//b", "/"])
def test_a_malformed_admin_path_is_refused(tmp_path, path):
    done = manage(production_env(tmp_path, ADMIN_PATH=path), "check")
    assert done.returncode != 0
    assert "ADMIN_PATH must be a path" in done.stderr


# What a browser gets from production settings: the test client in a production process,
# over HTTPS as the proxy reports it.
FETCH = """
import json
from django.test import Client
from django.urls import reverse
client = Client(HTTP_HOST="iqf.example.org")
found = {"admin_login": reverse("admin:login")}
login_page = client.get(reverse("admin:login"), secure=True).content.decode()
found["asks_for_code"] = 'name="otp_token"' in login_page
for name, url in [("home", "/"), ("health", "/health/"), ("login", reverse("admin:login")),
                  ("plain", "/")]:
    secure = name != "plain"
    response = client.get(url, secure=secure)
    found[name] = {"status": response.status_code, "location": response.get("Location"),
                   "headers": dict(response.headers),
                   "cookies": {key: dict(morsel, value=morsel.value)
                               for key, morsel in response.cookies.items()}}
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def production_responses(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    env = production_env(tmp_path, ADMIN_PATH="staff/iqf", STATIC_ROOT=str(tmp_path / "static"))
    for step in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        done = manage(env, *step)
        assert done.returncode == 0, done.stderr
    done = manage(env, "shell", "-c", FETCH)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_pages_carry_the_security_headers(production_responses):
    for name in ("home", "health", "login"):
        page = production_responses[name]
        assert page["status"] == 200, name
        headers = page["headers"]
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert "unsafe" not in headers["Content-Security-Policy"]


def test_production_redirects_plain_http_to_https(production_responses):
    plain = production_responses["plain"]
    assert plain["status"] == 301
    assert plain["location"] == "https://iqf.example.org/"


def test_production_cookies_are_host_only_secure_and_http_only(production_responses):
    cookies = production_responses["login"]["cookies"]
    csrf = cookies["__Host-csrftoken"]
    assert csrf["secure"] is True and csrf["path"] == "/" and csrf["domain"] == ""
    assert csrf["samesite"] == "Lax"
    assert "csrftoken" not in cookies


def test_production_asks_staff_for_a_second_factor(production_responses):
    assert production_responses["asks_for_code"] is True


def test_the_admin_lives_at_the_configured_path(production_responses):
    assert production_responses["admin_login"] == "/staff/iqf/login/"


# -- session lifetime (the same settings in every environment) ----------------------------


def admin_index_status(client) -> int:
    return client.get(reverse("admin:index")).status_code


def expiry_left(client) -> float:
    return (Session.objects.get().expire_date - timezone.now()).total_seconds()


@pytest.mark.django_db
def test_a_session_idles_out_after_thirty_minutes(client, make_user):
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    assert admin_index_status(client) == 200
    assert 30 * 60 - 60 < expiry_left(client) <= 30 * 60
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    assert admin_index_status(client) == 302


@pytest.mark.django_db
def test_a_request_renews_the_session_once_its_last_renewal_is_a_minute_old(client, make_user):
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(minutes=20))
    # renewed less than a minute ago: the request does not write the session
    assert admin_index_status(client) == 200
    assert expiry_left(client) <= 20 * 60
    session = client.session
    session[RENEWED_AT] = int(time.time()) - 61
    session.save()
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(minutes=20))
    assert admin_index_status(client) == 200
    assert 30 * 60 - 60 < expiry_left(client) <= 30 * 60


@pytest.mark.django_db
def test_a_session_ends_twelve_hours_after_sign_in_however_busy(client, make_user):
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    assert admin_index_status(client) == 200

    def signed_in_ago(seconds: int) -> None:
        session = client.session
        session[SIGNED_IN_AT] = int(time.time()) - seconds
        session.save()

    signed_in_ago(12 * 60 * 60 - 60)
    assert admin_index_status(client) == 200
    signed_in_ago(12 * 60 * 60 + 1)
    assert admin_index_status(client) == 302
    assert admin_index_status(client) == 302  # signed out, not just turned away once


# -- health check -------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_says_ok_when_the_database_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/health/").status_code == 200


@pytest.mark.django_db
def test_health_says_unavailable_when_the_database_does_not(client, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert b"database unavailable" in response.content


# -- sign-in throttling -------------------------------------------------------------------


def sign_in(client, username: str, password: str, **extra):
    return client.post(reverse("admin:login"), {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_five_failed_sign_ins_lock_that_username_from_that_address(client, make_user):
    make_user(username="clerk", password="right-password", is_staff=True)
    for _ in range(4):
        assert sign_in(client, "clerk", "wrong").status_code == 200  # the form again
    locked = sign_in(client, "clerk", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # the right password does not get through while locked, and no session is made
    assert sign_in(client, "clerk", "right-password").status_code == 429
    assert not Session.objects.exists()
    # another address, or another username from this one, is not locked
    assert sign_in(client, "clerk", "right-password", REMOTE_ADDR="10.0.0.9").status_code == 302
    make_user(username="other", password="right-password", is_staff=True)
    assert sign_in(client, "other", "right-password").status_code == 302


@pytest.mark.django_db
def test_a_success_clears_the_failures(client, make_user):
    make_user(username="clerk", password="right-password", is_staff=True)
    for _ in range(4):
        sign_in(client, "clerk", "wrong")
    assert sign_in(client, "clerk", "right-password").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "clerk", "wrong").status_code == 200
    assert sign_in(client, "clerk", "right-password").status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(client, make_user):
    from axes.models import AccessAttempt

    make_user(username="clerk", password="right-password", is_staff=True)
    for _ in range(5):
        sign_in(client, "clerk", "wrong")
    assert sign_in(client, "clerk", "right-password").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert sign_in(client, "clerk", "right-password").status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, make_user, settings):
    """One proxy in front: the client's address is the last in X-Forwarded-For (the one the
    proxy added); what the client wrote there itself does not count."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    make_user(username="clerk", password="right-password", is_staff=True)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for n in range(5):
        # an attacker forging a new address in each request, behind the same real address
        sign_in(client, "clerk", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.7", **proxy)
    assert (
        sign_in(
            client, "clerk", "right-password", HTTP_X_FORWARDED_FOR="10.9.9.99, 203.0.113.7", **proxy
        ).status_code
        == 429
    )
    # another client behind the same proxy is not locked
    assert (
        sign_in(client, "clerk", "right-password", HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy).status_code
        == 302
    )
