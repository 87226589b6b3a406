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
    return _as_utc(dt)


def parse_window(start: str | datetime, end: str | datetime) -> tuple[datetime, datetime]:
    """Parse a [start, end] window; ValidationError when it ends before it starts."""
    t0, t1 = parse_utc(start, "start"), parse_utc(end, "end")
    if t1 <= t0:
        raise ValidationError(f"window ends before it starts: end {t1.isoformat()} <= start {t0.isoformat()}")
    return t0, t1


def _as_utc(dt: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as UTC (never as the machine's local time)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_datetime64(dt: datetime) -> np.datetime64:
    """Datetime (aware, or naive read as UTC) → naive UTC numpy datetime64[ns]."""
    return np.datetime64(_as_utc(dt).replace(tzinfo=None), "ns")


def iso_utc(t: datetime | np.datetime64, digits: int = 3) -> str:
    """ISO 8601 UTC string with a ``Z`` suffix and ``digits`` fractional-second digits."""
    if isinstance(t, np.datetime64):
        dt = _as_utc(t.astype("datetime64[us]").astype(datetime))
    else:
        dt = _as_utc(t)
    s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if digits > 0:
        s += f".{dt.microsecond:06d}"[: digits + 1]
    return s + "Z"


def parse_datetime64(text: str | datetime | np.datetime64, what: str = "time") -> np.datetime64:
    """Parse an ISO 8601 time (``Z``/offset/naive-as-UTC), datetime or datetime64 to UTC ``datetime64[ns]``."""
    if isinstance(text, np.datetime64):
        ns: np.datetime64 = text.astype("datetime64[ns]")
        return ns
    return to_datetime64(parse_utc(text, what))
