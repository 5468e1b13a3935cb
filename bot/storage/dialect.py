"""The thin dialect layer: storage writes SQLite-flavoured SQL once; PostgreSQL gets it rewritten.

The repositories keep one text per query. What differs between the engines is small and
mechanical, so it is rewritten here rather than written twice:

- `?` and `:name` parameters become `$1…$n` (asyncpg speaks only positional parameters);
- `INSERT OR IGNORE` becomes `INSERT … ON CONFLICT DO NOTHING`;
- `julianday(x)`, `group_concat(x)` and `json_each(x)` become their PostgreSQL equivalents;
- in schema scripts, INTEGER is 64-bit (snowflakes), `id INTEGER PRIMARY KEY` an identity, and
  foreign keys are added after every table of the script exists (SQLite allows a reference to a
  table created further down; PostgreSQL does not).

String literals are never rewritten: the scanner skips them.

`bulk_insert` turns an `INSERT` run once per row (`executemany`) into one statement over
arrays (`unnest`), so queuing a thousand deliveries costs the server one statement, not a
thousand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# A single-quoted literal ('' escapes a quote) or anything up to the next quote.
_LITERAL = re.compile(r"'(?:[^']|'')*'")
# A list of `?` after IN (an array parameter on PostgreSQL), a `?`, or a `:name`.
_PARAM = re.compile(
    r"(\bNOT\s+)?\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)|\?|(?<![:\w]):([A-Za-z_]\w*)",
    re.IGNORECASE,
)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_JULIANDAY = re.compile(r"\bjulianday\(([^()]*)\)", re.IGNORECASE)
_GROUP_CONCAT = re.compile(r"\bgroup_concat\(([^()]*)\)", re.IGNORECASE)
_JSON_EACH = re.compile(r"\bjson_each\(([^()]*)\)", re.IGNORECASE)
# SQLite's `+column` keeps the planner off an index; PostgreSQL has no unary plus for text.
_UNARY_PLUS = re.compile(r"(?<=[\s(,])\+(?=[A-Za-z_])")
_CAST_INTEGER = re.compile(r"\bAS\s+INTEGER\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PgQuery:
    sql: str
    # For `:name` queries, the names in `$n` order; empty for `?` queries.
    names: tuple[str, ...]
    # A SELECT (or anything with RETURNING): fetch its rows rather than count changes.
    returns_rows: bool
    # For `?` queries with an IN list: each `$n`'s slice of the given parameters, and whether
    # it is an array (the list) or one value. Empty when every `?` is its own `$n`.
    slices: tuple[tuple[int, int, bool], ...] = ()

    def args(self, params: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any]:
        if isinstance(params, Mapping):
            return [params[name] for name in self.names]
        if self.slices:
            return [
                list(params[start:stop]) if many else params[start]
                for start, stop, many in self.slices
            ]
        return params


def _outside_literals(sql: str, rewrite: Any) -> str:
    out: list[str] = []
    last = 0
    for match in _LITERAL.finditer(sql):
        out.append(rewrite(sql[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(rewrite(sql[last:]))
    return "".join(out)


def _truncating_casts(code: str) -> str:
    """`CAST(a / b AS INTEGER)` truncates in SQLite and rounds in PostgreSQL: make it truncate."""
    out: list[str] = []
    at = 0
    while (start := code.upper().find("CAST(", at)) != -1:
        depth, end = 0, start + 4
        for end in range(start + 4, len(code)):
            depth += {"(": 1, ")": -1}.get(code[end], 0)
            if depth == 0:
                break
        inner = code[start + 5 : end]
        head, _, kind = inner.rpartition(" AS ")
        out.append(code[at:start])
        if kind.strip().upper() == "INTEGER" and "/" in head:
            out.append(f"CAST(TRUNC({_truncating_casts(head)}) AS INTEGER)")
        else:
            out.append(f"CAST({_truncating_casts(inner)})")
        at = end + 1
    out.append(code[at:])
    return "".join(out)


def _functions(code: str) -> str:
    code = _truncating_casts(code)
    # Text in, text stored: asyncpg would otherwise want a datetime for a timestamptz parameter.
    code = _JULIANDAY.sub(
        r"(EXTRACT(EPOCH FROM CAST(CAST(\1 AS TEXT) AS timestamptz)) / 86400.0 + 2440587.5)",
        code,
    )
    code = _GROUP_CONCAT.sub(r"string_agg(CAST(\1 AS TEXT), ',')", code)
    code = _JSON_EACH.sub(r"json_array_elements_text(CAST(\1 AS json))", code)
    code = _UNARY_PLUS.sub("", code)
    return _CAST_INTEGER.sub("AS BIGINT)", code)


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> PgQuery:
    names: list[str] = []
    slices: list[tuple[int, int, bool]] = []
    given = 0  # `?`s seen so far

    def number(match: re.Match[str]) -> str:
        nonlocal given
        name = match.group(2)
        if name is not None:
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"
        count = match.group(0).count("?")
        many = match.group(0) != "?"
        slices.append((given, given + count, many))
        given += count
        if not many:
            return f"${len(slices)}"
        # One array whatever the list's length: the text (and so the prepared statement and
        # its plan) is the same for every length.
        return f"{'<> ALL' if match.group(1) else '= ANY'}(${len(slices)})"

    def rewrite(code: str) -> str:
        return _functions(_PARAM.sub(number, code))

    text = _outside_literals(sql, rewrite)
    if given and names:
        raise ValueError(f"a query mixes ? and :name parameters: {sql!r}")
    lists = tuple(slices) if any(many for _, _, many in slices) else ()
    if _INSERT_OR_IGNORE.match(text):
        text = _INSERT_OR_IGNORE.sub("INSERT INTO", text, count=1)
        returning = _RETURNING.search(text)
        if returning:
            text = f"{text[: returning.start()]}ON CONFLICT DO NOTHING {text[returning.start() :]}"
        else:
            text = f"{text.rstrip().rstrip(';')} ON CONFLICT DO NOTHING"
    head = (text.split(None, 1) or [""])[0].upper()
    returns_rows = head in {"SELECT", "WITH", "VALUES"} or bool(_RETURNING.search(text))
    return PgQuery(text, tuple(names), returns_rows, lists)


# Many rows in one statement --------------------------------------------------------------------

_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*(?:\([^()]*\))?\s*", re.IGNORECASE)
_NUMBERED = re.compile(r"\$(\d+)")
_ON_CONFLICT = re.compile(r"\bON\s+CONFLICT\b", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
# At the top level of an INSERT … SELECT these act on the whole result, not on each row's.
_SET_WIDE = re.compile(
    r"\b(?:LIMIT|OFFSET|GROUP\s+BY|DISTINCT|UNION|INTERSECT|EXCEPT|ORDER\s+BY|HAVING|WINDOW|"
    r"RETURNING|WITH)\b",
    re.IGNORECASE,
)


def _masked(sql: str) -> str:
    """`sql` with every literal's contents blanked: the same length, so positions still match."""
    return _LITERAL.sub(lambda m: "'" + " " * (len(m.group(0)) - 2) + "'", sql)


def _top_level(masked: str) -> str:
    """`masked` with everything inside parentheses (and the parentheses) blanked."""
    out: list[str] = []
    depth = 0
    for char in masked:
        depth += char == "("
        out.append(char if depth == 0 else " ")
        depth -= char == ")" and depth > 0
    return "".join(out)


def _closing(masked: str, opening: int) -> int:
    """Where the parenthesis opened at `opening` closes (-1: never)."""
    depth = 0
    for at in range(opening, len(masked)):
        depth += {"(": 1, ")": -1}.get(masked[at], 0)
        if depth == 0:
            return at
    return -1


@lru_cache(maxsize=512)
def bulk_insert(sql: str, types: tuple[str, ...]) -> str | None:
    """`sql` (PostgreSQL text: `INSERT … VALUES (…)` or `INSERT … SELECT …` with `$n`
    parameters of the given server types) as one statement taking an array per parameter, or
    None when running it once per row could differ from one pass: it reads the table it
    writes, or aggregates, limits or orders its SELECT, or returns rows.

    Rows come from `unnest($1::type[], …)`, and `$n` becomes that row's n-th value. Duplicate
    keys in one pass behave as row by row under `ON CONFLICT DO NOTHING`; under `DO UPDATE`
    PostgreSQL refuses them (the caller then falls back to row by row).
    """
    masked = _masked(sql)
    head = _INSERT_INTO.match(masked)
    if head is None or not types:
        return None
    rest = masked[head.end() :]
    if re.search(rf"\b{re.escape(head.group(1))}\b", rest, re.IGNORECASE):
        return None
    top = _top_level(masked)
    if _SET_WIDE.search(top, head.end()):
        return None
    conflict = _ON_CONFLICT.search(top, head.end())
    end = conflict.start() if conflict else len(sql)
    body, body_masked, body_top = (x[head.end() : end] for x in (sql, masked, top))
    rows = ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(types, 1))
    names = ", ".join(f"_b{i}" for i in range(1, len(types) + 1))
    source = f"unnest({rows}) AS _bulk({names})"

    def per_row(code: str) -> str:
        return _outside_literals(code, lambda part: _NUMBERED.sub(r"_bulk._b\1", part))

    keyword = body_masked.lstrip()[:6].upper()
    if keyword == "VALUES":
        opening = body_masked.index("(")
        closing = _closing(body_masked, opening)
        if closing < 0 or body_masked[closing + 1 :].strip():
            return None  # several tuples in one VALUES
        select = f"SELECT {per_row(body[opening + 1 : closing])} FROM {source} "
    elif keyword == "SELECT":
        code = per_row(body)
        if _FROM.search(body_top) is None:
            select = f"{code.rstrip()} FROM {source} "
        else:
            # `per_row` may have lengthened the select list: find its FROM again.
            again = _FROM.search(_top_level(_masked(code)))
            if again is None:
                return None
            select = f"{code[: again.end()]} {source} CROSS JOIN{code[again.end() :]}"
    else:
        return None
    return f"{sql[: head.end()]}{select}{sql[end:]}"


# Schema scripts ------------------------------------------------------------------------------

_COMMENT = re.compile(r"--[^\n]*")
_CREATE_TABLE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.DOTALL)
_COLUMN_REFERENCE = re.compile(
    r"^(\s*)(\w+)(\s+[^,\n]*?)\s+REFERENCES\s+(\w+)\((\w+)\)((?:\s+ON\s+DELETE\s+"
    r"(?:CASCADE|SET NULL|RESTRICT|NO ACTION))?)",
    re.IGNORECASE | re.MULTILINE,
)
_ID_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?", re.IGNORECASE)


def schema_to_postgres(script: str) -> str:
    """A migration script for PostgreSQL: same tables, columns, checks, indexes and keys."""
    script = _COMMENT.sub("", script)
    foreign_keys: list[str] = []

    def table(match: re.Match[str]) -> str:
        name, body = match.group(1), match.group(2)

        def reference(col: re.Match[str]) -> str:
            indent, column, rest, target, key, on_delete = col.groups()
            foreign_keys.append(
                f"ALTER TABLE {name} ADD FOREIGN KEY ({column}) REFERENCES {target}({key})"
                f"{on_delete};"
            )
            return f"{indent}{column}{rest}"

        body = _COLUMN_REFERENCE.sub(reference, body)
        return f"CREATE TABLE {name} ({body}\n);"

    script = _CREATE_TABLE.sub(table, script)
    script = _ID_KEY.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", script)
    script = re.sub(r"\bINTEGER\b", "BIGINT", script)
    script = re.sub(r"\bREAL\b", "DOUBLE PRECISION", script)
    statements = [s.strip() for s in script.split(";") if s.strip()]
    rewritten = [to_postgres(s).sql if _INSERT_OR_IGNORE.match(s) else s for s in statements]
    return ";\n".join([*rewritten, *[fk.rstrip(";") for fk in foreign_keys]]) + ";\n"
