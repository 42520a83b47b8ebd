"""Paginated JSON APIs over HTTP: next links or page numbers, records as text cells."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pandas as pd

from configs.settings import Settings
from tasks.adapters.source_errors import one_line
from tasks.core.errors import DataSourceError, TransientSourceError
from tasks.core.redaction import mask_url

_RECORD_KEYS = ("data", "items", "results", "records", "customers")
_MAX_PAGES = 10_000
_HTTP_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.2


def _headers(settings: Settings) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if settings.source_token is not None:
        headers["Authorization"] = f"Bearer {settings.source_token.get_secret_value()}"
    return headers


def read_http(url: str, label: str, settings: Settings) -> pd.DataFrame:
    import httpx

    timeout, headers = settings.http_timeout_seconds, _headers(settings)
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
        records = [record for page in _pages(client, url, label) for record in page]
    return _records_frame(records, label)


def probe_http(url: str, label: str, settings: Settings, seconds: float) -> None:
    """DataSourceError unless the first page answers with a success (one request)."""
    import httpx

    try:
        client = httpx.Client(timeout=seconds, headers=_headers(settings))
        with client, client.stream("GET", url, follow_redirects=True) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        where = mask_url(url)
        raise TransientSourceError(f"{label}: request to {where} failed: {one_line(exc)}") from exc
    if status >= 400:
        hint = " (RETAINAI_SOURCE_TOKEN)" if status in (401, 403) else ""
        raise DataSourceError(f"{label}: HTTP {status} from {mask_url(url)}{hint}")


def _pages(client, url: str, label: str):
    """Yield each page's records: follow next links, else ?page=N when the first page has one."""
    seen: set[str] = set()
    by_number, page = False, 1
    for _ in range(_MAX_PAGES):
        if url in seen:
            raise DataSourceError(f"{label}: pagination loop, {mask_url(url)} seen twice")
        seen.add(url)
        payload = _get_json(client, url, label)
        if by_number and isinstance(payload, dict) and str(payload.get("page", page)) != str(page):
            raise DataSourceError(f"{label}: asked for page {page}, got page {payload['page']}")
        records = _page_records(payload, label)
        yield records
        link = _next_link(payload)
        if len(seen) == 1 and link is None and isinstance(payload, dict):
            by_number = "page" in payload or "total_pages" in payload
            page = payload.get("page") if isinstance(payload.get("page"), int) else 1
        if link:
            url = urljoin(url, link)
        elif by_number and records and not _is_last_page(payload, page):
            page += 1
            url = _with_page(url, page)
        else:
            return
    raise DataSourceError(f"{label}: more than {_MAX_PAGES} pages")


def _get_json(client, url: str, label: str):
    import httpx

    where = mask_url(url)
    for attempt in range(1, _HTTP_ATTEMPTS + 1):
        try:
            response = client.get(url)
        except httpx.TransportError as exc:
            if attempt == _HTTP_ATTEMPTS:
                reason = one_line(exc)
                raise TransientSourceError(f"{label}: request to {where} failed: {reason}") from exc
        else:
            if response.status_code < 500 or attempt == _HTTP_ATTEMPTS:
                break
        time.sleep(_BACKOFF_SECONDS * 2 ** (attempt - 1))
    if response.status_code >= 400:
        error_class = TransientSourceError if response.status_code >= 500 else DataSourceError
        raise error_class(f"{label}: HTTP {response.status_code} from {where}")
    try:
        return response.json()
    except ValueError as exc:
        raise DataSourceError(f"{label}: invalid JSON from {where}: {one_line(exc)}") from exc


def _page_records(payload, label: str) -> list:
    if isinstance(payload, list):
        return payload
    for key in _RECORD_KEYS if isinstance(payload, dict) else ():
        if isinstance(payload.get(key), list):
            return payload[key]
    keys = ", ".join(_RECORD_KEYS)
    raise DataSourceError(f"{label}: unexpected JSON payload, expected a list or one of {keys}")


def _next_link(payload) -> str | None:
    """The next-page link; "" when the payload has a next field that is empty; None if none."""
    if not isinstance(payload, dict):
        return None
    links = payload.get("links") if isinstance(payload.get("links"), dict) else {}
    for holder, key in ((payload, "next"), (payload, "next_url"), (links, "next")):
        if key in holder:
            return holder[key] if isinstance(holder[key], str) else ""
    return None


def _is_last_page(payload, page: int) -> bool:
    total = payload.get("total_pages") if isinstance(payload, dict) else None
    return isinstance(total, int) and page >= total


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([*params, ("page", page)])))


def _records_frame(records: list, label: str) -> pd.DataFrame:
    if any(not isinstance(record, dict) for record in records):
        raise DataSourceError(f"{label}: unexpected JSON payload, records must be objects")
    columns = list(dict.fromkeys(key for record in records for key in record))
    rows = [[_cell(record.get(column)) for column in columns] for record in records]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict | list):
        return json.dumps(value, separators=(",", ":"))  # true/false, nested as JSON
    return str(value)
