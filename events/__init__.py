"""The vocabulary of a rally and its log: immutable events, the codec, the file.

The implementation lives in private modules; this is the public surface. An
event type is declared in one place, ``events/_model.py`` (``@event_type``):
its tag, its stored fields and its words all come from the class.
"""

from rally_standings.events._clock import (
    format_gap,
    format_signed,
    format_time,
    parse_duration,
    parse_time,
)
from rally_standings.events._codec import CODEC, SCHEMA_VERSION, Codec, Record, Upcaster
from rally_standings.events._errors import (
    InvalidEventError,
    LogCorruptError,
    LogLockedError,
    LogNotFoundError,
    LogReplacedError,
    OutputExistsError,
    QueryError,
    RallyError,
    RuleViolationError,
    SchemaError,
    TimeFormatError,
    one_line,
)
from rally_standings.events._frames import (
    Frame,
    Run,
    all_positive,
    decode_frame,
    distinct_values,
    encode_frame,
    single_value,
)
from rally_standings.events._log import (
    FORMAT_VERSION,
    FRAME_BYTES,
    HEADER,
    LogCheck,
    LogScan,
    LogWriter,
    Problem,
    TornTail,
    building,
    check_file,
    check_new_file,
    copy_prefix,
    create_log_file,
    file_kind,
    read_file,
    read_records,
    scan_file,
    write_new_file,
)
from rally_standings.events._model import *  # noqa: F403 (the vocabulary: _model.__all__)
from rally_standings.events._model import __all__ as _vocabulary

__all__ = [
    "CODEC",
    "FORMAT_VERSION",
    "FRAME_BYTES",
    "HEADER",
    "SCHEMA_VERSION",
    "Codec",
    "Frame",
    "InvalidEventError",
    "LogCheck",
    "LogCorruptError",
    "LogLockedError",
    "LogNotFoundError",
    "LogReplacedError",
    "LogScan",
    "LogWriter",
    "OutputExistsError",
    "Problem",
    "QueryError",
    "RallyError",
    "Record",
    "RuleViolationError",
    "Run",
    "SchemaError",
    "TimeFormatError",
    "TornTail",
    "Upcaster",
    "all_positive",
    "building",
    "check_file",
    "check_new_file",
    "copy_prefix",
    "create_log_file",
    "decode_frame",
    "distinct_values",
    "encode_frame",
    "file_kind",
    "format_gap",
    "format_signed",
    "format_time",
    "one_line",
    "parse_duration",
    "parse_time",
    "read_file",
    "read_records",
    "scan_file",
    "single_value",
    "write_new_file",
]
__all__ += _vocabulary
