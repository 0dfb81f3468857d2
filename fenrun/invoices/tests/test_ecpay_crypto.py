"""ECPay's AES envelope against ECPay's own published example.

Source: ECPay developer documentation, e-invoice API, "Encryption method description"
(https://developers.ecpay.com.tw/?p=22160; the same example on ?p=29371), test merchant
MerchantID 2000132, HashKey ejCk326UnaZWKisg, HashIV q9jcZX8Ib9LM8wYk — the keys ECPay's
official PHP SDK uses in its e-invoice examples (github.com/ECPay/SDK_PHP,
example/Invoice/B2C/Issue.php).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fenrun.invoices.providers import ecpay_crypto as crypto

KEY, IV = "ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk"
PLAIN = '{"Name":"Test","ID":"A123456789"}'
URL_ENCODED = "%7B%22Name%22%3A%22Test%22%2C%22ID%22%3A%22A123456789%22%7D"
# ECPay's published cipher texts for the upper-case and the lower-case URL encoding.
CIPHER_UPPER = (
    "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
)
CIPHER_LOWER = (
    "ZD/z07UvdmL3aYz0tsVo+bFXF5VldNcns6ezyfea777KOmLiizrUNDYe+v1bh2QTT4AySf1NICgXxWXB6f7c6A=="
)


def test_url_encoding_matches_ecpays_example():
    assert crypto.url_encode(PLAIN) == URL_ENCODED


def test_encryption_matches_ecpays_example():
    assert crypto.encrypt_text(PLAIN, KEY, IV) == CIPHER_UPPER
    assert crypto.encrypt_json({"Name": "Test", "ID": "A123456789"}, KEY, IV) == CIPHER_UPPER


@pytest.mark.parametrize("cipher", [CIPHER_UPPER, CIPHER_LOWER])
def test_decryption_matches_ecpays_example(cipher):
    assert crypto.decrypt_text(cipher, KEY, IV) == PLAIN
    assert crypto.decrypt_json(cipher, KEY, IV) == {"Name": "Test", "ID": "A123456789"}


@pytest.mark.parametrize(
    "data",
    [
        "not base64!",
        "",
        CIPHER_UPPER[:-4],  # not whole blocks
        crypto.encrypt_text("[1, 2]", KEY, IV),  # JSON, not an object
        crypto.encrypt_text("{", KEY, IV),
    ],
)
def test_what_does_not_decrypt_to_an_object_is_refused(data):
    with pytest.raises(crypto.EnvelopeError):
        crypto.decrypt_json(data, KEY, IV)


def test_other_keys_do_not_decrypt_it():
    with pytest.raises(crypto.EnvelopeError):
        crypto.decrypt_json(CIPHER_UPPER, "A123456789012345", IV)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=30) | st.integers(), max_size=5))
def test_round_trip(payload):
    assert crypto.decrypt_json(crypto.encrypt_json(payload, KEY, IV), KEY, IV) == payload
