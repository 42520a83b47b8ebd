"""SMS for the gateway: one CSV per batch (phone, text, message id), written atomically."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from configs.settings import Settings
from tasks.adapters.delivery import Delivery, Outgoing
from tasks.adapters.storage import write_text_atomic
from tasks.core.csv_cells import safe_cell
from tasks.core.errors import SmsExportError
from tasks.core.outreach import OPT_OUT_TEXT, message_id, sms_text

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


def export_path(settings: Settings, campaign_id: int) -> Path:
    """Where a campaign's SMS export is written (and read back to be downloaded)."""
    return settings.reports_dir / "campaigns" / str(campaign_id) / "sms.csv"


def read_export(settings: Settings, campaign_id: int) -> bytes | None:
    """The campaign's SMS export as written, or None when it has none."""
    path = export_path(settings, campaign_id)
    return path.read_bytes() if path.is_file() else None


class SmsDeliverer:
    """Every approved SMS of a send into one gateway file (phone, text, message id) under
    the campaign's reports folder, written whole or not at all."""

    batch_size = None  # one file per send

    def __init__(self, settings: Settings, campaign_id: int, outbox: Path | None = None):
        self.campaign_id, self.opt_out = campaign_id, settings.sms_opt_out_text
        self.path = export_path(settings, campaign_id)

    def __enter__(self) -> SmsDeliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def deliver(self, messages: Sequence[Outgoing]) -> Iterator[Delivery]:
        rows = [
            SmsRow(
                str(m.contact.get("phone") or ""),
                m.body,
                message_id(self.campaign_id, m.customer_id, "sms", "sms.retainai"),
            )
            for m in messages
        ]
        if rows:
            write_sms_export(rows, self.path, self.opt_out)
        for _ in rows:
            yield Delivery("sent", "sms")
