"""circles — the Circles of Need method of customer insight, for UK local government and the NHS.

The package follows the method's data flow, one module per stage:

* Understand, quantitative: ``sources`` → ``validate`` → ``pseudonymise`` → ``geocode`` (``postcodes``,
  ``directory``) → ``areas`` → ``aggregate`` → ``disclosure`` → ``rates`` (``population``), ``deprivation``,
  ``hotspots`` → ``maps``, ``interactive``;
* Understand, qualitative (:mod:`circles.qualitative`): ``sources`` → ``coding`` → ``analysis``, with
  ``codebook``, ``agreement`` and ``refi``;
* and around them: ``spec`` (the YAML pipeline spec), ``stages`` (binds each spec section to its stage),
  ``runner`` (runs, accounts for every row, audits and writes the report), ``audit``, ``outputs``, ``cli``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("circles")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0+unknown"

from circles.errors import CirclesError

__all__ = ["CirclesError", "__version__"]
