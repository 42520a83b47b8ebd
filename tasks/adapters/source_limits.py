"""Limits on the rows, columns and cells (rows times columns) of a customer file, checked while
it is read, before the whole table is in memory: a Parquet file from its footer (no row group
is read past a limit), a CSV from its header line, then chunk by chunk as it streams. The
refusal (TooLargeError) names the limit and its setting, never the file's path.

Only a door that asks for limits gets them (the data page's uploads); the CLI and the flows
read files of any size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from configs.settings import Settings
from tasks.core.errors import TooLargeError
from tasks.i18n import N_

CSV_CHUNK_ROWS = 100_000
# the refusals, as templates each reader's language translates (figures written with commas)
TOO_MANY = {
    ("columns", False): N_(
        "the file has %(n)s columns; a file may have at most %(limit)s "
        "(RETAINAI_UPLOAD_MAX_COLUMNS)"
    ),
    ("columns", True): N_(
        "the file has at least %(n)s columns; a file may have at most %(limit)s "
        "(RETAINAI_UPLOAD_MAX_COLUMNS)"
    ),
    ("rows", False): N_(
        "the file has %(n)s rows; a file may have at most %(limit)s (RETAINAI_UPLOAD_MAX_ROWS)"
    ),
    ("rows", True): N_(
        "the file has at least %(n)s rows; a file may have at most %(limit)s "
        "(RETAINAI_UPLOAD_MAX_ROWS)"
    ),
    ("cells", False): N_(
        "the file has %(n)s values (%(rows)s rows of %(columns)s columns); a file may have at "
        "most %(limit)s (RETAINAI_UPLOAD_MAX_CELLS)"
    ),
    ("cells", True): N_(
        "the file has at least %(n)s values (%(rows)s rows of %(columns)s columns); a file "
        "may have at most %(limit)s (RETAINAI_UPLOAD_MAX_CELLS)"
    ),
}
_SCAN_BYTES = 64 * 1024  # the header line is scanned in blocks of this size


@dataclass(frozen=True)
class ReadLimits:
    rows: int
    columns: int
    cells: int

    @classmethod
    def uploads(cls, settings: Settings) -> ReadLimits:
        """The limits of a file uploaded on the data page (RETAINAI_UPLOAD_MAX_*)."""
        return cls(settings.upload_max_rows, settings.upload_max_columns, settings.upload_max_cells)

    def check(self, rows: int, columns: int, more: bool = False) -> None:
        """TooLargeError naming the limit `rows` x `columns` passes (`more`: at least as many)."""
        if columns > self.columns:
            raise TooLargeError(
                TOO_MANY["columns", more], n=f"{columns:,}", limit=f"{self.columns:,}"
            )
        if rows > self.rows:
            raise TooLargeError(TOO_MANY["rows", more], n=f"{rows:,}", limit=f"{self.rows:,}")
        if rows * columns > self.cells:
            raise TooLargeError(
                TOO_MANY["cells", more],
                n=f"{rows * columns:,}",
                rows=f"{rows:,}",
                columns=f"{columns:,}",
                limit=f"{self.cells:,}",
            )

    def check_parquet(self, src: Path | io.BytesIO) -> None:
        """The footer's row and column counts against the limits; no row group is read."""
        with pq.ParquetFile(src) as parquet:
            metadata = parquet.metadata
        self.check(metadata.num_rows, metadata.num_columns)
        if isinstance(src, io.BytesIO):
            src.seek(0)

    def read_csv(self, src: Path | io.BytesIO, compression: str | None) -> pd.DataFrame:
        """A CSV read as `read_local` reads it (all text), refused as soon as a limit passes."""
        if compression is None:
            self.check(0, _header_fields(src, self.columns), more=True)
        chunks: list[pd.DataFrame] = []
        rows = 0
        size = min(CSV_CHUNK_ROWS, self.rows + 1)
        options = {"dtype": str, "keep_default_na": False, "compression": compression}
        with pd.read_csv(src, chunksize=size, **options) as reader:
            for chunk in reader:
                rows += len(chunk)
                self.check(rows, len(chunk.columns), more=len(chunk) == size)
                chunks.append(chunk)
        if len(chunks) == 1:
            return chunks[0]
        return pd.concat(chunks, ignore_index=True)


def _header_fields(src: Path | io.BytesIO, limit: int) -> int:
    """The fields of the first line as commas + 1 (a quoted comma counts too), counted block by
    block and only until they pass `limit`: a huge header is refused before pandas parses it."""
    handle = src.open("rb") if isinstance(src, Path) else src
    try:
        commas = 0
        while commas < limit:
            block = handle.read(_SCAN_BYTES)
            line = block.split(b"\n", 1)[0]
            commas += line.count(b",")
            if len(line) < len(block) or len(block) < _SCAN_BYTES:
                break
        return commas + 1
    finally:
        if isinstance(src, Path):
            handle.close()
        else:
            src.seek(0)
