"""Where the analysis runs: in this process, or on a Dask cluster (LocalCluster or a remote
scheduler, same code path). Either way the results come back here, where one writer stores them.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from persuasion_lens.batch.work import (
    AnalyzerSpec,
    analyse_payloads,
    cached_analyzer,
    preload,
    warm_up,
)

# A unit of work: an opaque context for the writer plus the article payloads to analyse.
Job = tuple[Any, list[dict[str, Any]]]


class LocalExecutor:
    name = "local"

    def __init__(self, spec: AnalyzerSpec):
        self.spec = spec

    def start(self) -> str:
        return cached_analyzer(self.spec).model_version

    def warm(self, payloads: list[dict[str, Any]]) -> list[str]:
        return warm_up(payloads, self.spec)

    def map(self, jobs: Iterator[Job]) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        for context, payloads in jobs:
            yield context, analyse_payloads(payloads, self.spec) if payloads else []

    def close(self) -> None:
        pass


class DaskExecutor:
    """Submits batches to a Dask cluster; at most a few batches per worker thread in flight."""

    def __init__(self, spec: AnalyzerSpec, address: str = "local", workers: int | None = None,
                 threads_per_worker: int = 1, in_flight_per_thread: int = 2):
        self.spec = spec
        self.address = address
        self.workers = workers
        self.threads_per_worker = threads_per_worker
        self.in_flight_per_thread = in_flight_per_thread
        self.client: Any = None
        self.cluster: Any = None
        self.worker_count = 0

    @property
    def name(self) -> str:
        return "dask:" + self.address

    def start(self) -> str:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ValueError(
                "--dask needs dask.distributed: pip install 'persuasion-lens[dask]'"
            ) from None
        if self.address == "local":
            with _workers_ignore_ctrl_c():
                self.cluster = LocalCluster(
                    n_workers=self.workers or 2,
                    threads_per_worker=self.threads_per_worker,
                    processes=True,
                    dashboard_address=None,
                )
            self.client = Client(self.cluster)
            self.client.run(_quiet_cancelled_tasks)
        else:
            try:
                self.client = Client(self.address, timeout="30s")
            except OSError as error:
                raise ValueError(
                    f"cannot reach the Dask scheduler {self.address}: {error}"
                ) from None
        # Load the models on every worker now (in parallel), not inside the first batches.
        versions = self.client.run(preload, self.spec)
        if not versions:
            raise ValueError(f"the Dask cluster at {self.address} has no workers")
        self.worker_count = len(versions)
        return sorted(set(versions.values()))[0]

    def warm(self, payloads: list[dict[str, Any]]) -> list[str]:
        """`work.warm_up` on every worker, in parallel."""
        loaded = self.client.run(warm_up, payloads, self.spec)
        return sorted({language for languages in loaded.values() for language in languages})

    def _slots(self) -> int:
        threads = sum(self.client.nthreads().values()) or 1
        return max(2, threads * self.in_flight_per_thread)

    def map(self, jobs: Iterator[Job]) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        from distributed import as_completed

        pending = as_completed()
        contexts: dict[str, Any] = {}
        slots = self._slots()
        exhausted = False
        while True:
            while not exhausted and pending.count() < slots:
                try:
                    context, payloads = next(jobs)
                except StopIteration:
                    exhausted = True
                    break
                if not payloads:
                    yield context, []
                    continue
                future = self.client.submit(analyse_payloads, payloads, self.spec, pure=False)
                contexts[future.key] = context
                pending.add(future)
            if pending.is_empty():
                return
            future = next(pending)
            results = future.result()
            context = contexts.pop(future.key)
            future.release()
            yield context, results

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            # after a Ctrl-C a worker may still be busy: its nanny, in this process, kills it
            # after a few seconds, and said so in a warning
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            self.cluster.close()


def _quiet_cancelled_tasks() -> None:
    """On the local workers we start: a Ctrl-C cancels the tasks in flight, and each worker
    logged a warning with a CancelledError under our one-line message."""
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start the local workers with Ctrl-C ignored (an ignored signal stays ignored in the
    processes started meanwhile): Ctrl-C reaches every process of the terminal's group, and
    each worker printed a traceback around our one-line message. This process stops them."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be set from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
