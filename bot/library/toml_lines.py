"""Line numbers for TOML tables and keys.

tomllib returns plain dicts without positions, so the raw text is scanned once to find where each
table header and key sits; a validation error's location path is then mapped back to a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Loc = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")
_DELIMITERS = ('"""', "'''")


@dataclass
class TableNode:
    line: int
    keys: dict[str, int] = field(default_factory=dict)
    tables: dict[str, TableNode] = field(default_factory=dict)
    arrays: dict[str, list[TableNode]] = field(default_factory=dict)


def index_lines(text: str) -> TableNode:
    root = TableNode(line=1)
    current = root
    open_string: str | None = None
    # tomllib counts lines by "\n" only; str.splitlines would also split on other separators.
    for number, raw in enumerate(text.split("\n"), start=1):
        if open_string is not None:
            if raw.count(open_string) % 2 == 1:
                open_string = None
            continue
        header = _HEADER.match(raw)
        if header is not None:
            current = _open_table(root, header.group(2), header.group(1) == "[[", number)
            continue
        key = _KEY.match(raw)
        if key is not None:
            current.keys.setdefault(_unquote(key.group(1)), number)
        open_string = next((d for d in _DELIMITERS if raw.count(d) % 2 == 1), None)
    return root


def line_of(root: TableNode, loc: Loc) -> int:
    """The line of the deepest table or key on `loc` that exists in the text."""
    node, line, i = root, root.line, 0
    while i < len(loc):
        part = loc[i]
        if not isinstance(part, str):
            break
        if part in node.keys:
            return node.keys[part]
        if part in node.arrays:
            items = node.arrays[part]
            index = loc[i + 1] if i + 1 < len(loc) else None
            if not isinstance(index, int) or not 0 <= index < len(items):
                return items[0].line
            node, line, i = items[index], items[index].line, i + 2
            continue
        if part in node.tables:
            node = node.tables[part]
            line, i = node.line, i + 1
            continue
        break
    return line


def _open_table(root: TableNode, name: str, is_array: bool, number: int) -> TableNode:
    *parents, last = [_unquote(part.strip()) for part in name.split(".")]
    node = root
    for part in parents:
        if node.arrays.get(part):
            node = node.arrays[part][-1]
        else:
            node = node.tables.setdefault(part, TableNode(line=number))
    table = TableNode(line=number)
    if is_array:
        node.arrays.setdefault(last, []).append(table)
    else:
        node.tables.setdefault(last, table)
    return table


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key
