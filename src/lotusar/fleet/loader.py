"""Read and validate a fleet file (TOML); the default fleet is embedded in the package."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic

from lotusar.errors import InputFormatError, ValidationError
from lotusar.fleet.schema import Fleet

DEFAULT_FLEET_NAME = "default_fleet.toml"


def default_fleet_text() -> str:
    """The embedded default fleet TOML."""
    return resources.files("lotusar.fleet").joinpath(DEFAULT_FLEET_NAME).read_text(encoding="utf-8")


def _format_loc(loc: tuple, data: dict) -> str:
    """A pydantic error location as a readable path, list items labelled by their ``name``."""
    parts: list[str] = []
    node: Any = data
    for p in loc:
        if isinstance(p, int):
            label = None
            if isinstance(node, list) and 0 <= p < len(node) and isinstance(node[p], dict) and "name" in node[p]:
                label = node[p]["name"]
            parts[-1:] = [f"{parts[-1]}[{p}{'=' + repr(label) if label else ''}]"] if parts else [f"[{p}]"]
            node = node[p] if isinstance(node, list) and 0 <= p < len(node) else None
        else:
            parts.append(str(p))
            node = node.get(p) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def parse_fleet(text: str, source: str = "<fleet>", base_dir: str | Path | None = None) -> Fleet:
    """Parse and validate fleet TOML text; errors name the file and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputFormatError(f"{source}: not valid TOML: {e}") from None
    try:
        fleet = Fleet.model_validate(data)
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        where = _format_loc(tuple(err.get("loc", ())), data)
        msg = err.get("msg", "invalid value")
        more = f" (+{len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise ValidationError(f"{source}: field {where}: {msg}{more}") from None
    for s in fleet.satellites:
        s._base_dir = str(base_dir) if base_dir is not None else None
        s._source_name = source
    # elements are part of the contract: parse them now so a bad TLE fails at load time
    for s in fleet.satellites:
        s.orbit()
    return fleet


def load_fleet(path: str | Path | None = None) -> Fleet:
    """Load a fleet file, or the embedded default when ``path`` is None.

    Raises ``ValidationError`` (file + field) for schema violations, ``InputFormatError`` for
    broken TOML, ``FileNotFoundError`` for a missing file.
    """
    if path is None:
        return parse_fleet(default_fleet_text(), source=f"<embedded {DEFAULT_FLEET_NAME}>")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFormatError(f"{p}: fleet file does not exist") from None
    except UnicodeDecodeError as e:
        raise InputFormatError(f"{p}: byte {e.start}: not UTF-8 text") from None
    return parse_fleet(text, source=str(p), base_dir=p.resolve().parent)
