"""``python -m circles.packs reports/<name> [PACK ...]``: rebuild the packs of a report folder."""

from circles.packs.render import main

raise SystemExit(main())
