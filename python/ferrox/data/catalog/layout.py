"""Names and sizes of the catalog's on-disk layout."""

from __future__ import annotations

MANIFEST_NAME = "_manifest.json"
LOCK_NAME = ".lock"
STAGING_DIR = ".staging"
QUARANTINE_DIR = "_quarantine"
_FORMAT_TAG = "ferrox-catalog"
_INT64_MAX = 2**63 - 1

#: Rows a partition buffers before writing them as one Parquet row group.
ROW_GROUP_ROWS = 256 * 1024
#: Rows all partitions of a transaction may buffer together before flushing.
MAX_BUFFERED_ROWS = 1024 * 1024
