"""The authentication backend: Django's own, behind the log-in limits of fenrun.accounts.limits.

Every password check goes through here (the shop's log-in page, the back office's, any future
API log-in), so the limits hold wherever someone tries a password, not just on one page.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from fenrun.accounts import limits


class RateLimitedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        # Without a request there is no client to count (management commands, the test client's
        # login()); without credentials there is nothing to guess.
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if limits.login_blocked(request, username):
            # PermissionDenied, not None: Django then stops without asking any other backend.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            limits.record_login_failure(request, username)
        else:
            limits.clear_login_failures(request, username)
        return user
