"""lotusar.timeutil, the one time parser: ISO 8601 in, UTC out, naive means UTC (never local time)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from lotusar.errors import ValidationError
from lotusar.timeutil import iso_utc, parse_datetime64, parse_utc, parse_window, to_datetime64


@pytest.fixture()
def hanoi_local_time():
    """Run with the machine's local time zone at UTC+7, to show it is never used."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Ho_Chi_Minh"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_every_form_of_one_instant_gives_the_same_utc(hanoi_local_time):
    want = np.datetime64("2022-10-25T12:00:00.250", "ns")
    forms = ["2022-10-25T12:00:00.25Z", "2022-10-25T12:00:00.25z", "2022-10-25T19:00:00.25+07:00",
             "2022-10-25T12:00:00.250", "2022-10-25 12:00:00.25+00:00",
             datetime(2022, 10, 25, 12, 0, 0, 250_000),  # naive: UTC
             datetime(2022, 10, 25, 19, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=7))),
             np.datetime64("2022-10-25T12:00:00.25", "ms")]
    for f in forms:
        assert parse_datetime64(f) == want, f
    for f in forms[:-1]:
        dt = parse_utc(f)
        assert dt.tzinfo is UTC and to_datetime64(dt) == want
    assert to_datetime64(datetime(2022, 10, 25, 12, 0, 0, 250_000)) == want
    assert iso_utc(want) == "2022-10-25T12:00:00.250Z" == iso_utc(datetime(2022, 10, 25, 12, 0, 0, 250_000))
    assert iso_utc(want, 0) == "2022-10-25T12:00:00Z" and iso_utc(want, 6) == "2022-10-25T12:00:00.250000Z"


def test_bad_times_and_windows_are_user_errors():
    with pytest.raises(ValidationError, match="start: 'yesterday' is not an ISO 8601 time"):
        parse_utc("yesterday", "start")
    with pytest.raises(ValidationError, match="window ends before it starts"):
        parse_window("2022-10-25T12:00Z", "2022-10-25T11:00Z")
    t0, t1 = parse_window("2022-10-25T12:00Z", "2022-10-25T20:00+07:00")
    assert (t1 - t0) == timedelta(hours=1)
