"""Which providers are on, with which methods and keys: staff's settings plus the environment.

A provider is offered at checkout when its PaymentProvider row is enabled, has its merchant id
and keys (from the back office or the environment) and at least one method switched on. The
test gateway needs no row: it is on where FENRUN_TEST_GATEWAY_ENABLED is (development, demo,
tests), unless a row switches it off.
"""

from dataclasses import dataclass, field

from django.conf import settings

from fenrun.core import secrets
from fenrun.orders.models import PaymentProvider

Mode = PaymentProvider.Mode


@dataclass(frozen=True)
class ProviderSettings:
    code: str
    enabled: bool = False
    mode: str = Mode.TEST
    merchant_id: str = ""
    key: str = ""
    iv: str = ""
    methods: tuple[str, ...] = ()
    installments: tuple[int, ...] = field(default_factory=tuple)

    @property
    def has_credentials(self) -> bool:
        return bool(self.merchant_id and self.key)


def provider_settings(code: str) -> ProviderSettings:
    row = PaymentProvider.objects.filter(code=code).first()
    env = settings.FENRUN_PAYMENT_CREDENTIALS.get(code, {})
    if row is None:
        return ProviderSettings(
            code=code,
            merchant_id=env.get("merchant_id", ""),
            key=env.get("key", ""),
            iv=env.get("iv", ""),
        )
    return ProviderSettings(
        code=code,
        enabled=row.is_enabled,
        mode=row.mode,
        merchant_id=env.get("merchant_id") or row.merchant_id,
        key=env.get("key") or secrets.decrypt(row.key_encrypted),
        iv=env.get("iv") or secrets.decrypt(row.iv_encrypted),
        methods=tuple(str(m) for m in row.methods or ()),
        installments=tuple(int(n) for n in row.installments or () if str(n).isdigit()),
    )


def test_gateway_enabled() -> bool:
    if not getattr(settings, "FENRUN_TEST_GATEWAY_ENABLED", True):
        return False
    row = PaymentProvider.objects.filter(code="test").first()
    return row is None or row.is_enabled


test_gateway_enabled.__test__ = False  # not a pytest test


def standin_base_url() -> str:
    return (settings.FENRUN_STANDIN_BASE_URL or settings.FENRUN_SITE_URL).rstrip("/")


def site_url(path: str) -> str:
    """An absolute address of the shop's, for a provider to call back or send the buyer to."""
    return settings.FENRUN_SITE_URL.rstrip("/") + path
