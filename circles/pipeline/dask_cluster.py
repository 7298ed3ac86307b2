"""The Dask cluster a run uses: a client to a given scheduler, or a local cluster of worker processes.

Kept apart from :mod:`circles.pipeline.dask_engine` (the partitioned stages) so the runner can decide whether a
run needs a cluster, and start one, without loading the engine's stages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from circles.errors import EngineError
from circles.pipeline.spec import PARTITIONED_STAGES, DaskSpec, PipelineSpec

__all__ = ["LOCAL_WORKER_CONFIG", "dask_client", "local_cluster", "uses_dask"]


def uses_dask(spec: PipelineSpec) -> bool:
    """Whether a run of ``spec`` needs a Dask cluster: the Dask engine and at least one partitioned stage.

    Examples
    --------
    >>> from circles.pipeline.spec import load_spec
    >>> spec = load_spec("pipelines/demo.yaml")
    >>> uses_dask(spec), uses_dask(spec.model_copy(update={"engine": "dask"}))
    (False, True)
    """
    return spec.engine == "dask" and any(stage in PARTITIONED_STAGES for stage in spec.stages)


@contextmanager
def dask_client(settings: DaskSpec) -> Iterator[Any]:
    """A :class:`distributed.Client` for one run: to ``settings.scheduler``, or to a local cluster made for it.

    Raises
    ------
    EngineError
        Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - the dev install has it
        raise EngineError(
            "engine: dask needs Dask: install circles with its dask extra (pip install 'circles[dask]')."
        ) from None
    if settings.scheduler:
        try:
            client = Client(settings.scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise EngineError(
                f"Cannot reach the Dask scheduler at {settings.scheduler} ({exc}). Start it (`dask scheduler`) "
                "and its workers (`dask worker ADDRESS`), or leave the scheduler out to run on this machine."
            ) from None
        with client, _worker_failures():
            yield client
        return
    with local_cluster(settings) as cluster, Client(cluster) as client, _worker_failures():
        yield client


#: Worker settings of the local cluster. Records are special-category personal data: they stay in memory
#: (never spilled to the workers' disks); workers pause at 85% of their memory and are restarted at 98%.
#: Freed memory goes back to the system (glibc trims, Arrow uses the system allocator rather than
#: mimalloc's caches), so a worker's footprint follows the records it holds.
LOCAL_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": 0.85,
    "distributed.worker.memory.terminate": 0.98,
    # every worker gone (killed from outside, nannies too): fail the tasks after 2 minutes instead of waiting forever
    "distributed.scheduler.no-workers-timeout": "120s",
    "distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536, "ARROW_DEFAULT_MEMORY_POOL": "system"},
}


@contextmanager
def local_cluster(settings: DaskSpec) -> Iterator[Any]:
    """The :class:`distributed.LocalCluster` the engine starts when no scheduler is given: worker processes
    (one per core by default), one thread each, :data:`LOCAL_WORKER_CONFIG`; closed on exit."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_WORKER_CONFIG):
        cluster = LocalCluster(
            n_workers=settings.workers or os.cpu_count() or 1,
            threads_per_worker=settings.threads_per_worker,
            processes=True,
            memory_limit=settings.memory_limit,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    with cluster:
        yield cluster


@contextmanager
def _worker_failures() -> Iterator[None]:
    """A worker that dies (most often of memory) stops the run with advice, not a scheduler traceback."""
    from distributed.scheduler import KilledWorker, NoValidWorkerError

    try:
        yield
    except KilledWorker as exc:
        raise EngineError(
            f"A Dask worker died while running a task ({exc}); most often it ran out of memory. Give each worker "
            "more memory (dask.memory_limit), use fewer threads per worker, or split the input into smaller files."
        ) from None
    except NoValidWorkerError:
        raise EngineError(
            "Every Dask worker is gone (killed, or its machine stopped), so the run stopped; the previous report "
            "is unchanged. Run again, or check the cluster (circles run --scheduler ...)."
        ) from None
