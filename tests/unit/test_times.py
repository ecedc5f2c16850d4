"""Times a creator types: ISO 8601 with or without an offset, or relative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidInput
from core.times import parse_when

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+30m", NOW + timedelta(minutes=30)),
        ("in 2h", NOW + timedelta(hours=2)),
        ("+1d", NOW + timedelta(days=1)),
        ("2026-12-01T18:00+01:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ],
)
def test_times_are_read_as_utc(text, expected):
    assert parse_when(text, now=NOW) == expected


def test_a_time_without_offset_is_in_the_creators_zone():
    berlin = parse_when("2026-12-01 18:00", now=NOW, zone="Europe/Berlin")
    assert berlin == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert berlin.tzinfo == UTC or berlin.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["tomorrow", "+30", "in two hours", "2026-13-01", ""])
def test_anything_else_is_refused_with_the_formats_named(text):
    with pytest.raises(InvalidInput, match=r"is not a time: use ISO 8601"):
        parse_when(text, now=NOW)


def test_a_relative_time_counts_from_what_it_follows():
    opens = NOW + timedelta(days=2)
    assert parse_when("+3d", now=NOW, relative_to=opens) == NOW + timedelta(days=5)
    assert parse_when("2026-12-04T12:00Z", now=NOW, relative_to=opens) == NOW + timedelta(days=3)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("+99999999999999999999d", "more than ten years away"),
        ("+3651d", "more than ten years away"),
        ("2040-01-01T00:00Z", "more than ten years away"),
        ("9999-12-31T23:59-14:00", "outside the calendar"),
        ("0001-01-01T00:00+05:00", "outside the calendar"),
    ],
)
def test_times_past_the_calendar_are_refused_in_words(text, words):
    with pytest.raises(InvalidInput, match=words):
        parse_when(text, now=NOW)
