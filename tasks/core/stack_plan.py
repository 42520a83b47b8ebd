"""Where the local stack's services keep their state, derived from the application's URLs."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from configs.settings import Settings
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
    return _through(app_url, f"{database_name(app_url)}_{suffix}", driver)


def _through(app_url: str, name: str, driver: str) -> str:
    """The URL of database `name` on the app database's server, through `driver`."""
    if not is_postgres(app_url):
        raise StackError(f"not a PostgreSQL URL: {mask_url(app_url)}")
    parts = urlsplit(app_url)
    scheme = f"postgresql+{driver}" if driver else "postgresql"
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def s3_bucket(uri: str) -> str | None:
    """The bucket of an `s3://bucket/path` URI; None for any other location."""
    parts = urlsplit(uri)
    if parts.scheme != "s3":
        return None
    if not 3 <= len(parts.netloc) <= 63:
        raise StackError(f"S3 bucket names have 3 to 63 characters: {uri}")
    return parts.netloc


def needed_buckets(settings: Settings) -> dict[str, str]:
    """Every S3 bucket the stack and its deployments write to, with the setting naming it
    (the first setting, when two name the same bucket)."""
    found: dict[str, str] = {}
    for setting, uri in (
        ("RETAINAI_MLFLOW_ARTIFACTS", settings.mlflow_artifacts),
        ("RETAINAI_MLFLOW_ARTIFACT_LOCATION", settings.mlflow_artifact_location),
        ("RETAINAI_REPORTS_URL", settings.reports_url),
    ):
        bucket = s3_bucket(uri) if uri else None
        if bucket:
            found.setdefault(bucket, setting)
    return found


def needed_databases(settings: Settings) -> list[str]:
    """The PostgreSQL databases of the stack (the application's first, then Prefect's and
    MLflow's beside it) as plain `postgresql://` URLs; none on SQLite."""
    url = settings.database_url
    if not is_postgres(url):
        return []
    app = _through(url or "", database_name(url or ""), "")
    return [app, *(companion_url(url or "", suffix, "") for suffix in ("prefect", "mlflow"))]
