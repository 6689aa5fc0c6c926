"""Small, dependency-free SQL text helpers shared by both warehouse adapters.

ClickHouse's HTTP interface runs one statement per request, so migration files are split
here rather than handed to the engine whole; the same scanner tells the analyst command
whether a statement only reads. The scanner knows just enough SQL lexis to be right about
where statements end: quoted strings, quoted identifiers and comments.
"""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

READ_ONLY_KEYWORDS: frozenset[str] = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"}
)
"""First keywords of statements that cannot change data or schema."""


class NotReadOnlyError(ValueError):
    """Raised for SQL that might write, when only reading is allowed."""


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier; it is interpolated into SQL text."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain identifier (letters, digits, underscore)")
    return name


def _skip_quoted(sql: str, start: int) -> int:
    """Index just past the quoted token opening at ``start`` (backslash and doubled quotes escape)."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        ch = sql[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise ValueError(f"unterminated {quote} quote starting at character {start}")


def _code_spans(sql: str) -> list[tuple[int, int, bool]]:
    """Split ``sql`` into (start, end, is_code) spans; non-code is strings and comments."""
    spans: list[tuple[int, int, bool]] = []
    i = code_start = 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"`":
            end = _skip_quoted(sql, i)
        elif sql.startswith("--", i) or ch == "#":
            newline = sql.find("\n", i)
            end = len(sql) if newline < 0 else newline
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            if close < 0:
                raise ValueError(f"unterminated /* comment starting at character {i}")
            end = close + 2
        else:
            i += 1
            continue
        if i > code_start:
            spans.append((code_start, i, True))
        spans.append((i, end, False))
        i = code_start = end
    if code_start < len(sql):
        spans.append((code_start, len(sql), True))
    return spans


def split_statements(sql: str) -> list[str]:
    """Split a script on top-level semicolons; empty and comment-only statements are dropped."""
    statements: list[str] = []
    current: list[str] = []
    has_code = False
    for start, end, is_code in _code_spans(sql):
        text = sql[start:end]
        if not is_code:
            current.append(text)
            has_code = has_code or text[0] in "'\"`"
            continue
        parts = text.split(";")
        for index, part in enumerate(parts):
            if index > 0:
                if has_code:
                    statements.append("".join(current).strip())
                current, has_code = [], False
            current.append(part)
            has_code = has_code or bool(part.strip())
    if has_code:
        statements.append("".join(current).strip())
    return statements


def strip_comments(sql: str) -> str:
    """``sql`` with comments replaced by a space; strings and quoted identifiers are kept."""
    pieces = []
    for start, end, is_code in _code_spans(sql):
        text = sql[start:end]
        pieces.append(text if is_code or text[0] in "'\"`" else " ")
    return "".join(pieces)


def _code_only(sql: str) -> str:
    """``sql`` with strings, quoted identifiers and comments blanked out, for keyword scans."""
    return "".join(sql[s:e] if is_code else " " for s, e, is_code in _code_spans(sql))


def ensure_read_only(sql: str) -> str:
    """Return the single statement in ``sql`` if it only reads, else raise ``NotReadOnlyError``.

    A lexical check that gives a clear message; the adapters also run the statement with the
    engine's ``readonly`` setting, which is the real guarantee.
    """
    statements = split_statements(sql)
    if not statements:
        raise NotReadOnlyError("no SQL statement given")
    if len(statements) > 1:
        raise NotReadOnlyError(f"one statement at a time, got {len(statements)}")
    statement = statements[0]
    code = _code_only(statement).upper()
    words = code.split()
    first = words[0].lstrip("(") if words else ""
    if first not in READ_ONLY_KEYWORDS:
        allowed = ", ".join(sorted(READ_ONLY_KEYWORDS))
        raise NotReadOnlyError(f"only read-only statements ({allowed}) are allowed, got {first or '?'}")
    if re.search(r"\bINTO\s+OUTFILE\b", code):
        raise NotReadOnlyError("INTO OUTFILE writes a file; print the result or use --format instead")
    if re.search(r"\bINSERT\s+INTO\b", code):
        raise NotReadOnlyError("INSERT is not allowed in a read-only query")
    return statement
