"""The layers import one way (docs/architecture.md): read by parsing the modules' imports, not by running them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("query_api", "projector"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_read_side_builds_no_writer_of_the_log(path: Path) -> None:
    assert "shared.event_store" not in imports(path), "read through shared.event_reader.EventReader"


def test_audit_reads_through_the_reader() -> None:
    assert "shared.event_store" not in imports(ROOT / "shared" / "audit.py")


@pytest.mark.parametrize(
    "path", modules("command_api/handlers", "command_api/domain"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_handlers_and_decisions_know_nothing_of_http(path: Path) -> None:
    assert not {name for name in imports(path) if name.split(".")[0] in ("fastapi", "starlette")}


@pytest.mark.parametrize("path", modules("command_api/handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_see_the_log_through_its_contract(path: Path) -> None:
    assert "shared.event_store" not in imports(path), "type it shared.event_log.EventLog"
