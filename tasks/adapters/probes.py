"""Cheap probes of what the deployments will use: an S3 bucket, the LLM API and the SMTP
relay (the application database: tasks/adapters/db.probe_database). Each waits `seconds` at
most and returns None when the target answers, else one line saying what is wrong (no secret
in it)."""

from __future__ import annotations

from configs.settings import Settings
from tasks.adapters import s3
from tasks.adapters.source_errors import one_line
from tasks.core.errors import RetainAIError
from tasks.core.redaction import mask_url


def bucket(settings: Settings, name: str, seconds: float) -> str | None:
    """Whether the S3 bucket `name` exists and these credentials may use it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3.client(settings, probe_seconds=seconds).head_bucket(Bucket=name)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket"):
            return f"the S3 bucket {name} does not exist"
        if code in ("403", "AccessDenied"):
            return f"the S3 bucket {name} refuses these credentials (AWS_ACCESS_KEY_ID)"
        return f"the S3 bucket {name}: S3 error {code}"
    except BotoCoreError as exc:
        endpoint = mask_url(settings.s3_endpoint_url or "AWS S3")
        return (
            f"the S3 bucket {name}: {endpoint} does not answer "
            f"(RETAINAI_S3_ENDPOINT_URL): {one_line(exc)}"
        )
    return None


def llm(settings: Settings, base_url: str, seconds: float) -> str | None:
    """Whether the OpenAI-compatible API answers at `base_url`, takes the key and offers the
    model: its model list, when it serves one (a server without it still answers)."""
    import httpx

    url = f"{base_url.rstrip('/')}/models"
    where = mask_url(url)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    try:
        answer = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=seconds)
    except httpx.HTTPError as exc:
        return f"the LLM API does not answer at {where}: {one_line(exc) or type(exc).__name__}"
    if answer.status_code in (401, 403):
        return f"the LLM API at {where} refuses the key (RETAINAI_LLM_API_KEY)"
    if answer.status_code == 404:
        return f"the LLM API has no {where}: does RETAINAI_LLM_BASE_URL end with /v1?"
    if answer.status_code >= 500:
        return f"the LLM API at {where} fails: HTTP {answer.status_code}"
    if answer.is_success:
        try:
            offered = {str(model.get("id")) for model in answer.json().get("data", [])}
        except (ValueError, AttributeError):
            return f"the LLM API at {where} answers with something else than a model list"
        if offered and settings.llm_model not in offered:
            return (
                f"the LLM API at {where} offers no model {settings.llm_model} (RETAINAI_LLM_MODEL)"
            )
    return None


def smtp(settings: Settings, seconds: float) -> str | None:
    """Whether the SMTP relay greets, answers EHLO, and takes STARTTLS and the login as
    configured (nothing is sent)."""
    from tasks.adapters.mail import SmtpMailer

    timeout = min(seconds, settings.smtp_timeout_seconds)
    quick = settings.model_copy(update={"smtp_timeout_seconds": timeout})
    try:
        with SmtpMailer(quick):
            pass
    except RetainAIError as exc:
        return str(exc)
    return None
