"""Running parameter sets: worker processes on this machine, or tasks on a Ray cluster.

Sets travel in chunks (a few per worker) so that a thousand cheap sets do not pay
a thousand round trips; each finished chunk is handed to ``record`` at once.

A worker process that dies (a crash, ``os._exit``, the OOM killer) breaks a
``ProcessPoolExecutor`` and fails every set in flight. To name the set that did
it, each worker leaves a marker file while a set runs: after a break, the sets
with a marker were running; they are re-run one at a time in a one-worker pool,
where a death names exactly one set, which is then reported ``failed``. The sets
that never started go back to a fresh pool. On Ray, a task whose worker died is
split into one task per set, and a one-set task that dies names its set.
"""

from __future__ import annotations

import importlib
import math
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ferrox.errors import ConfigError, FerroxError
from ferrox.research._sweep_targets import SweepTarget, checked_stats

#: ``(index, params)`` of one parameter set.
Item = tuple[int, dict[str, Any]]
#: ``(index, stats, error)``: stats when it ran, error text when it failed.
Outcome = tuple[int, dict[str, float] | None, str | None]
Record = Callable[[list[Outcome]], None]

_DIED = "the worker process died while running this parameter set"


class SweepError(FerroxError, RuntimeError):
    """A sweep could not run at all (workers that cannot start, Ray missing)."""


def run_chunk(
    target: Callable[[Mapping[str, Any]], Mapping[str, float]],
    items: list[Item],
    markers: str | None,
) -> list[Outcome]:
    """Runs sets one after the other; an exception fails its set only."""
    outcomes: list[Outcome] = []
    for index, params in items:
        marker = Path(markers) / str(index) if markers else None
        if marker is not None:
            marker.touch()
        try:
            outcomes.append((index, checked_stats(target(params)), None))
        except Exception as exc:  # a failing set is a result, not the end of the sweep
            outcomes.append((index, None, f"{type(exc).__name__}: {exc}"))
        if marker is not None:
            marker.unlink(missing_ok=True)
    return outcomes


def chunk_size(n_sets: int, workers: int) -> int:
    """About four chunks per worker, at most 50 sets each (so a part stays small)."""
    return max(1, min(50, math.ceil(n_sets / (workers * 4))))


def _chunks(items: list[Item], size: int) -> list[list[Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pool(
    target: SweepTarget, batch: list[Item], workers: int, size: int, record: Record
) -> tuple[set[int], set[int], str | None]:
    """One pool over ``batch``: (finished indices, indices running at a crash, crash text)."""
    done: set[int] = set()
    crash: str | None = None
    with tempfile.TemporaryDirectory(prefix="ferrox-sweep-") as markers:
        # spawn, not fork: the parent may hold threads (polars, rayon) that fork would copy mid-lock.
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            futures: list[Future[list[Outcome]]] = [
                executor.submit(run_chunk, target, chunk, markers) for chunk in _chunks(batch, size)
            ]
            for future in as_completed(futures):
                try:
                    outcomes = future.result()
                except BrokenProcessPool as exc:
                    crash = str(exc) or type(exc).__name__
                    continue  # the chunks that finished before the crash still count
                record(outcomes)
                done.update(index for index, _, _ in outcomes)
        except BaseException:
            # Interrupted (or record failed): stop the workers now, keep what was recorded.
            # No public API stops a pool's workers; _processes is None once it has shut down.
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        running = {int(p.name) for p in Path(markers).iterdir() if p.name.isdigit()}
    return done, running, crash


def run_local(target: SweepTarget, items: list[Item], workers: int, record: Record) -> None:
    """Runs ``items`` across ``workers`` processes, isolating any set that kills its worker."""
    todo, suspects = list(items), list[Item]()
    while todo or suspects:
        solo = bool(suspects)
        batch = suspects if solo else todo
        n = 1 if solo else min(workers, len(batch))
        size = 1 if solo else chunk_size(len(batch), n)
        done, running, crash = _pool(target, batch, n, size, record)
        unfinished = [item for item in batch if item[0] not in done]
        if crash is None:
            if solo:
                suspects = []
            else:
                todo = []
            continue
        if solo:
            culprits = [item for item in unfinished if item[0] in running]
            if not culprits:
                raise SweepError(f"worker processes die before running any parameter set: {crash}")
            record([(index, None, f"{_DIED} ({crash})") for index, _ in culprits])
            suspects = [item for item in unfinished if item[0] not in running]
        else:
            suspects = [item for item in unfinished if item[0] in running] or unfinished[:1]
            todo = [item for item in unfinished if item not in suspects]


def start_local_ray(num_cpus: int) -> None:
    """Starts a Ray on this machine whose workers import what this process can.

    Ray workers do not inherit the driver's ``sys.path`` (spawned processes do), so
    it is handed over as ``PYTHONPATH``: a target importable here is importable there.
    """
    try:
        ray: Any = importlib.import_module("ray")
    except ImportError:
        raise ConfigError(
            "sweep on Ray: ray is not installed (pip install 'ferrox[ray]')"
        ) from None
    path = os.pathsep.join(p for p in sys.path if p)
    ray.init(
        num_cpus=num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )


def run_ray(
    target: SweepTarget, items: list[Item], address: str, workers: int, record: Record
) -> None:
    """Runs ``items`` as Ray tasks on ``address`` (``"local"`` starts a local Ray)."""
    try:
        ray: Any = importlib.import_module("ray")
    except ImportError:
        raise ConfigError(
            "sweep on Ray: ray is not installed (pip install 'ferrox[ray]')"
        ) from None
    started = False
    if not ray.is_initialized():
        if address == "local":
            start_local_ray(workers)
        else:
            ray.init(address=address, log_to_driver=False)
        started = True
    pending: dict[Any, list[Item]] = {}
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        task = ray.remote(max_retries=0)(run_chunk)
        for chunk in _chunks(items, chunk_size(len(items), cpus)):
            pending[task.remote(target, chunk, None)] = chunk
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    if len(chunk) > 1:  # which set killed it? one task per set tells
                        for item in chunk:
                            pending[task.remote(target, [item], None)] = [item]
                        continue
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    outcomes = [(chunk[0][0], None, f"{_DIED} ({type(exc).__name__}: {reason})")]
                record(outcomes)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
