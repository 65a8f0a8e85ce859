"""The entry's class (schema version 2): written only where it is used, refused by older readers."""

from __future__ import annotations

import msgpack
import pytest

from rally_standings.events import (
    CODEC,
    Codec,
    EntryRegistered,
    InvalidEventError,
    Person,
    Record,
    SchemaError,
    decode_frame,
    encode_frame,
)


def _entry(entry_class: str | None) -> EntryRegistered:
    return EntryRegistered(
        entry_id="cars:200",
        category="cars",
        number="200",
        crew=(Person("Ann Morel", "FRA"),),
        entry_class=entry_class,
    )


def test_a_frame_without_classes_is_written_as_version_1() -> None:
    """Entries without a class are stored as before (version 1, six columns): old logs and
    old readers are untouched by the new field."""
    payload = encode_frame([Record(seq=2, event=_entry(None))])
    raw = msgpack.unpackb(payload)
    assert raw[1] == 1
    (run,) = raw[4]
    assert len(run) == 2 + 6 + 2  # tag, count, six columns, provenance, recorded at


def test_a_frame_with_a_class_is_version_2_and_reads_back() -> None:
    """An entry with a class is written in version 2 and reads back with its class."""
    record = Record(seq=2, event=_entry("Ultimate"))
    payload = encode_frame([record])
    assert msgpack.unpackb(payload)[1] == 2
    assert list(decode_frame(payload).records()) == [record]


def test_a_version_1_reader_refuses_a_class_it_cannot_read() -> None:
    """A reader of schema version 1 refuses a version-2 frame as written by a newer version,
    rather than dropping the class."""
    payload = encode_frame([Record(seq=2, event=_entry("Stock"))])
    with pytest.raises(SchemaError, match="newer version"):
        decode_frame(payload, codec=Codec(schema_version=1))
    assert decode_frame(
        encode_frame([Record(seq=2, event=_entry(None))]), codec=Codec(schema_version=1)
    )


def test_format_1_records_carry_the_class_only_when_set() -> None:
    """A one-record-per-frame (format 1) record leaves the field out, as version 1, while it
    is unset, so a version-1 reader (which refuses unknown keys) still reads it."""
    plain = msgpack.unpackb(CODEC.encode(Record(seq=2, event=_entry(None))))
    assert plain["v"] == 1
    assert "entry_class" not in plain["event"]
    classed = msgpack.unpackb(CODEC.encode(Record(seq=2, event=_entry("SSV"))))
    assert classed["v"] == 2
    assert classed["event"]["entry_class"] == "SSV"
    assert CODEC.decode(CODEC.encode(Record(seq=2, event=_entry("SSV")))).event == _entry("SSV")
    with pytest.raises(SchemaError, match="newer version"):
        Codec(schema_version=1).decode(CODEC.encode(Record(seq=2, event=_entry("SSV"))))


def test_a_class_is_one_line_of_text() -> None:
    """A class is free text like a make: empty or multi-line text is refused, naming the field."""
    with pytest.raises(InvalidEventError, match=r"EntryRegistered\.entry_class"):
        _entry("Ultimate\nStock")
    with pytest.raises(InvalidEventError, match=r"EntryRegistered\.entry_class"):
        _entry("  ")
