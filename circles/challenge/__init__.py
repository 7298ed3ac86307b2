"""Challenge: the service directory, the service-overlap network, the circle of need and the findings.

Modules, in data-flow order:

``services``          the service directory, in one import: the public names of the five modules below
``directory``         the service directory model (tidy tables), its checks, and the parsing of opening hours
``directory_yaml``    a hand-written directory in YAML, checked by a pydantic model
``open_referral``     Open Referral UK v1 CSV import (and the CSV reader shared with HSDS)
``hsds``              HSDS 3.0 / Open Referral UK 3.0 CSV import, export and validation (official descriptors)
``hsds_json``         HSDS 3.0 JSON import (the API's service objects), checked against the official JSON Schema
``schedules``         HSDS schedules as RFC 5545 recurrence rules (dateutil.rrule): sessions over a period
``coverage``          opening hours, which services meet which needs, need coverage
``network``           the service-overlap network (networkx): tables and measures; re-exports its figures
``network_figures``   the network for print (A3 PDF) and the browser (HTML), and the combinations (UpSet) figure
``circle``            the circle of need diagram, in one import: the public names of the two modules below
``circle_placement``  each item's status and where every node of the three rings goes
``circle_figures``    the circle of need drawn for print (A3 PDF) and the browser (HTML)
``findings``          per-need findings and the six challenge questions
``study``             the study end to end: the overlap network and the challenge questions as typed results
"""

from circles.challenge.circle_figures import (
    CENTRE_GID,
    DIMENSION_COLOURS,
    KEY_GID,
    LABEL_GID,
    LABEL_WRAP,
    MIN_FONT_PT,
    circle_figure,
    circle_html,
)
from circles.challenge.circle_placement import (
    DIMENSION_ORDER,
    RING_RADII,
    CircleError,
    CircleLayout,
    circle_layout,
)
from circles.challenge.coverage import hours_table, need_coverage, needs_met
from circles.challenge.directory import TABLES, WEEKDAYS, DirectoryError, ServiceDirectory, validate_directory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.findings import (
    QUESTIONS,
    challenge_questions,
    need_findings,
)
from circles.challenge.hsds import export_hsds, hsds_descriptor, import_hsds, validate_hsds
from circles.challenge.hsds_json import import_hsds_json
from circles.challenge.network import (
    NetworkError,
    families_in_many,
    family_service_graph,
    network_measures,
    overlap_graph,
    publishable_edges,
    publishable_measures,
    service_caseloads,
    service_combinations,
    service_overlap,
)
from circles.challenge.network_figures import (
    EDGE_GID,
    EDGE_LABEL_GID,
    NODE_GID,
    NODE_LABEL_GID,
    SUPPRESSED_EDGE_GID,
    combinations_figure,
    network_figure,
    network_html,
)
from circles.challenge.open_referral import ImportReport, import_directory_report, import_open_referral
from circles.challenge.schedules import opening_sessions, reference_period, schedule_summary
from circles.challenge.study import (
    ChallengeResult,
    NeedsDirectory,
    NetworkResult,
    PublishedNetwork,
    answer_challenge,
    crisis_referral_share,
    overlap_network,
    publish_network,
    read_directory,
)

__all__ = [
    "DirectoryError",
    "ServiceDirectory",
    "TABLES",
    "WEEKDAYS",
    "read_services_yaml",
    "import_open_referral",
    "import_hsds",
    "export_hsds",
    "hsds_descriptor",
    "validate_hsds",
    "import_hsds_json",
    "import_directory_report",
    "ImportReport",
    "validate_directory",
    "reference_period",
    "opening_sessions",
    "schedule_summary",
    "hours_table",
    "needs_met",
    "need_coverage",
    "NetworkError",
    "family_service_graph",
    "service_caseloads",
    "service_overlap",
    "overlap_graph",
    "network_measures",
    "families_in_many",
    "service_combinations",
    "publishable_edges",
    "publishable_measures",
    "network_figure",
    "network_html",
    "combinations_figure",
    "NODE_GID",
    "EDGE_GID",
    "SUPPRESSED_EDGE_GID",
    "EDGE_LABEL_GID",
    "NODE_LABEL_GID",
    "CircleError",
    "CircleLayout",
    "circle_layout",
    "circle_figure",
    "circle_html",
    "DIMENSION_ORDER",
    "DIMENSION_COLOURS",
    "RING_RADII",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
    "QUESTIONS",
    "need_findings",
    "challenge_questions",
    "NetworkResult",
    "PublishedNetwork",
    "NeedsDirectory",
    "ChallengeResult",
    "overlap_network",
    "publish_network",
    "read_directory",
    "crisis_referral_share",
    "answer_challenge",
]
