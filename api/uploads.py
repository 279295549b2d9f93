"""Uploaded files (imports, ledgers, outcome and participant lists) saved for the importer."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile


@contextmanager
def saved_upload(file: UploadFile, *, suffix: str) -> Iterator[Path]:
    """The upload written to a temporary file ending in ``suffix``, removed after the
    ``with`` (the importer reads files by path: encoding and layout sniffing, XLSX)."""
    with tempfile.TemporaryDirectory(prefix="chainmatch-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out)
        yield path
