"""What of a URL or an error may be shown or logged, and whether a URL carries a secret.

`mask_url` is the one place a URL is made fit for a page, a log line, an error message or a
run record: scheme, host, port and path (the database, the file, the endpoint) stay; a user
part becomes `***` and so does every query value, so no password, token or key survives.
`mask_text` does the same to every URL in a text and hides the known secret values in it (a
log line sent to the Prefect UI). `hide_paths` keeps the server's folders out of what a web
page says."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|key|sig|credential|auth|session|code|cert", re.IGNORECASE
)
_HTTP = ("http", "https")
# an absolute path of two parts or more, not inside a URL or a word: /srv/state/uploads/x.csv
# a URL inside a text, up to a space or a quote
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
MASK = "***"
_SHORTEST_SECRET = 4  # shorter values are no secret worth hiding and would mask common words
_ABSOLUTE_PATH = re.compile(r"(?<![\w/:.~-])(?:/[^\s/'\":,;()<>\[\]]+){2,}/?")


def mask_url(url: str) -> str:
    """`url` without anything secret; text that is not a URL (a file path) as it is."""
    match = SCHEME.match(url)
    if not match:
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return f"{match.group(1)}://***"
    _, at, host = parts.netloc.rpartition("@")
    query = "&".join(_masked_pair(pair) for pair in re.split(r"[&;]", parts.query) if pair)
    tail = f"?{query}" if query else ""
    return f"{parts.scheme}://{'***@' if at else ''}{host}{parts.path}{tail}"


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every value of `secrets` (keys, passwords, tokens) replaced by `***`, the
    longest first, then every URL through `mask_url`."""
    for secret in sorted({s for s in secrets if len(s) >= _SHORTEST_SECRET}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL_IN_TEXT.sub(lambda found: mask_url(found.group(0)), text)


def _masked_pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    return f"{name}=***" if equals else "***"


def carries_secret(url: str) -> bool:
    """Whether a URL holds a password, a user part of an http(s) URL (often a token) or a
    query parameter named like a secret (password, token, key, signature...)."""
    if not SCHEME.match(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # cannot tell: treat it as secret
    if parts.password is not None or (parts.scheme.lower() in _HTTP and parts.username):
        return True
    names = (pair.partition("=")[0] for pair in re.split(r"[&;]", parts.query) if pair)
    return any(_SECRET_NAME.search(name) for name in names)


def hide_paths(text: str) -> str:
    """`text` with every absolute path replaced by its last part (the file's name): what is
    wrong with a file, never where the server keeps it."""
    return _ABSOLUTE_PATH.sub(lambda found: found.group(0).rstrip("/").rsplit("/", 1)[-1], text)
