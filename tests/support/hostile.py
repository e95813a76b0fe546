"""Helpers of the hostile-input suite (tests/*/test_hostile_*.py): a snapshot of every table,
and the checks every refused input must pass."""

from django.apps import apps

#: Tables a request writes whatever it carries: sign-in sessions and the sign-in throttle's
#: log. Everything else must be exactly as it was after hostile input is refused.
NOT_CONTENT = {"sessions.Session", "axes.AccessLog", "axes.AccessAttempt", "axes.AccessFailureLog"}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model's table (history and audit tables included), by model."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label not in NOT_CONTENT and not model._meta.proxy and model._meta.managed
    }


def changed_tables(before: dict[str, list[dict]]) -> list[str]:
    """The tables whose rows differ from ``before``."""
    after = snapshot()
    return sorted(label for label in after if after[label] != before.get(label))


def assert_clean_response(response, *, status: int | None = None) -> str:
    """The response is not a server error and shows no traceback; returns its text."""
    assert response.status_code < 500, response.status_code
    if status is not None:
        assert response.status_code == status
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    for leak in ("Traceback", "Exception", 'File "/'):
        assert leak not in text, f"{leak!r} shown to the user"
    return text


def assert_clean_message(message: str) -> None:
    """An error message for a person: no Python internals in it."""
    for leak in ("Traceback", "Exception", "Error(", "<class ", 'File "/'):
        assert leak not in message, f"{leak!r} in the message: {message}"
