"""Where independent jobs run: in this process, on a local process pool, or on a Ray cluster.

Batch tracking, ``bench``, ``eval`` and ``tune`` all hand a top-level function and a list of
picklable jobs to :meth:`JobRunner.map` and get every job's outcome back as it finishes. A job that
raises becomes a :class:`JobFailure` in its slot; the other jobs carry on. Every executor runs
the same function on the same inputs, so the results do not depend on where they ran.

Each pool worker limits OpenCV (and the BLAS libraries numpy uses) to its share of the cores
(``cores // workers``, at least one): N workers each running N threads would make the machine
thrash instead of working.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

#: Names accepted by ``--executor``.
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class JobFailure:
    """A job that raised instead of returning.

    Attributes:
        error: The exception's message (its type when it has none), for summaries.
        kind: The exception's type name.
        details: The worker-side traceback, for logs.
    """

    error: str
    kind: str = ""
    details: str = ""


def default_workers() -> int:
    """The cores this process may use (the affinity mask, not the machine's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def check_executor(executor: str, workers: int | None) -> int:
    """Validate ``--executor`` and ``--workers``; return the worker count to use.

    Raises:
        ValueError: For an unknown executor or a worker count below 1.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"--executor must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    if workers is None:
        return default_workers()
    if workers < 1:
        raise ValueError(f"--workers must be at least 1; got {workers}")
    return workers


#: Imported once by the fork server, so pool workers start with them loaded.
_PRELOAD = ["keeptrack", "keeptrack.batch", "keeptrack.sweep", "keeptrack.pipeline"]


def _pool_context() -> Any:
    """How pool workers start. ``forkserver``: a clean single-threaded server process imports
    keeptrack once and forks each worker from it, so a worker starts in milliseconds with
    everything imported (``spawn`` costs a full interpreter start and ~1.5 s of imports per
    worker), and nothing is forked from a parent whose threads (OpenCV, Numba, rich's
    refresh) could leave locks held. ``spawn`` where there is no fork server (Windows)."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _limit_threads(threads: int) -> None:
    """Pool-worker initializer: use ``threads`` threads for OpenCV and numpy's BLAS."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)
    import cv2

    cv2.setNumThreads(threads)


def _guarded(function: Callable[[Any], Any], job: Any) -> Any:
    """Run one job; an exception becomes a :class:`JobFailure` (always picklable, unlike some
    exceptions), so one bad job cannot break the pool's result channel."""
    try:
        return function(job)
    except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the batch
        kind = type(error).__name__
        return JobFailure(str(error) or kind, kind, traceback.format_exc())


class JobRunner:
    """A pool (local processes or Ray) that stays up across several :meth:`map` calls, so
    ``tune`` pays for starting workers and importing keeptrack once, not once per trial.

    Args:
        workers: Local processes; ``1`` runs jobs here, in order, with no pool. Ray ignores it
            and schedules one CPU per job on whatever the cluster offers.
        executor: ``"local"`` (process pool) or ``"ray"``.
        ray_address: Cluster to join (``ray://host:10001``, ``auto``); ``None`` uses the Ray
            this process already initialised, or starts a local one.

    Raises:
        ValueError: For a bad executor or worker count.
        ImportError: For ``executor="ray"`` without Ray, naming the extra to install.
    """

    def __init__(
        self, workers: int | None = None, executor: str = "local", ray_address: str | None = None
    ) -> None:
        self.workers = check_executor(executor, workers)
        self.executor = executor
        self._pool: ProcessPoolExecutor | None = None
        self._ray: Any = None
        if executor == "ray":
            self._ray = _import_ray()
            if not self._ray.is_initialized():
                self._ray.init(address=ray_address, log_to_driver=False, include_dashboard=False)
        elif self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=_pool_context(),
                initializer=_limit_threads,
                initargs=(max(1, default_workers() // self.workers),),
            )

    def map(self, function: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Run ``function(job)`` for every job; yield ``(index, result or JobFailure)`` as each
        finishes (completion order, not submission order). ``function`` must be defined at
        module level: workers import it by name."""
        if self._ray is not None:
            yield from self._map_ray(function, jobs)
        elif self._pool is None:
            for index, job in enumerate(jobs):
                yield index, _guarded(function, job)
        else:
            yield from self._map_pool(function, jobs)

    def _map_pool(
        self, function: Callable[[Any], Any], jobs: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        pool = self._pool
        assert pool is not None  # map() sends jobs here only when there is a pool
        pending = {pool.submit(_guarded, function, job): i for i, job in enumerate(jobs)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    try:
                        yield index, future.result()
                    except BrokenProcessPool:
                        yield (
                            index,
                            JobFailure(
                                "a worker process died (out of memory or crashed)",
                                "BrokenProcessPool",
                            ),
                        )
        finally:
            for future in pending:  # the caller stopped early (Ctrl-C, an error)
                future.cancel()

    def _map_ray(
        self, function: Callable[[Any], Any], jobs: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        ray = self._ray
        remote = ray.remote(num_cpus=1)(_guarded_one_thread)
        pending = {remote.remote(function, job): i for i, job in enumerate(jobs)}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index = pending.pop(ref)
                    try:
                        yield index, ray.get(ref)
                    except ray.exceptions.RayError as error:  # worker died, node lost, ...
                        yield index, JobFailure(str(error), type(error).__name__)
        finally:
            for ref in pending:
                ray.cancel(ref)

    def close(self, abort: bool = False) -> None:
        """Stop the local workers (a Ray cluster is left running: it may be shared).

        Args:
            abort: Kill running jobs instead of waiting for them (Ctrl-C, SIGTERM, an error in
                the caller): a long video would otherwise hold the exit for its whole length.
        """
        if self._pool is None:
            return
        if abort:
            # No public API before Python 3.14's terminate_workers(); the executor notices the
            # dead workers and shutdown returns at once.
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        self.close(abort=exc_type is not None)


def _guarded_one_thread(function: Callable[[Any], Any], job: Any) -> Any:
    """A Ray task: Ray gives each task one CPU, so OpenCV gets one thread."""
    _limit_threads(1)
    return _guarded(function, job)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError("--executor ray needs Ray: pip install 'keeptrack[ray]'") from None
    return ray
