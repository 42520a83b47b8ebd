"""Checking an uploaded customer file in a process of its own:

    python -m tasks.upload_check --config CONFIG UPLOAD_ID NAME

checks the upload against the table's contract and the upload limits (the data service) and
prints one line of JSON: {"checked": UPLOAD_ID} (the verdict is kept beside the upload) or
{"refused": "why"} (the upload is deleted). The web app starts it (serving/upload_checker.py)
so that a file that takes memory or time to read takes them here, never in the web server.
Settings come from the environment, built once here, as for every RetainAI process."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from configs.schema import load_config
from configs.settings import load_settings
from tasks.core.errors import RetainAIError
from tasks.i18n import Count
from tasks.services import data
from tasks.services.context import Context


def _carried(value: object) -> object:
    """A value as JSON carries it: a count marked as one (serving/upload_checker.py reads it
    back), what JSON cannot hold as its text."""
    if isinstance(value, Count):
        return {"count": int(value)}
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _template_of(error: RetainAIError) -> dict[str, object]:
    """The refusal's template and values, so that the web app shows it in its reader's
    language (values that JSON cannot carry go as their text)."""
    if not error.template:
        return {}
    values = {key: _carried(value) for key, value in error.values.items()}
    return {"template": error.template, "values": values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tasks.upload_check")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("upload_id")
    parser.add_argument("name")
    args = parser.parse_args(argv)
    try:
        ctx = Context(load_settings())
        command = data.CheckUpload(upload_id=args.upload_id, name=args.name)
        data.check_upload(ctx, load_config(args.config), command)
    except RetainAIError as error:
        answer = {"refused": str(error), **_template_of(error)}
    else:
        answer = {"checked": args.upload_id}
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
