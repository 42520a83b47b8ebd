"""Where reports are kept: written under the local reports folder, and copied to
RETAINAI_REPORTS_URL (s3://bucket/prefix) when it is set. The one door through which flows
publish reports and the dashboard reads them back; a report's location is a `file://` URI or
an `s3://` URL of the same relative path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote

from configs.settings import Settings
from tasks.adapters import s3
from tasks.adapters.storage import inside


def location(settings: Settings, path: Path) -> str:
    """Where `path` (a file or folder under the reports folder) is kept."""
    relative = _relative(settings, path)
    if settings.reports_url:
        return f"{settings.reports_url.rstrip('/')}/{relative}"
    return path.resolve().as_uri()


def publish(settings: Settings, path: Path) -> str:
    """Keep a report file, or every file of a report folder, in the configured store and
    return its location. Copies overwrite: publishing the same report twice is harmless."""
    if not path.exists():
        raise FileNotFoundError(f"report {path} does not exist")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if _kept(p))
    if settings.reports_url:
        client = s3.client(settings)
        for file in files:
            bucket, key = s3.split_url(location(settings, file))
            client.upload_file(str(file), bucket, key)
    return location(settings, path)


def fetch(settings: Settings, uri: str) -> Path | None:
    """A local copy of the stored report at `uri`, or None when it is not a report of this
    store or no longer exists; a location that leads outside the store is refused
    (InvalidInputError). An S3 report is downloaded again on each call (a rerun of the same
    period replaces it)."""
    if uri.startswith("file://"):
        root = settings.reports_dir.resolve().as_uri() + "/"
        if not uri.startswith(root):
            return None
        path = inside(settings.reports_dir, unquote(uri[len(root) :]))
        return path if path.is_file() else None
    prefix = (settings.reports_url or "").rstrip("/") + "/"
    if not settings.reports_url or not uri.startswith(prefix):
        return None
    relative = uri[len(prefix) :]
    cache = settings.state / "dashboard-cache" / "reports"
    return _download(settings, uri, inside(cache, relative))


def read(settings: Settings, path: Path) -> Path | None:
    """A local copy of the report kept for `path` under the reports folder (the file itself
    with a local store; downloaded with S3, so a reader elsewhere sees what the flows kept),
    or None when none is kept."""
    return fetch(settings, location(settings, path))


def _download(settings: Settings, uri: str, target: Path) -> Path | None:
    from botocore.exceptions import ClientError

    bucket, key = s3.split_url(uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        s3.client(settings).download_file(bucket, key, temporary)
        os.replace(temporary, target)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket"):
            return None
        raise
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def _relative(settings: Settings, path: Path) -> str:
    root = settings.reports_dir.resolve()
    resolved = path.resolve()
    if root not in resolved.parents:
        raise ValueError(f"{path} is not inside the reports folder {root}")
    return resolved.relative_to(root).as_posix()


def _kept(path: Path) -> bool:
    """Files of a report folder, without the temporary files of an unfinished write."""
    return path.is_file() and not path.name.startswith(".")
