"""Where the local stack's services keep their state, derived from the application's URLs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from tasks.core.errors import StackError
from tasks.core.redaction import mask_url

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres(url: str | None) -> bool:
    """True for a SQLAlchemy PostgreSQL URL (any driver)."""
    return bool(url) and urlsplit(url).scheme.split("+")[0] in POSTGRES_SCHEMES


def database_name(url: str) -> str:
    """The database a server URL names (its path), e.g. `retainai` of `.../retainai`."""
    name = urlsplit(url).path.lstrip("/")
    if not name or "/" in name:
        raise StackError(f"the database URL names no single database: {mask_url(url)}")
    return name


def companion_url(app_url: str, suffix: str, driver: str) -> str:
    """The app database's URL for a sibling database `<name>_<suffix>`, through `driver`.

    Prefect, MLflow and RetainAI each keep an `alembic_version` table, so each gets its own
    database on the same server: `postgresql+asyncpg://u@h/app_prefect` for Prefect."""
    if not is_postgres(app_url):
        raise StackError(f"not a PostgreSQL URL: {mask_url(app_url)}")
    parts = urlsplit(app_url)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    path = f"/{database_name(app_url)}_{suffix}"
    return urlunsplit((scheme, parts.netloc, path, parts.query, parts.fragment))


def s3_bucket(uri: str) -> str | None:
    """The bucket of an `s3://bucket/path` URI; None for any other location."""
    parts = urlsplit(uri)
    if parts.scheme != "s3":
        return None
    if not 3 <= len(parts.netloc) <= 63:
        raise StackError(f"S3 bucket names have 3 to 63 characters: {uri}")
    return parts.netloc
