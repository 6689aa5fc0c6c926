"""Statement splitting and the read-only check."""

from __future__ import annotations

import pytest

from projections.sql import NotReadOnlyError, check_identifier, ensure_read_only, split_statements


def test_split_respects_strings_identifiers_and_comments() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (a String DEFAULT ';') ENGINE = Memory;
        /* block; comment */
        INSERT INTO t VALUES ('it''s; fine'), ('back\\'slash;');
        SELECT `odd;name` FROM t;
        ;
        -- trailing comment only
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[0].endswith("ENGINE = Memory")
    assert "'it''s; fine'" in statements[1] and "'back\\'slash;'" in statements[1]
    assert statements[2].endswith("SELECT `odd;name` FROM t")


def test_unterminated_quotes_are_reported() -> None:
    with pytest.raises(ValueError, match="unterminated ' quote"):
        split_statements("SELECT 'oops")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "  with x AS (SELECT 1) SELECT * FROM x;",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SHOW TABLES",
        "DESCRIBE TABLE sales",
        "EXPLAIN SELECT 1",
        "-- leading comment\nSELECT 'INSERT INTO x' AS text",
    ],
)
def test_reading_statements_pass(sql: str) -> None:
    assert ensure_read_only(sql).strip()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO sales VALUES (1)", "got INSERT"),
        ("DROP TABLE sales", "got DROP"),
        ("ALTER TABLE sales DELETE WHERE 1", "got ALTER"),
        ("SELECT 1; DROP TABLE sales", "one statement at a time"),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"),
        ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "INSERT is not allowed"),
        ("   ", "no SQL statement"),
        ("SET readonly = 0", "got SET"),
    ],
)
def test_writing_statements_are_refused_with_a_clear_message(sql: str, message: str) -> None:
    with pytest.raises(NotReadOnlyError, match=message):
        ensure_read_only(sql)


def test_identifiers_are_plain_names_only() -> None:
    assert check_identifier("channel_ledger") == "channel_ledger"
    for bad in ("a-b", "1abc", "x; DROP", ""):
        with pytest.raises(ValueError):
            check_identifier(bad)
