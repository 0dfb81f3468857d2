"""What every router's input shares: strict bodies and bounded numeric ids in paths.

- ``InputSchema``: the base of every request body. A field the schema does not name is refused
  with 422 rather than ignored, so a client that sends prices, totals or a ``kind`` learns at
  once that the server does not take them.
- ``{id:name}`` in a path with ``name: Id``: only 1 .. 2^63-1 written in digits
  matches the URL at all. Anything else (``abc``, ``-1``, ``0``, ``1e3``, 2^64) is no URL of the
  API and answers the API's JSON 404, never a validation message about a path nobody can call,
  and never a database overflow on a number no row can have.
"""

from typing import Annotated

from django.urls import register_converter
from ninja import Path, Schema
from pydantic import ConfigDict

MAX_ID = 2**63 - 1  # the largest value of a 64-bit primary key on both databases


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class IdConverter:
    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # Django reads a ValueError here as "this pattern does not match": a 404.
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


# A numeric id in a path; the OpenAPI document says the same bounds the converter enforces.
Id = Annotated[int, Path(..., ge=1, le=MAX_ID)]
