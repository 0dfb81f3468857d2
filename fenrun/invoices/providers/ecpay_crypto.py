"""ECPay's envelope for its JSON APIs (e-invoice B2C v3): the request's ``Data`` and the answer's.

As ECPay documents it (e-invoice API, "Encryption method description",
developers.ecpay.com.tw/?p=22160):
the JSON is URL-encoded, then AES-128-CBC encrypted with PKCS7 padding, HashKey as the key and
HashIV as the IV, then base64-encoded. Decryption is the reverse. The cipher is the
``cryptography`` package's; nothing here implements AES.

The URL encoding is form encoding (a space is ``+``) with upper-case hex, which is what
reproduces ECPay's published example; ECPay decodes either case.
"""

import base64
import binascii
import json
from urllib.parse import quote_plus, unquote_plus

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_BITS = 128


class EnvelopeError(ValueError):
    """Data that does not decrypt with these keys, or is not the JSON it should be."""


def _cipher(hash_key: str, hash_iv: str) -> Cipher:
    key, iv = hash_key.encode(), hash_iv.encode()
    if len(key) != 16 or len(iv) != 16:
        raise EnvelopeError("HashKey and HashIV must be 16 characters each")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def url_encode(text: str) -> str:
    return quote_plus(text, safe="")


def encrypt_text(text: str, hash_key: str, hash_iv: str) -> str:
    """base64(AES-128-CBC(PKCS7(urlencode(text))))."""
    padder = padding.PKCS7(BLOCK_BITS).padder()
    plain = padder.update(url_encode(text).encode("ascii")) + padder.finalize()
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt_text(data: str, hash_key: str, hash_iv: str) -> str:
    try:
        raw = base64.b64decode(data, validate=True)
        decryptor = _cipher(hash_key, hash_iv).decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
        plain = unpadder.update(padded) + unpadder.finalize()
        return unquote_plus(plain.decode("ascii"), errors="strict")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError("Data does not decrypt with these keys") from exc


def dumps(payload: dict) -> str:
    # Compact and not ASCII-escaped: the byte count stays that of the Chinese item names.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def encrypt_json(payload: dict, hash_key: str, hash_iv: str) -> str:
    return encrypt_text(dumps(payload), hash_key, hash_iv)


def decrypt_json(data: str, hash_key: str, hash_iv: str) -> dict:
    text = decrypt_text(data, hash_key, hash_iv)
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EnvelopeError("Data is not JSON") from exc
    if not isinstance(payload, dict):
        raise EnvelopeError("Data is not a JSON object")
    return payload
