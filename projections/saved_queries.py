"""Ready analyst queries shipped in ``projections/queries/*.sql``, by name (the file stem)."""

from __future__ import annotations

from importlib import resources


def saved_queries() -> dict[str, str]:
    """Every saved query's SQL by name, in name order."""
    found = {
        entry.name.removesuffix(".sql"): entry.read_text()
        for entry in resources.files("projections.queries").iterdir()
        if entry.name.endswith(".sql")
    }
    return dict(sorted(found.items()))


def saved_query(name: str) -> str:
    queries = saved_queries()
    try:
        return queries[name]
    except KeyError:
        raise KeyError(f"no saved query {name!r}; known: {', '.join(queries)}") from None
