"""circles — the Circles of Need method of customer insight, for UK local government and the NHS.

The package follows the method's data flow, one module per stage:

sources → geocode → areas → aggregate → disclosure → maps   (Understand)

with :mod:`circles.spec` and :mod:`circles.runner` binding a YAML pipeline spec to those stages.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("circles")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0+unknown"

from circles.errors import CirclesError

__all__ = ["CirclesError", "__version__"]
