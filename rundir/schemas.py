"""The parquet files of a run directory as pyarrow schemas, built from :mod:`rundir.columns`.

Imports pyarrow: the load generator imports this module lazily (pyarrow costs a second of start-up in every
Locust process, and gevent's cached loop clock would make ``locust -t`` fire early by that much).
"""

from __future__ import annotations

import pyarrow as pa

from rundir import columns

_TYPES: dict[str, pa.DataType] = {"string": pa.string(), "bool": pa.bool_(), "float64": pa.float64(),
                                  "int32": pa.int32(), "int64": pa.int64(), "list<float32>": pa.list_(pa.float32())}


def arrow_type(kind: str) -> pa.DataType:
    """The pyarrow type of a :data:`rundir.columns.TYPES` name."""
    return _TYPES[kind]


def schema_of(cols: tuple[tuple[str, str], ...]) -> pa.Schema:
    """A nullable pyarrow schema of ``(name, type)`` columns, in order."""
    return pa.schema([pa.field(name, _TYPES[kind], nullable=True) for name, kind in cols])


STREAMS_SCHEMA = schema_of(columns.STREAMS)
STAGES_SCHEMA = schema_of(columns.STAGES)
LOADGEN_SCHEMA = schema_of(columns.LOADGEN)
MARKS_SCHEMA = schema_of(columns.MARKS)
CLUSTER_SCHEMAS: dict[str, pa.Schema] = {table: schema_of(columns.cluster_types(table)) for table in columns.CLUSTER}
ALERT_SCHEMAS: dict[str, pa.Schema] = {table: schema_of(columns.cluster_types(table)) for table in columns.ALERTS}
