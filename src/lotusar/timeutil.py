"""Time parsing shared by every stage: ISO 8601 in, UTC ``datetime64[ns]`` / aware datetime out.

Times are UTC throughout lotusar. A naive ISO string is read as UTC; an offset is honoured.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from lotusar.errors import ValidationError


def parse_utc(text: str | datetime, what: str = "time") -> datetime:
    """Parse an ISO 8601 string (``Z`` or offset allowed) to an aware UTC datetime."""
    if isinstance(text, datetime):
        dt = text
    else:
        s = str(text).strip()
        if s.endswith("Z") or s.endswith("z"):
            s = s[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            raise ValidationError(f"{what}: {text!r} is not an ISO 8601 time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_window(start: str | datetime, end: str | datetime) -> tuple[datetime, datetime]:
    """Parse a [start, end] window; ValidationError when it ends before it starts."""
    t0, t1 = parse_utc(start, "start"), parse_utc(end, "end")
    if t1 <= t0:
        raise ValidationError(f"window ends before it starts: end {t1.isoformat()} <= start {t0.isoformat()}")
    return t0, t1


def to_datetime64(dt: datetime) -> np.datetime64:
    """Aware datetime → naive UTC numpy datetime64[ns]."""
    return np.datetime64(dt.astimezone(UTC).replace(tzinfo=None), "ns")


def iso_utc(t: datetime | np.datetime64, digits: int = 3) -> str:
    """ISO 8601 UTC string with a ``Z`` suffix and ``digits`` fractional-second digits."""
    if isinstance(t, np.datetime64):
        t = t.astype("datetime64[us]").astype(datetime).replace(tzinfo=UTC)
    t = t.astimezone(UTC)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits > 0:
        s += f".{t.microsecond:06d}"[: digits + 1]
    return s + "Z"


def parse_datetime64(text: str | datetime | np.datetime64, what: str = "time") -> np.datetime64:
    """Parse an ISO 8601 time (``Z``/offset/naive-as-UTC), datetime or datetime64 to UTC ``datetime64[ns]``."""
    if isinstance(text, np.datetime64):
        return text.astype("datetime64[ns]")
    return to_datetime64(parse_utc(text, what))
