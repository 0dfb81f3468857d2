"""The invoice settings (``settings.FENRUN_INVOICES``), read in one place."""

from dataclasses import dataclass

from django.conf import settings

ISSUE_POINTS = ("paid", "shipped", "completed")
ECPAY_HOSTS = {
    "stage": "https://einvoice-stage.ecpay.com.tw",
    "production": "https://einvoice.ecpay.com.tw",
}
STAND_IN = "stand-in"
STAND_IN_PATH = "/invoices/ecpay-stand-in"


@dataclass(frozen=True)
class ECPayConfig:
    merchant_id: str
    hash_key: str
    hash_iv: str
    url: str

    @property
    def in_process(self) -> bool:
        return self.url == STAND_IN

    @property
    def base_url(self) -> str:
        if self.in_process:
            return "http://testserver" + STAND_IN_PATH
        return ECPAY_HOSTS.get(self.url, self.url).rstrip("/")


def _raw() -> dict:
    return getattr(settings, "FENRUN_INVOICES", {})


def enabled() -> bool:
    return bool(_raw().get("enabled", False))


def issue_at() -> str:
    point = _raw().get("issue_at", "paid")
    return point if point in ISSUE_POINTS else "paid"


def provider_code() -> str:
    return _raw().get("provider", "ecpay")


def timeout_seconds() -> float:
    return float(_raw().get("timeout_seconds", 10))


def stand_in_enabled() -> bool:
    return bool(_raw().get("stand_in_enabled", False))


def ecpay() -> ECPayConfig:
    raw = _raw().get("ecpay", {})
    return ECPayConfig(
        merchant_id=str(raw.get("merchant_id", "")),
        hash_key=str(raw.get("hash_key", "")),
        hash_iv=str(raw.get("hash_iv", "")),
        url=str(raw.get("url", STAND_IN)),
    )
