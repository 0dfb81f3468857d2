"""What the OpenAPI document says beyond what Ninja writes from the operations themselves."""

from fenrun.core.idempotency import HEADER, MAX_LENGTH, REPLAYED_HEADER, WRITES
from fenrun.core.permissions import INTEGRATOR_ACCESS

BEARER_SCHEME = "IntegratorTokenAuth"


def document_scopes(schema: dict) -> dict:
    """The bearer requirement of an operation lists the scope its ``x-access`` names.

    OpenAPI 3.1 lets a requirement of any scheme carry "roles"; a client generator or a reader
    then sees ``{"IntegratorTokenAuth": ["orders.write"]}`` where the key is taken, and an
    operation that takes no key has no bearer requirement at all.
    """
    for methods in schema["paths"].values():
        for operation in methods.values():
            scopes = [
                access.removeprefix(INTEGRATOR_ACCESS)
                for access in operation.get("x-access", ())
                if access.startswith(INTEGRATOR_ACCESS)
            ]
            for requirement in operation.get("security", ()):
                if BEARER_SCHEME in requirement:
                    requirement[BEARER_SCHEME] = scopes
    return schema


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Your key for this request (1 to 100 printable ASCII characters, e.g. a UUID). The same "
        "request with the same key within 24 hours gets the first answer again, with "
        f"`{REPLAYED_HEADER}: true`, and runs once; another request with it is 422 "
        "`idempotency_key_reused`. A failed request keeps no key. See docs/api.md."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH, "pattern": "^[ -~]+$"},
}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the key.",
    "schema": {"type": "string", "enum": ["true"]},
    "required": False,
}
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def document_idempotency(schema: dict) -> dict:
    """Every write takes the header, may answer 422 for a bad or reused key, and says when a
    success is a replay."""
    for methods in schema["paths"].values():
        for method, operation in methods.items():
            if method.upper() not in WRITES:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(dict(IDEMPOTENCY_PARAMETER))
            responses = operation["responses"]
            responses.setdefault(
                422, {"description": "Unprocessable Content", "content": ERROR_REF}
            )
            for status, response in responses.items():
                if 200 <= int(status) < 300:
                    response.setdefault("headers", {})[REPLAYED_HEADER] = REPLAYED
    return schema
