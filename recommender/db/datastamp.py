"""A data-version stamp shared by every process of one installation.

Writers (API writes, page forms, CLI imports) touch ``$CHAINMATCH_HOME/DATA_VERSION`` after
they commit; each serving process compares the file's modification time with the one its
ranking data was built from and rebuilds in the background when it is newer. One ``os.stat``
per request, and it works across several API processes sharing a database.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STAMP_FILE = "DATA_VERSION"


def stamp_path(home: Path) -> Path:
    """Where the stamp of an installation lives."""
    return Path(home) / STAMP_FILE


def touch(home: Path) -> int:
    """Record that the data changed now; returns the new stamp (ns)."""
    path = stamp_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(str(now), encoding="ascii")
    os.replace(tmp, path)
    os.utime(path, ns=(now, now))
    return now


def read(home: Path) -> int:
    """The current stamp (ns since the epoch), 0 when the data never changed."""
    try:
        return stamp_path(home).stat().st_mtime_ns
    except FileNotFoundError:
        return 0
