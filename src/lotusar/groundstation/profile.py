"""Mission and link profiles: declarative YAML descriptions of a downlink or beacon format.

A profile names the frame layout (TM/AOS, length, OCF/FECF), the channel coding (ASM,
randomiser, RS depth and basis, convolutional code), the packet rules (allowed APIDs,
checksum, time field) and, for beacons, the radio and payload layout. Built-in profiles
live in ``lotusar/groundstation/profiles/*.yaml``; a path to a YAML file works as well, so a
new satellite is a new data file, never new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lotusar.errors import InputFormatError, NotFoundError, ValidationError
from lotusar.groundstation.frames import FrameConfig
from lotusar.groundstation.packets import ParseLimits


@dataclass(frozen=True)
class CodingConfig:
    """Channel coding of a CADU stream."""

    asm: int = 0x1ACFFC1D
    randomizer: bool = True
    rs_depth: int | None = 4  # None: no RS
    rs_dual: bool = True
    convolutional: bool = True


@dataclass
class Profile:
    """A parsed profile (see module docstring)."""

    name: str
    kind: str
    description: str = ""
    frame: FrameConfig | None = None
    coding: CodingConfig | None = None
    limits: ParseLimits = field(default_factory=ParseLimits)
    time: dict | None = None
    raw: dict = field(default_factory=dict)

    @property
    def frame_config(self) -> FrameConfig:
        """The frame layout (a link profile without one is a user error for frame inputs)."""
        if self.frame is None:
            raise ValidationError(f"profile {self.name!r} has no frame layout")
        return self.frame

    @property
    def cadu_len(self) -> int:
        """ASM + codeblock bytes."""
        if self.frame is None or self.coding is None:
            raise ValidationError(f"profile {self.name!r} has no frame layout")
        n = self.frame.length
        if self.coding.rs_depth:
            n += 32 * self.coding.rs_depth
        return n + 4


def builtin_profiles() -> list[str]:
    """Names of the built-in profiles."""
    files = resources.files("lotusar.groundstation.profiles")
    return sorted([p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml")] + ["auto"])


def load_profile(name_or_path: str) -> Profile:
    """Load a built-in profile by name or a YAML file by path (``auto``: detect from the stream)."""
    if name_or_path == "auto":
        return Profile(name="auto", kind="link", description="layout detected from the stream", raw={"auto": True})
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        text = p.read_text()
        src = str(p)
    else:
        f = resources.files("lotusar.groundstation.profiles") / f"{name_or_path}.yaml"
        if not f.is_file():
            raise NotFoundError(f"unknown profile {name_or_path!r}; built-in: {', '.join(builtin_profiles())}")
        text = f.read_text()
        src = name_or_path
    try:
        d = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputFormatError(f"{src}: not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(d, dict) or "name" not in d:
        raise InputFormatError(f"{src}: a profile is a mapping with at least 'name'")
    return profile_from_dict(d, src)


def _int(v: Any) -> int:
    return int(v, 0) if isinstance(v, str) else int(v)


def profile_from_dict(d: dict, src: str = "profile") -> Profile:
    """Build a :class:`Profile` from a mapping (the YAML content)."""
    if not isinstance(d, dict) or "name" not in d:
        raise InputFormatError(f"{src}: a profile is a mapping with at least 'name'")
    try:
        frame = None
        if d.get("frame"):
            fr = d["frame"]
            frame = FrameConfig(
                kind=str(fr.get("kind", "aos")),
                length=_int(fr["length"]),
                scid=None if fr.get("scid") is None else _int(fr["scid"]),
                ocf=bool(fr.get("ocf", False)),
                fecf=bool(fr.get("fecf", False)),
                insert_zone=_int(fr.get("insert_zone", 0)),
                fhec=bool(fr.get("fhec", False)),
            )
        coding = None
        if d.get("coding"):
            c = d["coding"]
            rs = c.get("rs")
            coding = CodingConfig(
                asm=_int(c.get("asm", 0x1ACFFC1D)),
                randomizer=bool(c.get("randomizer", True)),
                rs_depth=None if not rs else _int(rs.get("depth", 1)),
                rs_dual=(rs or {}).get("basis", "dual") == "dual",
                convolutional=bool(c.get("convolutional", False)),
            )
            if coding.rs_depth and frame is not None:
                if not 1 <= coding.rs_depth <= 8 or frame.length % coding.rs_depth or frame.length // coding.rs_depth > 223:
                    raise ValidationError(f"{src}: frame length {frame.length} does not fit RS depth {coding.rs_depth}")
        pk = d.get("packets") or {}
        apids = pk.get("apids")
        limits = ParseLimits(
            max_len=_int(pk.get("max_length", 65542)),
            apids=None if apids is None else frozenset(_int(a) for a in apids),
            checksum=pk.get("checksum"),
        )
        return Profile(
            name=str(d["name"]),
            kind=str(d.get("kind", "link")),
            description=str(d.get("description", "")),
            frame=frame,
            coding=coding,
            limits=limits,
            time=pk.get("time"),
            raw=d,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        if isinstance(e, ValidationError):
            raise
        raise InputFormatError(f"{src}: bad profile field: {e}") from None
