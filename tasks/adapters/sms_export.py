"""SMS for the gateway: one CSV per batch (phone, text, message id), written atomically."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tasks.adapters.storage import write_text_atomic
from tasks.core.csv_cells import safe_cell
from tasks.core.errors import SmsExportError
from tasks.core.outreach import OPT_OUT_TEXT, sms_text

COLUMNS = ("phone", "text", "message_id")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")  # E.164: at most 15 digits


@dataclass(frozen=True)
class SmsRow:
    phone: str
    text: str  # without the opt-out text: the export appends it
    message_id: str


def _phone(raw: str, message_id: str) -> str:
    phone = re.sub(r"[\s().-]", "", raw)
    if not _PHONE.match(phone):
        raise SmsExportError(f"SMS {message_id} has no usable phone number")
    return phone


def write_sms_export(rows: Iterable[SmsRow], path: Path, opt_out: str = OPT_OUT_TEXT) -> Path:
    """Write every row with the opt-out text appended, or nothing at all.

    SmsExportError for a text that no longer fits one SMS, a bad phone number or a message id
    seen twice (each message goes out at most once).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    seen: set[str] = set()
    for row in rows:
        if not row.message_id or row.message_id in seen:
            raise SmsExportError(f"SMS message id {row.message_id!r} is empty or repeated")
        seen.add(row.message_id)
        text = sms_text(row.text, opt_out, message_id=row.message_id)
        cells = (_phone(row.phone, row.message_id), text, row.message_id)
        writer.writerow([safe_cell(cell) for cell in cells])
    return write_text_atomic(path, buffer.getvalue())
