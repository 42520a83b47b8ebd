"""Local files written atomically (a crash never leaves a half-written report), and the one
rule for reading a file a request names: it resolves inside its folder."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.core.csv_cells import safe_frame
from tasks.core.errors import InvalidInputError


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, payload: Any) -> Path:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str)
    return _atomic(path, lambda p: p.write_text(text + "\n"))


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Text as it is (no newline translation: a CSV keeps its CRLF row ends)."""
    return _atomic(path, lambda p: p.write_text(text, encoding=encoding, newline=""))


def write_frame_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """CSV (text that a spreadsheet would run as a formula escaped), or Parquet when the name
    ends in .parquet (values as they are)."""
    if path.suffix == ".parquet":
        return _atomic(path, lambda p: frame.to_parquet(p, index=False))
    return _atomic(path, lambda p: safe_frame(frame).to_csv(p, index=False))


def inside(folder: Path, *parts: str) -> Path:
    """`folder/part/...`, refused (InvalidInputError) unless every part is a plain relative name
    and the resolved path (symbolic links followed) stays inside the resolved folder. Every
    report, plot and download a request names is found through this; the file may not exist."""
    for part in parts:  # a part may hold several names: "survival/hazard_ratios.csv"
        names = part.replace("\\", "/").split("/")
        if "\x00" in part or any(name in ("", ".", "..") for name in names):
            raise InvalidInputError(f"{part!r} is not a file name inside its folder")
    root = folder.resolve()
    found = root.joinpath(*parts).resolve()
    if root not in found.parents:
        raise InvalidInputError(f"{'/'.join(parts)!r} leads outside its folder")
    return found
