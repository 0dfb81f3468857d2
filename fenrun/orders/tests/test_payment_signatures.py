"""The providers' signature routines against the examples the providers publish.

Sources (each vector below is copied from there, not produced by our code):
- ECPay 全方位金流 API 技術文件, 附錄「檢查碼機制」, https://developers.ecpay.com.tw/?p=2902
  (English: https://developers.ecpay.com.tw/?p=16623): AioCheckOut example with the public test
  merchant 3002607, its step (3) URL-encoded string and its SHA256 CheckMacValue.
- ECPay 電子發票 API 技術文件, 附錄「檢查碼機制」, https://developers.ecpay.com.tw/?p=38242:
  the MD5 variant of the same checksum (logistics and invoice callbacks use MD5).
- LINE Pay Online API v3, "Prerequisites / Handle API credentials",
  https://developers-pay.line.me/online/pre-requisites: the MAC message is channel secret +
  API path + body (or query string) + nonce, HMAC-SHA256 keyed with the channel secret, Base64.
  LINE Pay publishes no fixed input/output example, so the HMAC-SHA256 primitive is checked
  against RFC 4231 test case 2 and the message layout against the documented formula.
"""

import base64
import hashlib
import hmac

import pytest

from fenrun.orders.gateways.ecpay_mac import check_mac_source, check_mac_value, is_genuine
from fenrun.orders.gateways.linepay_signature import is_genuine as linepay_genuine
from fenrun.orders.gateways.linepay_signature import signature

ECPAY_DOC_PARAMS = {
    "TradeDesc": "促銷方案",
    "PaymentType": "aio",
    "MerchantTradeDate": "2023/03/12 15:30:23",
    "MerchantTradeNo": "ecpay20230312153023",
    "MerchantID": "3002607",
    "ReturnURL": "https://www.ecpay.com.tw/receive.php",
    "ItemName": "Apple iphone 15",
    "TotalAmount": "30000",
    "ChoosePayment": "ALL",
    "EncryptType": "1",
}
ECPAY_DOC_KEY, ECPAY_DOC_IV = "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"
# p=2902 step (3), lowercased as in its step (4).
ECPAY_DOC_ENCODED = (
    "HashKey%3dpwFHCqoQZGmho4w6%26ChoosePayment%3dALL%26EncryptType%3d1%26ItemName%3dApple+iphone"
    "+15%26MerchantID%3d3002607%26MerchantTradeDate%3d2023%2f03%2f12+15%3a30%3a23%26MerchantTrade"
    "No%3decpay20230312153023%26PaymentType%3daio%26ReturnURL%3dhttps%3a%2f%2fwww.ecpay.com.tw%2f"
    "receive.php%26TotalAmount%3d30000%26TradeDesc%3d%e4%bf%83%e9%8a%b7%e6%96%b9%e6%a1%88%26HashIV"
    "%3dEkRm7iFT261dpevs"
).lower()
# p=2902 step (6).
ECPAY_DOC_MAC = "6C51C9E6888DE861FD62FB1DD17029FC742634498FD813DC43D4243B5685B840"

ECPAY_MD5_DOC_PARAMS = {
    "RtnCode": "1",
    "RtnMsg": "",
    "IA_Allow_No": "1909181313013546",
    "IA_Invoice_No": "UV11100019",
    "IA_Date": "2019-09-18 13:13:23",
    "IIS_Remain_Allowance_Amt": "0",
}
ECPAY_MD5_DOC_MAC = "50A276E71DAE26343013958B405EEEA0"


def test_ecpay_checkmacvalue_matches_ecpays_published_example_step_by_step():
    assert check_mac_source(ECPAY_DOC_PARAMS, ECPAY_DOC_KEY, ECPAY_DOC_IV) == ECPAY_DOC_ENCODED
    assert check_mac_value(ECPAY_DOC_PARAMS, ECPAY_DOC_KEY, ECPAY_DOC_IV) == ECPAY_DOC_MAC


def test_ecpay_md5_checkmacvalue_matches_ecpays_published_example():
    mac = check_mac_value(
        ECPAY_MD5_DOC_PARAMS, "ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk", algorithm="md5"
    )
    assert mac == ECPAY_MD5_DOC_MAC


def test_ecpay_message_with_the_published_mac_is_genuine_and_any_change_is_not():
    signed = {**ECPAY_DOC_PARAMS, "CheckMacValue": ECPAY_DOC_MAC}
    assert is_genuine(signed, ECPAY_DOC_KEY, ECPAY_DOC_IV)
    assert is_genuine(
        {**signed, "CheckMacValue": ECPAY_DOC_MAC.lower()}, ECPAY_DOC_KEY, ECPAY_DOC_IV
    )
    assert not is_genuine({**signed, "TotalAmount": "30001"}, ECPAY_DOC_KEY, ECPAY_DOC_IV)
    assert not is_genuine(signed, "another0hashkey0", ECPAY_DOC_IV)
    assert not is_genuine(ECPAY_DOC_PARAMS, ECPAY_DOC_KEY, ECPAY_DOC_IV)  # no mac at all


@pytest.mark.parametrize(
    ("char", "encoded"),
    # ECPay's URLEncode table (.NET): these stay as they are, a space becomes "+".
    [
        ("-", "-"),
        ("_", "_"),
        (".", "."),
        ("!", "!"),
        ("*", "*"),
        ("(", "("),
        (")", ")"),
        (" ", "+"),
    ],
)
def test_ecpay_encoding_follows_the_dotnet_table(char, encoded):
    source = check_mac_source({"A": char}, "k", "v")
    assert source == f"hashkey%3dk%26a%3d{encoded}%26hashiv%3dv"


def test_ecpay_sorts_keys_without_regard_to_case():
    # "a" sorts before "B" when case is ignored (a plain sort would put "B" first).
    assert check_mac_source({"B": "2", "a": "1"}, "k", "v").startswith("hashkey%3dk%26a%3d1%26b")


def test_hmac_sha256_primitive_matches_rfc_4231_test_case_2():
    mac = hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
    assert mac == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_linepay_signature_is_base64_hmac_of_secret_path_body_nonce():
    secret, path, body, nonce = (
        "a917ab6a2367b536f8e5a6e2977e06f4",
        "/v3/payments/request",
        '{"amount":250}',
        "44453d45-768e-40e8-8349-748e797c450f",
    )
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{secret}{path}{body}{nonce}".encode(), hashlib.sha256).digest()
    ).decode()
    assert signature(secret, path, body, nonce) == expected
    assert linepay_genuine(secret, path, body, nonce, expected)
    assert not linepay_genuine(secret, path, body + " ", nonce, expected)
    assert not linepay_genuine(secret, path, body, "another-nonce", expected)
    assert not linepay_genuine(secret, "/v3/payments/other", body, nonce, expected)
