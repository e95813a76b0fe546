"""Public pages served from a cache for as long as the content they show is unchanged.

Every committed write to the content moves a counter on (``ContentVersion``): an execute
wrapper on every database connection sees each INSERT, UPDATE or DELETE, and schedules
one increment for when its transaction commits (at once, outside a transaction). The
wrapper sees the statements of the ORM, of bulk operations and of hand-written SQL alike,
so no route of writing can forget to say that it did. Writes that no public page shows
(sessions, sign-in records, the admin's log) leave the counter alone.

A cached page is stored under the counter's value as read before the page is rendered.
The increment happens after its write is committed, so a page stored under a value holds
content at least as new as that value; once the counter moves, no request finds it. Each
request pays one read of the counter; a page costs its full rendering only the first time
it is asked for after a change.

The cache is per process (``PAGE_CACHE`` in settings); entries also expire after
``PAGE_CACHE_SECONDS`` as a bound on what a lost increment (a process killed between its
commit and the increment) could leave stale.

Parts that many pages share (the finder's facet counts, the same for every page and order
of one search) are kept the same way by :func:`remembered`, so that the next page of a
search costs its own rows only.
"""

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from django.http import HttpResponse

from iqf.lib.derived import Derived, Stale
from iqf.lib.statements import written_table

#: Tables whose writes no public page shows: sessions, users and sign-in throttling,
#: second factors, the admin's log, Django's own bookkeeping, and the counter itself.
UNSHOWN = (
    "django_session",
    "auth_",
    "axes_",
    "otp_",
    "django_admin_log",
    "django_migrations",
    "django_content_type",
    "commoncore_contentversion",
)
#: Pages larger than this are rendered each time rather than held in memory.
LARGEST_PAGE = 1_000_000
logger = logging.getLogger(__name__)
VERSION_SQL = "SELECT version FROM commoncore_contentversion WHERE id = 1"


def changes_content(sql: str) -> bool:
    table = written_table(sql)
    return table is not None and not table.startswith(UNSHOWN)


class _Increment:
    """Moves the counter on; one is scheduled per transaction that changed the content."""

    def __init__(self, alias: str):
        self.alias = alias

    def __call__(self) -> None:
        connection = connections[self.alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE commoncore_contentversion SET version = version + 1 WHERE id = 1")
        except DatabaseError:
            # before migrate has made the counter nothing is cached, so nothing is lost
            if "commoncore_contentversion" in connection.introspection.table_names():
                logger.warning(
                    "Could not move the content version on; cached pages may be "
                    "stale for up to PAGE_CACHE_SECONDS",
                    exc_info=True,
                )


def _increment_on_commit(connection) -> None:
    # at most one per transaction; a rolled-back savepoint drops its own, so look again
    if connection.in_atomic_block and any(
        isinstance(pending[1], _Increment) for pending in connection.run_on_commit
    ):
        return
    transaction.on_commit(_Increment(connection.alias), using=connection.alias)


def move_on(past: int | None = None, alias: str = "default") -> int:
    """Move the counter on at once, past ``past`` too when given (the value before a
    restore, under which pages may still be cached), and return its new value."""
    with connections[alias].cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
        current = row[0] if row else 0
        value = max(current, past or 0) + 1
        if row:
            cursor.execute("UPDATE commoncore_contentversion SET version = %s WHERE id = 1", [value])
        else:
            cursor.execute("INSERT INTO commoncore_contentversion (id, version) VALUES (1, %s)", [value])
    return value


def _refresh_counter(ids=None) -> None:
    move_on()


def _check_counter(ids=None) -> list[Stale]:
    # A counter cannot disagree with the content; it can only be missing.
    if content_version() is None:
        return [Stale("commoncore_contentversion", "id 1", "version", "absent", "present")]
    return []


#: The page-cache counter, derived from every content table: moved on by every committed
#: write (``watch``), and by ``manage.py restore`` past every value it had before.
PAGE_COUNTER = Derived(
    name="page-cache counter",
    stored_in="commoncore_contentversion.version",
    sources=(),
    refresh=_refresh_counter,
    check=_check_counter,
)


def content_changed(connection) -> None:
    """For writes the watch cannot see (``COPY`` through the driver's own cursor): the
    content changes when the current transaction commits."""
    _increment_on_commit(connection)


def watch(execute, sql, params, many, context):
    """The execute wrapper every connection carries (see :func:`watch_connection`)."""
    result = execute(sql, params, many, context)
    if changes_content(sql):
        _increment_on_commit(context["connection"])
    return result


def watch_connection(sender, connection, **kwargs) -> None:
    """On ``connection_created``: make sure the connection carries :func:`watch`."""
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def content_version(alias: str = "default") -> int | None:
    """The counter's value; None when it cannot be read (then nothing is cached)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(VERSION_SQL)
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return row[0] if row else None


def _key(version: int, request) -> str:
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{version}:{hashlib.sha256(address.encode()).hexdigest()}"


def cached_page(view):
    """Serve the view's successful GET and HEAD answers from the page cache while the
    content is unchanged. For views whose page depends on nothing but the URL and the
    content (no user, no cookie, no form to protect)."""

    @wraps(view)
    def serve(request, *args, **kwargs):
        if not settings.PAGE_CACHE or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        version = content_version()
        if version is None:
            return view(request, *args, **kwargs)
        request.content_version = version  # for what the view keeps (remembered)
        cache = caches["pages"]
        key = _key(version, request)
        stored = cache.get(key)
        if stored is not None:
            content, headers = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and len(response.content) <= LARGEST_PAGE
        ):
            cache.set(key, (response.content, list(response.items())))
        return response

    return serve


def remembered(request, name: str, parts, compute):
    """What ``compute()`` gives, kept in the page cache under the content version and
    ``parts`` (a value whose ``repr`` names it) while the content is unchanged, on the
    same terms as a page: the counter is read first (by :func:`cached_page`, for the
    request, when it serves the view), so a value kept under a version is at least as new
    as that version."""
    if not settings.PAGE_CACHE:
        return compute()
    version = getattr(request, "content_version", None)
    if version is None:
        version = content_version()
    if version is None:
        return compute()
    cache = caches["pages"]
    key = f"{name}:{version}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"
    kept = cache.get(key)
    if kept is None:
        kept = compute()
        cache.set(key, kept)
    return kept
