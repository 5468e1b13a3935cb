"""Export packaging's own rules: the plainest form whose every file fits the upload limit, and
split parts that each open on their own."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from bot.services.export_files import MAX_FILES_PER_MESSAGE, ExportFiles, ExportForm, package
from tests.services.conftest import NOW, Services


def export_of(rows: int, width: int = 200) -> bytes:
    # Varied text, so compression cannot make a large export small.
    answers = [
        {"id": i, "text": f"{i:x}".join(chr(33 + (i * 7 + j) % 90) for j in range(width))}
        for i in range(rows)
    ]
    data = {
        "format": {"version": 1},
        "notes": "what each table means",
        "tables": {"answers": answers},
    }
    return json.dumps(data, indent=2).encode()


def unzip(data: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [name] = archive.namelist()
        loaded: dict[str, object] = json.loads(archive.read(name))
        return loaded


def test_a_small_export_stays_plain_json() -> None:
    plain = export_of(3)
    files = package(plain, len(plain), NOW)
    assert files.form is ExportForm.JSON and [f.data for f in files.files] == [plain]


def test_an_export_over_the_limit_is_zipped_when_that_fits() -> None:
    plain = b'{"tables": {}, "x": "' + b"a" * 50_000 + b'"}'
    files = package(plain, 10_000, NOW)
    assert files.form is ExportForm.ZIP
    assert len(files.files[0].data) <= 10_000


def test_a_large_export_is_split_into_parts_that_each_fit_and_open() -> None:
    plain = export_of(400)
    limit = len(plain) // 6
    files = package(plain, limit, NOW)

    assert files.form is ExportForm.PARTS and len(files.files) > 1
    assert all(len(f.data) <= limit for f in files.files)
    parts = [unzip(f.data) for f in files.files]
    ids = [row["id"] for part in parts for row in part["tables"]["answers"]]  # type: ignore[index]
    assert ids == list(range(400))
    assert "notes" in parts[0] and all("notes" not in p for p in parts[1:])


def test_a_row_that_fits_no_part_is_an_error_not_a_truncation() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        package(export_of(3, width=5000), 300, NOW)


def test_files_are_grouped_ten_to_a_message() -> None:
    files = ExportFiles(ExportForm.PARTS, [package(b"{}", 10, NOW).files[0]] * 23)
    assert [len(m) for m in files.messages()] == [MAX_FILES_PER_MESSAGE, MAX_FILES_PER_MESSAGE, 3]


async def test_a_members_real_export_round_trips_through_its_parts(services: Services) -> None:
    pair = await services.pair(1, 2)
    for n in range(30):
        await services.answers.submit(await services.give(pair), 1, f"answer {n} " * 40)
    whole, files = await services.privacy.export_files(1, 4_000)
    assert files.form is ExportForm.PARTS
    tables: dict[str, list[object]] = {}
    for f in files.files:
        for table, items in unzip(f.data)["tables"].items():  # type: ignore[attr-defined]
            tables.setdefault(table, []).extend(items)
    # Empty tables are left out of the parts; every row is in exactly one of them.
    expected = {t: items for t, items in json.loads(whole.data)["tables"].items() if items}
    assert tables == expected
