"""Remove secrets from every string that leaves modelbom.

Tokens and URL credentials must never reach a BOM, report, log or cache. Every value
taken from a scanned file or from git metadata passes through :func:`redact` when it
enters the domain model, so emitters never see the secret at all.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"

# Token shapes of the services a model repository talks to. Each pattern is linear.
_TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),  # Hugging Face user access tokens
    re.compile(r"\bapi_org_[A-Za-z0-9]{20,}"),  # Hugging Face organisation tokens
    re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),  # Anthropic
    re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}"),  # OpenAI
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),  # GitLab
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),  # Slack
)

# scheme://user:password@host  or  scheme://token@host
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]{0,15}://)(?P<userinfo>[^/@\s\"']{1,512})@"
)

_SECRET_QUERY_KEYS = frozenset(
    {
        "token",
        "access_token",
        "api_key",
        "apikey",
        "key",
        "password",
        "passwd",
        "secret",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "auth",
    }
)


def redact(text: str) -> str:
    """Return *text* with URL credentials and known token shapes replaced."""
    if not text:
        return text
    out = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    for pattern in _TOKEN_PATTERNS:
        out = pattern.sub(REDACTED, out)
    return out


def redact_url(url: str) -> str:
    """Return *url* without user information and without secret query parameters.

    Unlike :func:`redact`, the credentials are dropped rather than masked, so the result
    is a clean URL that can be published (for example as a VCS reference in a BOM).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if not parts.scheme or not parts.netloc:
        # scp-like git remotes: user@host:path. The user part of an ssh remote is not a
        # secret on its own, but a token can be smuggled there too: drop it.
        if "@" in url and "://" not in url:
            return redact(url.split("@", 1)[1])
        return redact(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, v) for k, v in pairs if k.lower() not in _SECRET_QUERY_KEYS])
    cleaned = SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment)
    return redact(urlunsplit(cleaned))
