"""Customer files: local paths, file:// and s3:// (CSV as text, Parquet with its types)."""

from __future__ import annotations

import contextlib
import io
import lzma
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from configs.settings import Settings
from tasks.adapters import s3
from tasks.adapters.source_errors import one_line
from tasks.adapters.source_limits import ReadLimits
from tasks.core.errors import DataSourceError, TransientSourceError

_CSV = {".csv": None, ".csv.gz": "gzip", ".csv.bz2": "bz2", ".csv.xz": "xz", ".csv.zip": "zip"}
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError)


def _file_kind(name: str, label: str) -> tuple[str, str | None]:
    lower = name.lower()
    for suffix, compression in _CSV.items():
        if lower.endswith(suffix):
            return "csv", compression
    if lower.endswith((".parquet", ".pq")):
        return "parquet", None
    raise DataSourceError(
        f"{label}: unsupported file type, expected .csv[.gz|.bz2|.xz|.zip] or .parquet"
    )


def _parse_file(
    src: Path | io.BytesIO,
    kind: str,
    compression: str | None,
    label: str,
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    try:
        if kind == "parquet":
            if limits is not None:
                limits.check_parquet(src)
            return pd.read_parquet(src)
        if limits is not None:
            return limits.read_csv(src, compression)
        return pd.read_csv(src, dtype=str, keep_default_na=False, compression=compression)
    except pd.errors.EmptyDataError as exc:
        raise DataSourceError(f"{label} is empty (no header row)") from exc
    except _READ_ERRORS as exc:
        raise DataSourceError(f"{label}: cannot read {kind}: {one_line(exc)}") from exc


def _local_kind(path: Path, label: str) -> tuple[str, str | None]:
    """The file's kind and compression, once it is a non-empty file of a known type."""
    if not path.exists():
        raise DataSourceError(f"{label}: file not found")
    if path.is_dir():
        raise DataSourceError(f"{label} is a directory, expected a .csv or .parquet file")
    kind, compression = _file_kind(path.name, label)
    if path.stat().st_size == 0:
        raise DataSourceError(f"{label} is empty (0 bytes)")
    return kind, compression


def read_local(path: Path, label: str, limits: ReadLimits | None = None) -> pd.DataFrame:
    kind, compression = _local_kind(path, label)
    return _parse_file(path, kind, compression, label, limits)


def probe_local(path: Path, label: str) -> None:
    """DataSourceError unless the file exists, has a known type and can be opened."""
    _local_kind(path, label)
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as exc:
        raise DataSourceError(f"{label}: cannot open: {one_line(exc)}") from exc


def probe_s3(source: str, label: str, settings: Settings, seconds: float) -> None:
    """DataSourceError unless the object exists and can be read (a HEAD request)."""
    bucket, key = _s3_object(source, label)
    client = s3.client(settings, probe_seconds=seconds)
    try:
        with _s3_errors(label, bucket):
            client.head_object(Bucket=bucket, Key=key)
    except DataSourceError as missing:
        if not str(missing).endswith("object not found"):
            raise
        from botocore.exceptions import BotoCoreError, ClientError

        try:  # a HEAD's 404 does not say whether the object or the bucket is missing
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket"):
                raise DataSourceError(f"{label}: bucket {bucket!r} does not exist") from exc
        except BotoCoreError:
            pass
        raise


def _s3_object(source: str, label: str) -> tuple[str, str]:
    bucket, _, key = source[len("s3://") :].partition("/")
    if not bucket or not key:
        raise DataSourceError(f"{label}: expected s3://bucket/key")
    _file_kind(key, label)
    return bucket, key


@contextlib.contextmanager
def _s3_errors(label: str, bucket: str) -> Iterator[None]:
    """S3's errors as DataSourceError (TransientSourceError when a retry may succeed)."""
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as S3ConnectionError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "NoSuchBucket":
            raise DataSourceError(f"{label}: bucket {bucket!r} does not exist") from exc
        if code in ("NoSuchKey", "404"):
            raise DataSourceError(f"{label}: object not found") from exc
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        error_class = TransientSourceError if status >= 500 else DataSourceError
        message = error.get("Message", "") or f"HTTP {status}"
        raise error_class(f"{label}: S3 error {code}: {message}") from exc
    except BotoCoreError as exc:
        transient = isinstance(exc, S3ConnectionError | HTTPClientError)
        error_class = TransientSourceError if transient else DataSourceError
        raise error_class(f"{label}: S3 request failed: {one_line(exc)}") from exc


def read_s3(
    source: str, label: str, settings: Settings, limits: ReadLimits | None = None
) -> pd.DataFrame:
    bucket, key = _s3_object(source, label)
    kind, compression = _file_kind(key, label)
    client = s3.client(settings)
    with _s3_errors(label, bucket):
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    if not body:
        raise DataSourceError(f"{label} is empty (0 bytes)")
    return _parse_file(io.BytesIO(body), kind, compression, label, limits)
