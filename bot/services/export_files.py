"""An export as files Discord will take: plain JSON, one zip, or several zips.

Discord refuses an attachment above the interaction's `attachment_size_limit` (per file; 10 MiB
by default when this was written, more on boosted servers). A member with years of answers
must still get their data, so a large export is compressed, and one that is still too large is
split by rows: every part is a complete JSON document a person can open on its own, rather
than byte slices that only a command line can put back together.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

# What Discord allowed every upload when this was written; the interaction's own value wins.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
MAX_FILES_PER_MESSAGE = 10  # Discord's cap on attachments in one message
BASENAME = "closer-export"
JSON_FILENAME = f"{BASENAME}.json"
# Parts are sized to this share of the limit: compression ratios differ a little between parts.
PART_TARGET = 0.8


class ExportForm(StrEnum):
    JSON = "json"
    ZIP = "zip"
    PARTS = "parts"


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ExportFiles:
    form: ExportForm
    files: list[ExportFile]

    def messages(self) -> list[list[ExportFile]]:
        """The files grouped as Discord will take them: at most 10 to a message."""
        step = MAX_FILES_PER_MESSAGE
        return [self.files[i : i + step] for i in range(0, len(self.files), step)]


def package(plain: bytes, limit: int, when: datetime) -> ExportFiles:
    """The export (`PrivacyService.export`'s JSON) in the plainest form whose every file is at
    most `limit` bytes."""
    if len(plain) <= limit:
        return ExportFiles(ExportForm.JSON, [ExportFile(JSON_FILENAME, plain)])
    packed = _zip(JSON_FILENAME, plain, when)
    if len(packed) <= limit:
        return ExportFiles(ExportForm.ZIP, [ExportFile(f"{BASENAME}.zip", packed)])
    data = json.loads(plain)
    rows = [(table, row) for table, items in data["tables"].items() for row in items]
    count = max(2, math.ceil(len(packed) / (limit * PART_TARGET)))
    while count <= len(rows):
        files = _parts(data, rows, count, when)
        largest = max(len(f.data) for f in files)
        if largest <= limit:
            return ExportFiles(ExportForm.PARTS, files)
        count = max(count + 1, math.ceil(count * largest / (limit * PART_TARGET)))
    # One row alone over the limit: answers are capped at a few thousand characters, so this
    # needs a limit far below anything Discord has ever had.
    raise ValueError(f"one exported row does not fit in {limit} bytes")


def _parts(
    data: dict[str, Any], rows: list[tuple[str, Any]], count: int, when: datetime
) -> list[ExportFile]:
    sizes = [len(json.dumps(row, ensure_ascii=False)) for _, row in rows]
    # Part 1 also carries what the tables and fields mean; count that as its first rows.
    cumulative = len(json.dumps({k: v for k, v in data.items() if k != "tables"}))
    share = (cumulative + sum(sizes)) / count
    groups: list[list[tuple[str, Any]]] = [[] for _ in range(count)]
    for item, size in zip(rows, sizes, strict=True):
        # By bytes, not by row count: one long answer weighs more than ten schedules.
        groups[min(count - 1, int(cumulative // share))].append(item)
        cumulative += size
    groups = [groups[0]] + [g for g in groups[1:] if g]
    files = []
    for number, group in enumerate(groups, start=1):
        tables: dict[str, list[Any]] = {}
        for table, row in group:
            tables.setdefault(table, []).append(row)
        header = {"format": {**data["format"], "part": number, "parts": len(groups)}}
        # The notes and field descriptions once, in part 1, not a copy weighing down each part.
        part = {**data, **header, "tables": tables} if number == 1 else {**header, "tables": tables}
        stem = f"{BASENAME}-part{number}of{len(groups)}"
        files.append(ExportFile(f"{stem}.zip", _zip(f"{stem}.json", _dumps(part), when)))
    return files


def _dumps(data: dict[str, Any]) -> bytes:
    # Indented: people open this in an editor.
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def _zip(name: str, content: bytes, when: datetime) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, content)
    return out.getvalue()
