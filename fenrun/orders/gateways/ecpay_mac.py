"""ECPay's CheckMacValue: the checksum on every AIO (全方位金流) and logistics message.

Pure functions, shared by the ECPay gateway and its local stand-in, as ECPay documents it
(全方位金流 附錄「檢查碼機制」): leave CheckMacValue out, sort the parameters by name
case-insensitively, join them as ``key=value`` with ``&``, put ``HashKey=...&`` before and
``&HashIV=...`` after, URL-encode the whole string the way .NET's ``HttpUtility.UrlEncode``
does, lowercase it, hash it (SHA256 for payments, EncryptType=1; MD5 for logistics) and
uppercase the hex digest.
"""

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote_plus

# .NET's UrlEncode leaves these as they are, where Python's quote_plus encodes them: ECPay's
# "URLEncode 轉換表" lists exactly these (and space as "+", which quote_plus already does).
_DOTNET_UNRESERVED = {"%21": "!", "%2a": "*", "%28": "(", "%29": ")"}


def dotnet_urlencode(text: str) -> str:
    """``text`` URL-encoded as ECPay's checksum expects, lowercased."""
    encoded = quote_plus(text, safe="-_.").lower()
    for escape, char in _DOTNET_UNRESERVED.items():
        encoded = encoded.replace(escape, char)
    return encoded


def check_mac_source(params: Mapping[str, object], hash_key: str, hash_iv: str) -> str:
    """The encoded, lowercased string that is hashed (exposed so tests can compare each step)."""
    items = sorted(
        ((str(k), "" if v is None else str(v)) for k, v in params.items() if k != "CheckMacValue"),
        key=lambda item: item[0].lower(),
    )
    joined = "&".join(f"{k}={v}" for k, v in items)
    return dotnet_urlencode(f"HashKey={hash_key}&{joined}&HashIV={hash_iv}")


def check_mac_value(
    params: Mapping[str, object], hash_key: str, hash_iv: str, *, algorithm: str = "sha256"
) -> str:
    digest = hashlib.new(algorithm, check_mac_source(params, hash_key, hash_iv).encode("utf-8"))
    return digest.hexdigest().upper()


def is_genuine(
    params: Mapping[str, object], hash_key: str, hash_iv: str, *, algorithm: str = "sha256"
) -> bool:
    given = str(params.get("CheckMacValue") or "")
    if not given:
        return False
    expected = check_mac_value(params, hash_key, hash_iv, algorithm=algorithm)
    return hmac.compare_digest(expected, given.upper())
