"""Every member of botocore that the wire layer uses beyond its documented client API.

botocore documents clients, sessions, ``Config`` and the exceptions; the
lean transport also relies on the pieces below. They are named here, once,
so that a botocore upgrade that moves one breaks this module's import (and
``tests/unit/test_transport.py``) instead of a request at run time.
"""

from botocore.auth import SIGNED_HEADERS_BLACKLIST
from botocore.awsrequest import AWSResponse
from botocore.hooks import first_non_none_response
from botocore.httpsession import ProxyConfiguration, get_cert_path
from botocore.utils import get_environ_proxies

__all__ = [
    "SIGNED_HEADERS_BLACKLIST",
    "AWSResponse",
    "ProxyConfiguration",
    "first_non_none_response",
    "get_cert_path",
    "get_environ_proxies",
    "header_value",
    "hmac_sign",
    "signer_scope",
]


def hmac_sign(signer, key, message, hex=False):
    """HMAC-SHA256 of ``message`` with ``key`` (``SigV4Auth._sign``), raw or as hex."""
    return signer._sign(key, message, hex=hex)


def header_value(signer, value):
    """A header value as SigV4's canonical headers spell it (``SigV4Auth._header_value``)."""
    return signer._header_value(value)


def signer_scope(signer):
    """The (region, service) a ``SigV4Auth`` signs for (its ``_region_name``, ``_service_name``)."""
    return signer._region_name, signer._service_name
