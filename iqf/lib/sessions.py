"""The two limits on a signed-in session's life.

Idle: a session expires ``SESSION_COOKIE_AGE`` seconds after it was last saved; a request
saves it (renewing that) when the last save is more than ``SESSION_RENEW_AFTER`` seconds
old, so a busy session is written once a minute, not on every request. Absolute: a session
signed in more than ``SESSION_MAXIMUM_AGE`` seconds ago is ended, however busy it has been.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

SIGNED_IN_AT = "iqf_signed_in_at"
RENEWED_AT = "iqf_renewed_at"


@receiver(user_logged_in, dispatch_uid="iqf-session-signed-in-at")
def remember_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[RENEWED_AT] = int(time.time())


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            # a session without the marks predates them: it counts from now
            if now - session.setdefault(SIGNED_IN_AT, now) > settings.SESSION_MAXIMUM_AGE:
                logout(request)
            elif now - session.get(RENEWED_AT, 0) > settings.SESSION_RENEW_AFTER:
                session[RENEWED_AT] = now  # saved, with a new expiry, after the response
        return self.get_response(request)
