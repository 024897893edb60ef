"""SigV4 signing of the lean transport: botocore's signer on a lighter request.

botocore's ``SigV4Auth`` computes the canonical request, the string to sign
and the Authorization and security-token headers. Only its per-request
bookkeeping is lighter here: headers are a plain dict (ours never repeat a
name) instead of AWSRequest's email-based headers, and the signing key, which
depends only on the secret key and the day, is derived once per day instead
of per request. ``tests/unit/test_transport.py`` checks every signature
against botocore's own signer.
"""

from urllib.parse import urlsplit

from botocore.auth import SigV4Auth

from ._botocore_private import SIGNED_HEADERS_BLACKLIST, header_value, hmac_sign, signer_scope


class SigningRequest:
    """What SigV4Auth reads and writes of a request, without AWSRequest's email-based headers."""

    __slots__ = ("method", "url", "headers", "body", "params", "context")

    def __init__(self, url, headers, body):
        self.method = "POST"
        self.url = url
        self.headers = headers
        self.body = body
        self.params = {}
        self.context = {}


class LeanSigV4Auth(SigV4Auth):
    """botocore's SigV4 for a ``SigningRequest``: dict headers, a signing key kept for its day."""

    _signing_key = (None, None)  # (day, key): the credentials of a signer never change

    def headers_to_sign(self, request):
        signed = {}
        for name, value in request.headers.items():
            lowered = name.lower()
            if lowered not in SIGNED_HEADERS_BLACKLIST:
                signed[lowered] = value
        if "host" not in signed:  # as botocore: a handler may have dropped it
            signed["host"] = urlsplit(request.url).netloc
        return signed

    def canonical_headers(self, headers_to_sign):
        return "\n".join(
            f"{name}:{header_value(self, headers_to_sign[name])}"
            for name in sorted(headers_to_sign)
        )

    def signature(self, string_to_sign, request):
        day = request.context["timestamp"][0:8]
        cached_day, key = self._signing_key
        if cached_day != day:
            key = f"AWS4{self.credentials.secret_key}".encode()
            for part in (day, *signer_scope(self), "aws4_request"):
                key = hmac_sign(self, key, part)
            self._signing_key = (day, key)
        return hmac_sign(self, key, string_to_sign, hex=True)
