"""The architecture, fleet and orbit pages stay true: their links exist and every ``lotusar.…``
name they cite resolves (a renamed module or function fails here until the page follows)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_architecture_page_has_its_picture():
    links = re.findall(r"\]\(([^)#:]+)\)", (DOCS / "architecture.md").read_text())
    assert "architecture.svg" in links and "architecture_figure.py" in links and "fleet.md" in links


@pytest.mark.parametrize("page", ["architecture.md", "fleet.md", "orbit.md"])
def test_links_and_names_resolve(page):
    text = (DOCS / page).read_text()
    links = re.findall(r"\]\(([^)#:]+)\)", text)
    assert [link for link in links if not (DOCS / link).exists()] == []
    names = set(re.findall(r"`(lotusar(?:\.[A-Za-z_][A-Za-z_0-9]*)+)", text))
    assert names
    unresolved = []
    for name in sorted(names):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            unresolved.append(name)
    assert unresolved == []
