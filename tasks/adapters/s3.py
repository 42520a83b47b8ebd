"""The S3 client (any S3-compatible endpoint: RETAINAI_S3_ENDPOINT_URL), with short timeouts."""

from __future__ import annotations

import threading
from typing import Any

from configs.settings import Settings

CONNECT_TIMEOUT_SECONDS = 5
HTTP_ATTEMPTS = 3
_MAKING = threading.Lock()


def client(settings: Settings, probe_seconds: float | None = None) -> Any:
    """Credentials come from the usual AWS sources (environment, profile, instance role).
    With `probe_seconds`: one attempt, that long at most to connect and to read (a check)."""
    import boto3
    from botocore.config import Config

    if probe_seconds is not None:
        timeouts = {"connect_timeout": probe_seconds, "read_timeout": probe_seconds}
        retries = {"total_max_attempts": 1}  # the request alone, no retry
    else:
        timeouts = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        timeouts["read_timeout"] = settings.http_timeout_seconds
        retries = {"max_attempts": HTTP_ATTEMPTS}
    config = Config(**timeouts, retries=retries)
    with _MAKING:  # boto3's default session makes one client at a time safely
        return boto3.client("s3", endpoint_url=settings.s3_endpoint_url or None, config=config)


def split_url(url: str) -> tuple[str, str]:
    """`s3://bucket/key` as (bucket, key); the key may be empty."""
    if not url.startswith("s3://"):
        raise ValueError(f"{url!r} is not an s3://bucket/key URL")
    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"{url!r} names no bucket (s3://bucket/key)")
    return bucket, key
