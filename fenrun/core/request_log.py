"""One log line per request: method, path, status, time, member and order number.

With ``FENRUN_LOG_FORMAT=json`` (the default without DEBUG) each line is a JSON object, so a log
collector can filter by status or find every request about one order. The order number is taken
from the URL where the route has one (``number`` in the route's arguments).
"""

import logging
import time

logger = logging.getLogger("fenrun.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "route": match.view_name if match else None,
            "member_id": user.pk if user is not None and user.is_authenticated else None,
        }
        number = match.kwargs.get("number") if match else None
        if number:
            fields["order_number"] = str(number)[:40]
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        logger.log(level, "%(method)s %(path)s %(status)s", fields, extra=fields)
        return response
