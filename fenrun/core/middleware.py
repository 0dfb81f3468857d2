"""The shop's edge: a request carrying a control character goes no further than here.

``fenrun.core.input_guard`` says what a control character is; this middleware applies it to the
whole request before any view, form or schema sees it:

- in the path: 404, the address does not exist (no address of the shop holds one);
- in a query-string key or value, a form-encoded or multipart field's name or value (never an
  uploaded file's bytes; Django already drops unprintable characters from its name), or any
  string or key of a JSON body: 422 with the API's error body under ``/api/``, a 400 page
  elsewhere.

A JSON body that does not parse is left to the view, which answers it its own way.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from fenrun.core import input_guard

API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path_info.startswith(API_PREFIX)
        if input_guard.path_has_control_character(request.path_info):
            if is_api:
                return _api_error(404, _("Not found."), "not_found", {})
            raise Http404
        bad = _bad_fields(request, is_api)
        if bad:
            return _refuse(request, is_api, bad)
        return self.get_response(request)


def _bad_fields(request, is_api: bool) -> list[str]:
    bad = input_guard.fields_with_control_characters(_pairs(request.GET))
    if bad or request.method in ("GET", "HEAD", "OPTIONS"):
        return bad
    if request.method == "POST" and request.content_type in FORM_TYPES:
        if request.content_type == "multipart/form-data" and _fits_in_memory(request):
            # Read the raw body first: Django then parses the fields from it, and a view that
            # reads the body itself (the payment callback) still can. Large uploads stream.
            request.body  # noqa: B018
        bad = input_guard.fields_with_control_characters(_pairs(request.POST))
    # The API reads any body but a multipart one as JSON whatever its type says (a JSON escape
    # such as \u0000 passes a form parse untouched); elsewhere only JSON is JSON.
    json_body = request.content_type == "application/json" or (
        is_api and request.content_type != "multipart/form-data"
    )
    if not bad and json_body:
        document = _parsed(request.body)
        if document is not None:
            bad = input_guard.document_paths_with_control_characters(document)
    return bad


def _fits_in_memory(request) -> bool:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length <= limit


def _pairs(multi_value_dict):
    return [(name, value) for name, values in multi_value_dict.lists() for value in values]


def _parsed(body: bytes):
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _refuse(request, is_api: bool, bad: list[str]):
    message = _("Control characters are not accepted in text.")
    if is_api:
        return _api_error(
            422, _("Invalid input."), "control_character", {field: [message] for field in bad}
        )
    return TemplateResponse(
        request, "400.html", {"message": message, "fields": bad}, status=400
    ).render()


def _api_error(status: int, detail: str, code: str, errors: dict) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": errors}, status=status)
