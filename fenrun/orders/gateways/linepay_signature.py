"""LINE Pay v3's request signature, shared by the LINE Pay gateway and its local stand-in.

As LINE Pay documents it (Online API, "Handle API credentials"): X-LINE-Authorization is
Base64(HMAC-SHA256(key=channel secret, message=channel secret + API path + body + nonce)) for
a POST, with the query string in place of the body for a GET.
"""

import base64
import hashlib
import hmac


def signature(channel_secret: str, path: str, body_or_query: str, nonce: str) -> str:
    message = f"{channel_secret}{path}{body_or_query}{nonce}"
    mac = hmac.new(channel_secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def is_genuine(channel_secret: str, path: str, body_or_query: str, nonce: str, given: str) -> bool:
    if not given or not nonce:
        return False
    return hmac.compare_digest(signature(channel_secret, path, body_or_query, nonce), given)
