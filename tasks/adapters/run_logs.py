"""The project's log lines in the Prefect UI.

While a flow runs, every line of the `retainai` loggers at INFO or above is also sent to the
Prefect API, attached to its flow (and task) run: the same lines the command line prints.
Before it leaves the process each line, its traceback included, has the settings' keys,
passwords and tokens replaced by `***` and every URL masked (tasks/core/redaction.mask_text);
so have the lines Prefect itself sends for the run (its state changes, a failure's traceback).
A line logged outside a run (a command, the API, the jobs worker) is not sent and raises no
warning. The terminal is not touched: what it shows is the console's business."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

from prefect.logging.handlers import APILogHandler
from pydantic import SecretStr

from configs.settings import Settings
from tasks.core.redaction import SCHEME, mask_text

PROJECT_LOGGER = "retainai"
# Prefect's loggers of a run, each with Prefect's own API handler
PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_SECRET_FIELD = re.compile(r"key|token|password|secret")


class MaskSecrets(logging.Filter):
    """Rewrites a record's message and traceback with the secrets masked, once."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "retainai_masked", False):
            return True
        record.msg, record.args = mask_text(record.getMessage(), self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.secrets)
        record.retainai_masked = True
        return True


class RunLogHandler(APILogHandler):
    """Prefect's API handler for the project's loggers: INFO and above, only from a run."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__(level=logging.INFO)
        self.addFilter(MaskSecrets(secrets))

    def handle(self, record: logging.LogRecord) -> bool:
        if not (getattr(record, "flow_run_id", None) or _in_a_run()):
            return False  # outside a run: nothing to attach it to
        return super().handle(record)


def _in_a_run() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def secret_values(settings: Settings) -> tuple[str, ...]:
    """The values no log line may show: every key, password and token of the settings, and
    the password, the user of an http(s) URL and the query values of every URL setting."""
    found: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str) or not text:
            continue
        if SCHEME.match(text):
            found |= _url_secrets(text)
        elif isinstance(value, SecretStr) and _SECRET_FIELD.search(name):
            found.add(text)
    return tuple(sorted(found))


def _url_secrets(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
        found = {parts.password or ""}
        if parts.scheme.lower() in ("http", "https"):
            found.add(parts.username or "")
    except ValueError:
        return {url}  # cannot tell its parts: all of it
    found |= {value for _, value in parse_qsl(parts.query)}
    return {value for value in found if value}


def send_run_logs(settings: Settings) -> None:
    """From now on, in this process: the project's INFO lines of a run go to the Prefect API
    (one handler, replaced on each call: the latest settings' secrets), masked, and so do
    Prefect's own lines of the run."""
    secrets = secret_values(settings)
    logger = logging.getLogger(PROJECT_LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, APILogHandler)]:
        logger.removeHandler(handler)  # ours of an earlier run, or Prefect's extra loggers'
    logger.addHandler(RunLogHandler(secrets))
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    for name in PREFECT_RUN_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            for old in [f for f in handler.filters if isinstance(f, MaskSecrets)]:
                handler.removeFilter(old)
            handler.addFilter(MaskSecrets(secrets))
