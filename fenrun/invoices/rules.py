"""What a buyer may type for a Taiwan B2C e-invoice, and the invoice calendar. Pure Python.

The formats are the Ministry of Finance's (財政部), as ECPay's B2C e-invoice API checks them:

- mobile barcode (手機條碼): ``/`` then 7 characters of ``0-9 A-Z . + -``;
- citizen digital certificate (自然人憑證): 2 upper-case letters then 14 digits;
- donation code (愛心碼): 3 to 7 digits;
- 統一編號 (business administration number): 8 digits whose weighted digit-sum passes the
  check below.

The 統一編號 check, from the Ministry of Finance's「營利事業統一編號檢查碼邏輯修正說明」
(www.mof.gov.tw, 資訊園地; in force since 2023-04-01, 112年4月1日): multiply the 8 digits by
1, 2, 1, 2, 1, 2, 4, 1, add the digits of each product (28 counts 2 + 8 = 10), and the sum must be
divisible by 5 (before April 2023: by 10; every number valid then is still valid). When the 7th
digit is 7 its product 28 may count as 10 or as 1 (1 + 0), so the number is also valid when the
sum + 1 is divisible by 5.

Nothing here knows Django: the checkout form and the services turn the error codes into
messages.
"""

import re
from dataclasses import dataclass
from datetime import date

MOBILE_BARCODE = re.compile(r"/[0-9A-Z.+\-]{7}")
CITIZEN_CERTIFICATE = re.compile(r"[A-Z]{2}[0-9]{14}")
LOVE_CODE = re.compile(r"[0-9]{3,7}")
BAN_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)
BAN_DIVISOR = 5


def is_mobile_barcode(value: str) -> bool:
    return MOBILE_BARCODE.fullmatch(value) is not None


def is_citizen_certificate(value: str) -> bool:
    return CITIZEN_CERTIFICATE.fullmatch(value) is not None


def is_love_code(value: str) -> bool:
    return LOVE_CODE.fullmatch(value) is not None


def ban_digit_sum(value: str) -> int:
    """The weighted digit-sum of an 8-digit 統一編號 (the 7th digit's 28 counted as 10)."""
    return sum(sum(divmod(int(d) * w, 10)) for d, w in zip(value, BAN_WEIGHTS, strict=True))


def is_ban(value: str) -> bool:
    """Whether ``value`` is a 統一編號: 8 ASCII digits passing the Ministry's check."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return False
    total = ban_digit_sum(value)
    if total % BAN_DIVISOR == 0:
        return True
    return value[6] == "7" and (total + 1) % BAN_DIVISOR == 0


class Kind:
    """How the buyer receives the invoice (the stored codes)."""

    MEMBER_CARRIER = "member"  # the provider's cloud carrier, tied to the buyer's e-mail
    MOBILE_BARCODE = "mobile"
    CERTIFICATE = "certificate"
    DONATION = "donation"
    COMPANY = "company"

    ALL = (MEMBER_CARRIER, MOBILE_BARCODE, CERTIFICATE, DONATION, COMPANY)


COMPANY_NAME_MAX = 60


@dataclass(frozen=True)
class Choice:
    """The buyer's invoice choice, normalised; only the fields of its kind are filled."""

    kind: str = Kind.MEMBER_CARRIER
    carrier_number: str = ""
    love_code: str = ""
    ban: str = ""
    company_name: str = ""


def normalise(kind: str, *, carrier_number="", love_code="", ban="", company_name="") -> Choice:
    """Keep only what ``kind`` uses, trimmed; barcodes and certificates are upper-case codes
    (buyers type them from a phone screen, often in lower case)."""
    carrier_number = str(carrier_number or "").strip().upper()
    love_code = str(love_code or "").strip()
    ban = str(ban or "").strip()
    company_name = " ".join(str(company_name or "").split())
    if kind in (Kind.MOBILE_BARCODE, Kind.CERTIFICATE):
        return Choice(kind, carrier_number=carrier_number)
    if kind == Kind.DONATION:
        return Choice(kind, love_code=love_code)
    if kind == Kind.COMPANY:
        return Choice(kind, ban=ban, company_name=company_name)
    return Choice(kind)


def choice_errors(choice: Choice) -> dict[str, str]:
    """Field → error code for what is wrong with ``choice``; empty when it can be issued."""
    if choice.kind not in Kind.ALL:
        return {"kind": "unknown_kind"}
    errors = {}
    if choice.kind == Kind.MOBILE_BARCODE and not is_mobile_barcode(choice.carrier_number):
        errors["carrier_number"] = "required" if not choice.carrier_number else "bad_barcode"
    elif choice.kind == Kind.CERTIFICATE and not is_citizen_certificate(choice.carrier_number):
        errors["carrier_number"] = "required" if not choice.carrier_number else "bad_certificate"
    elif choice.kind == Kind.DONATION and not is_love_code(choice.love_code):
        errors["love_code"] = "required" if not choice.love_code else "bad_love_code"
    elif choice.kind == Kind.COMPANY:
        if not is_ban(choice.ban):
            errors["ban"] = "required" if not choice.ban else "bad_ban"
        if not choice.company_name:
            errors["company_name"] = "required"
        elif len(choice.company_name) > COMPANY_NAME_MAX:
            errors["company_name"] = "too_long"
    return errors


def invoice_period(day: date) -> tuple[int, int]:
    """The two-month period (期別) of ``day``: Jan–Feb is 1, Mar–Apr 2, … Nov–Dec 6.

    An invoice may be voided within its own period; after that its correction is an
    allowance (折讓).
    """
    return day.year, (day.month + 1) // 2


def same_period(first: date, second: date) -> bool:
    return invoice_period(first) == invoice_period(second)
