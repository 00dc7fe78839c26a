"""How the ``parley`` command prints: tables for people, NDJSON for tools."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any

import orjson

from projector.rebuild import Timings, VerifyReport


def ndjson_line(record: dict[str, Any]) -> str:
    return orjson.dumps(record, option=orjson.OPT_UTC_Z).decode()


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str], out: IO[str], *, widths: Sequence[int] = ()) -> None:
    """A plain text table; cells longer than their column's width (when given) are cut with an ellipsis."""
    cells = [[_cell(v) for v in row] for row in rows]
    cols = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for i, width in enumerate(widths):
        if width:
            cols[i] = min(cols[i], width)
    print("  ".join(h.ljust(w) for h, w in zip(headers, cols, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(_fit(c, w) for c, w in zip(row, cols, strict=True)).rstrip(), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return orjson.dumps(value, option=orjson.OPT_UTC_Z).decode()
    return str(value)


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def timings_line(timings: Timings) -> str:
    rate = timings.events / timings.elapsed if timings.elapsed else 0.0
    return (
        f"{timings.events} events in {timings.elapsed:.2f} s ({rate:,.0f} events/s); "
        f"waiting for the log {timings.read:.2f} s, applying {timings.apply:.2f} s, writing views {timings.write:.2f} s"
    )


def verify_summary(report: VerifyReport, out: IO[str]) -> None:
    lag = ", ".join(f"{n} {b} behind" if b else f"{n} at the head" for n, b in report.behind.items())
    print(f"log head: {report.head}; consumers: {lag}", file=out)
    positions = ", ".join(f"{n} at {p}" for n, p in report.positions.items())
    print(f"compared at log positions: {positions}", file=out)
    for diff in report.differences:
        if diff.equal:
            print(f"  {diff.model}: equal ({diff.live} documents)", file=out)
            continue
        print(
            f"  {diff.model}: DIFFERENT - live {diff.live} documents, rebuilt {diff.rebuilt}; "
            f"{len(diff.missing)} missing from live, {len(diff.unexpected)} only in live, "
            f"{diff.changed_count} changed",
            file=out,
        )
        for doc_id in diff.missing[:10]:
            print(f"    missing: {doc_id}", file=out)
        for doc_id in diff.unexpected[:10]:
            print(f"    only in live: {doc_id}", file=out)
        for doc_id, fields in diff.changed:
            for name, (live, rebuilt) in fields.items():
                print(f"    changed: {doc_id} {name}: live {_cell(live)!s} != rebuilt {_cell(rebuilt)!s}", file=out)
