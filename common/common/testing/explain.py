"""Which indexes a query uses, read from `explain()` on MongoDB and on the local store (FerretDB on
PostgreSQL, whose explain is PostgreSQL's plan): tests show a repository's query is served by the
index declared for it (issue #42)."""

from __future__ import annotations


def _nodes(plan):
    if isinstance(plan, dict):
        yield plan
        for value in plan.values():
            yield from _nodes(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _nodes(value)


def indexes_used(explained: dict) -> tuple[set[str], bool]:
    """(the names of the indexes the plan reads, whether it also scans the whole collection).
    MongoDB names its indexes; FerretDB names PostgreSQL's, which contain the MongoDB name."""
    planner = explained.get("queryPlanner", {})
    if "winningPlan" in planner:  # MongoDB
        nodes = list(_nodes(planner["winningPlan"]))
        used = {node["indexName"] for node in nodes if node.get("stage") == "IXSCAN"}
        return used, any(node.get("stage") == "COLLSCAN" for node in nodes)
    nodes = list(_nodes(planner.get("Plan", {})))
    used = {node["Index Name"] for node in nodes if "Index Name" in node}
    return used, any(node.get("Node Type") == "Seq Scan" for node in nodes)


def assert_uses_index(cursor, name: str) -> None:
    """The query of `cursor` reads index `name` (its MongoDB name) and never the whole collection."""
    used, scans = indexes_used(cursor.explain())
    assert not scans, f"a collection scan: indexes {used or 'none'}"
    assert any(index == name or f"_{name}_" in index or index.endswith(f"_{name}") for index in used), (
        f"index {name} not used: {used or 'none'}"
    )


def filler(collection, count: int = 2000, **fields) -> None:
    """Documents that match no test's query, so the planner prefers an index to a scan (PostgreSQL
    scans a small table whatever its indexes). A callable field is called with the document's number
    (for fields a unique index covers)."""
    documents = [
        {"filler": n, **{name: value(n) if callable(value) else value for name, value in fields.items()}}
        for n in range(count)
    ]
    collection.insert_many(documents, ordered=False)
