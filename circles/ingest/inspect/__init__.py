"""Inspect an agency extract and propose the pipeline spec's column mapping for it.

:func:`inspect_extract` reads a file through the pipeline's own reader (:func:`circles.io.readers.read_source`,
everything as text), so title rows, encodings, row numbers and unreadable lines are what ``circles run`` will
see. It looks at the first ``sample_rows`` records and:

* matches the header to the standard fields (:data:`STANDARD_FIELDS`): by name, by a table of synonyms
  (``"Post Code"``, ``"NHS No"``, ``"DOB"``, ``"Gender"``) or by a fuzzy match (:mod:`difflib`) that the values
  must bear out; a postcode or NHS number column with an unknown header is found by its values;
* sniffs the date formats of date columns, with the formats the spec accepts (``date_formats``), notes values
  that read both day first and month first (UK extracts are day first) and lists the values that do not parse;
* counts blanks and distinct values, lists the categories of low-cardinality columns, and checks postcodes
  (:func:`circles.geo.postcodes.normalise_postcodes`) and NHS numbers (modulus 11);
* records every row it could not parse with its row number as the user sees it (CSV: the physical line, the
  header being line 1; Excel: the sheet row) and the reason.

Extracts hold special-category personal data, and the report may be pasted into a ticket, so **no value of an
identifying column is ever shown** (client and family ids, NHS numbers, names, addresses, postcodes, dates of
birth, and unmatched columns whose header or values look identifying): those get counts only, and problems show
a value's shape (``'AA9 9AA'``), never the value. :meth:`ExtractInspection.to_yaml` writes a ``sources:`` block
to paste into a pipeline spec, with comments explaining each guess.

Modules, each using only those above it:

``text``      value shapes, quoting and YAML for the comments and messages (helpers only)
``fields``    the standard fields (:data:`STANDARD_FIELDS`) and matching header names to them
``dates``     sniffing a column's date formats (:func:`sniff_date_formats`)
``profile``   what the values say: matches by values, counts, categories, postcode, NHS number and id checks
``sample``    reading the file through the pipeline's reader, the sample, its row numbers and the header check
``report``    :class:`ExtractInspection` and its ``sources:`` block (:meth:`ExtractInspection.to_yaml`)
``extract``   :func:`inspect_extract`, which puts the steps together
"""

from circles.ingest.inspect.dates import SNIFFED_DATE_FORMATS, DateSniff, sniff_date_formats
from circles.ingest.inspect.extract import inspect_extract
from circles.ingest.inspect.fields import STANDARD_FIELDS, FieldMatch, StandardField, match_headers, normalise_header
from circles.ingest.inspect.profile import ColumnProfile, PostcodeCheck, Problem
from circles.ingest.inspect.report import ExtractInspection

__all__ = [
    "STANDARD_FIELDS",
    "SNIFFED_DATE_FORMATS",
    "StandardField",
    "FieldMatch",
    "ColumnProfile",
    "DateSniff",
    "PostcodeCheck",
    "Problem",
    "ExtractInspection",
    "inspect_extract",
    "match_headers",
    "normalise_header",
    "sniff_date_formats",
]
