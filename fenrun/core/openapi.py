"""What the OpenAPI document says beyond what Ninja writes from the operations themselves."""

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
