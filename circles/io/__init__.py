"""Readers and writers shared by every stage.

Modules, in data-flow order:

``readers``   CSV, XLSX and Parquet inputs: encodings, delimiters, title rows, column mapping
``writers``   atomic CSV, JSON, GeoPackage and text outputs; spreadsheet-formula neutralising
"""

from circles.io.readers import (
    SourceTable,
    detect_encoding,
    map_columns,
    read_csv_source,
    read_excel_source,
    read_parquet_source,
    read_source,
    sha256_file,
)
from circles.io.writers import (
    atomic_path,
    neutralise_formulas,
    save_figure,
    write_csv,
    write_geopackage,
    write_json,
)

__all__ = [
    "SourceTable",
    "read_source",
    "read_csv_source",
    "read_excel_source",
    "read_parquet_source",
    "map_columns",
    "detect_encoding",
    "sha256_file",
    "atomic_path",
    "write_csv",
    "write_geopackage",
    "write_json",
    "save_figure",
    "neutralise_formulas",
]
