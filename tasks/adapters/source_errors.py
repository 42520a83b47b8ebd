"""What every source module shares: one-line reasons and credential-free labels."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SECRET_PARAM = re.compile(r"pass|secret|token|key|signature|credential|auth", re.IGNORECASE)


def one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def mask_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if parts.scheme.lower() in ("http", "https"):
            userinfo = "***"  # a bare user part may itself be a token
        elif ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_SECRET_PARAM.search(name) for name, _ in pairs):
        pairs = [(n, "***" if _SECRET_PARAM.search(n) else v) for n, v in pairs]
        query = urlencode(pairs, safe="*")
    tail = (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    return f"{parts.scheme}://{netloc}{parts.path}{tail}"  # urlunsplit would drop sqlite's ////
