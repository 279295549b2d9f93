"""Import and export of entity files: the data contract of docs/data-format.md.

``read_table`` reads a CSV/XLSX file, ``validate_table`` checks every row and conforms the
good ones to ``features.schema``, ``import_file``/``import_dir`` write them all-or-nothing,
``export_frame`` writes stored rows back out in the same format.
"""

from features.uscc import is_valid_uscc, uscc_check_digit
from recommender.ingest.cities import CityResolver
from recommender.ingest.importing import ImportReport, export_frame, import_dir, import_file
from recommender.ingest.reading import DEFAULT_MAX_BYTES, RawTable, read_table
from recommender.ingest.validate import Validated, validate_table

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CityResolver",
    "ImportReport",
    "RawTable",
    "Validated",
    "export_frame",
    "import_dir",
    "import_file",
    "is_valid_uscc",
    "read_table",
    "uscc_check_digit",
    "validate_table",
]
