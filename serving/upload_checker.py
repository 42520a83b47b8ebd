"""Checking an uploaded file from the dashboard in a child process (tasks/upload_check.py), so
that however much memory or time a file takes to read, it never takes the web server's. The
page waits for the child's answer, as it waited for the check itself; an upload the child
refuses, or whose check dies or runs too long, is deleted."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from configs.settings import Settings
from tasks.adapters import upload_store
from tasks.core.errors import InvalidInputError, UnavailableError
from tasks.i18n import N_, Count
from tasks.services.data import UploadCheck

log = logging.getLogger("retainai.serving")
CHECK_SECONDS = 15 * 60  # the longest check waited for


class UploadChecker:
    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.command = [sys.executable, "-m", "tasks.upload_check"]

    def check(self, settings: Settings, upload_id: str, name: str) -> UploadCheck:
        """The verdict on an upload (blocking: call from a worker thread); InvalidInputError
        when it is refused (a limit passed: the message names it), UnavailableError when the
        check could not finish."""
        command = [*self.command, "--config", str(self.config_path), upload_id, name]
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=CHECK_SECONDS,
                env=_environment(settings),
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            upload_store.discard(settings, upload_id)
            minutes = CHECK_SECONDS // 60
            raise InvalidInputError(
                N_("checking this file took more than %(minutes)s minutes"), minutes=minutes
            ) from None
        answer = _answer(done.stdout)
        found = upload_store.read_verdict(settings, upload_id) if "checked" in answer else None
        if found is not None:
            return UploadCheck(**found)
        upload_store.discard(settings, upload_id)
        if "refused" in answer:
            raise _refusal(answer)
        log.warning(
            "the check of upload %s ended with %s: %s",
            upload_id,
            done.returncode,
            done.stderr.decode(errors="replace")[-2000:],
        )
        raise UnavailableError(N_("this file could not be checked (the check stopped); try again"))


def _environment(settings: Settings) -> dict[str, str]:
    """The child's settings: the environment, with this app's state folder and upload limits."""
    return {
        **os.environ,
        "RETAINAI_STATE_DIR": str(settings.state),
        "RETAINAI_UPLOAD_MAX_ROWS": str(settings.upload_max_rows),
        "RETAINAI_UPLOAD_MAX_COLUMNS": str(settings.upload_max_columns),
        "RETAINAI_UPLOAD_MAX_CELLS": str(settings.upload_max_cells),
    }


def _refusal(answer: dict[str, object]) -> InvalidInputError:
    """The child's refusal (a limit passed) with its template and values, translated where
    it is shown."""
    template, values = answer.get("template"), answer.get("values")
    if isinstance(template, str) and isinstance(values, dict):
        counted = {
            key: Count(value["count"]) if isinstance(value, dict) and "count" in value else value
            for key, value in values.items()
        }
        try:
            return InvalidInputError(template, **counted)
        except (KeyError, TypeError, ValueError):  # not the template it says: as written
            pass
    return InvalidInputError(str(answer["refused"]))


def _answer(stdout: bytes) -> dict[str, object]:
    """The child's last line of JSON, or {} when it printed none."""
    lines = stdout.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}
