"""Where the analysis runs: in this process, or on a Dask cluster (LocalCluster or a remote
scheduler, same code path). Either way the results come back here, where one writer stores them.
"""

from __future__ import annotations

import importlib.metadata
import logging
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError  # distributed's, for a cancelled future
from contextlib import contextmanager
from typing import Any

from persuasion_lens.batch.work import (
    AnalyzerSpec,
    analyse_payloads,
    cached_analyzer,
    failure_answer,
    preload,
    warm_up,
)

# A unit of work: an opaque context for the writer plus the article payloads to analyse.
Job = tuple[Any, list[dict[str, Any]]]

ANALYSING = "analysing"  # what the run does once the models are loaded (the progress bar's)
CONNECT_TIMEOUT_S = 10.0  # distributed waits 30 s by default: long for a mistyped address
WAIT_FOR_WORKERS_S = 60.0  # for a worker to join a scheduler that has none (--wait-for-workers)
POLL_S = 1.0  # how often a run waiting for batches looks whether the cluster still has workers


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


class ClusterError(RuntimeError):
    """The Dask cluster failed the run after it started: the scheduler is gone, no worker was
    left for too long, or a worker could not run the analysis."""


class DaskExecutor:
    """Submits batches to a Dask cluster; at most a few batches per worker thread in flight."""

    def __init__(self, spec: AnalyzerSpec, address: str = "local", workers: int | None = None,
                 threads_per_worker: int = 1, in_flight_per_thread: int = 2,
                 wait_for_workers: float = WAIT_FOR_WORKERS_S,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        self.spec = spec
        self.address = address if address == "local" else scheduler_address(address)
        self.workers = workers
        self.threads_per_worker = threads_per_worker
        self.in_flight_per_thread = in_flight_per_thread
        self.wait_for_workers = wait_for_workers
        self.connect_timeout = connect_timeout
        self.client: Any = None
        self.cluster: Any = None
        self.worker_count = 0
        self.model_version = ""
        self.checked_workers: set[str] = set()  # workers whose versions this run has checked
        # what the run does now ("waiting for Dask workers ..."): `run_batch` sets its own
        self.status: Callable[[str], None] = lambda _what: None

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
            self.client = self._connect(Client)
            self._await_first_worker()
            self._check_package_versions()
        loaded = self._preload()
        self.worker_count = len(loaded)
        self.checked_workers = set(loaded)
        self.model_version = next(iter(loaded.values()))
        return self.model_version

    def _connect(self, client_class: Any) -> Any:
        """A client of the remote scheduler; one line when there is none at the address."""
        host, port = _host_and_port(self.address)
        try:
            socket.getaddrinfo(host, port)
        except OSError:
            raise ValueError(f"cannot reach the Dask scheduler {self.address}: "
                             f"no host is called {host}") from None
        started = time.monotonic()
        try:
            return client_class(self.address, timeout=self.connect_timeout)
        except OSError as error:  # distributed's own connect timeout is an OSError too
            if time.monotonic() - started < self.connect_timeout:  # something else answered
                raise ValueError(f"cannot reach the Dask scheduler {self.address}: "
                                 f"{_one_line(error)} (is something else listening there?)"
                                 ) from None
            raise ValueError(
                f"cannot reach the Dask scheduler {self.address}: nothing answered in "
                f"{self.connect_timeout:g} s (is the scheduler running, at this address?)"
            ) from None

    def _await_first_worker(self) -> None:
        """Wait (at most `wait_for_workers` seconds) until the scheduler has a worker: workers
        started with the scheduler, or by a job queue, join it seconds or minutes later."""
        if self.client.nthreads():
            return
        self.status(f"waiting for Dask workers to join {self.address}")
        if self.wait_for_workers > 0:
            try:
                self.client.wait_for_workers(1, timeout=self.wait_for_workers)
                self.status("loading models")
                return
            except TimeoutError:
                pass
        raise ValueError(
            f"the Dask scheduler {self.address} has no workers: none joined in "
            f"{self.wait_for_workers:g} s (start them with `dask worker {self.address}`; "
            "--wait-for-workers waits longer)")

    def _check_package_versions(self) -> None:
        """Every worker runs the persuasion-lens version this process runs (the results would
        depend on which worker analysed an article)."""
        found = self.client.get_versions(packages=["persuasion_lens"])["workers"]
        _refuse_other_versions({worker: ((info or {}).get("packages") or {}).get(
            "persuasion_lens") for worker, info in found.items()})

    def _check_late_worker(self, future: Any) -> None:
        """The worker that computed `future`, when it joined after the start: it runs this
        process's persuasion-lens version and loads the same models, or the run stops before
        its answers are stored (a worker started later, by hand or by a job queue, was never
        checked)."""
        if self.address == "local":  # its workers are this process's own
            return
        holders = set(self.client.who_has([future]).get(future.key, ()))
        late = sorted(holders - self.checked_workers)
        if not late:
            return
        installed = self.client.run(importlib.metadata.version, "persuasion-lens",
                                    workers=late, on_error="return")
        _refuse_other_versions({worker: None if isinstance(version, BaseException) else version
                                for worker, version in installed.items()}, joined=True)
        try:
            loaded = self._run_on_workers(preload, self.spec, workers=late)
        except ValueError as error:
            raise ClusterError(str(error)) from None
        for worker, version in loaded.items():
            if version != self.model_version:
                raise ClusterError(
                    f"the Dask worker {worker} joined with other models ({version}, this run "
                    f"{self.model_version}): install the same persuasion-lens version, with the "
                    "same models, on every worker")
        self.checked_workers.update(late)

    def _preload(self) -> dict[str, str]:
        """Load the models on every worker now (in parallel), not inside the first batches;
        the model version each worker loaded (the same on all)."""
        loaded = self._run_on_workers(preload, self.spec)
        versions = set(loaded.values())
        if len(versions) > 1:
            raise ValueError(
                f"the Dask workers at {self.address} load different models "
                f"({', '.join(sorted(versions))}): install the same persuasion-lens version, "
                "with the same models, on every worker")
        return loaded

    def _run_on_workers(self, function: Callable[..., Any], *args: Any,
                        workers: list[str] | None = None) -> dict[str, Any]:
        """`function` on every worker (or on `workers`), in parallel: what each worker returned.
        A worker that dies meanwhile (killed, or its node lost) is left out; any other error is
        one line."""
        from distributed.comm import CommClosedError

        answers = self.client.run(function, *args, workers=workers, on_error="return")
        errors = [error for error in answers.values() if isinstance(error, BaseException)]
        results = {worker: answer for worker, answer in answers.items()
                   if not isinstance(answer, BaseException)}
        failed = [error for error in errors if not isinstance(error, CommClosedError)]
        if failed or (errors and not results):
            error = (failed or errors)[0]
            raise ValueError(f"the Dask workers at {self.address} cannot load the models: "
                             f"{_one_line(error)}{self._load_hint(error)}")
        if not results:
            raise ValueError(f"the Dask cluster at {self.address} has no workers")
        return results

    def _load_hint(self, error: Exception) -> str:
        if "No module named" in str(error):
            return (" (every worker needs the persuasion-lens version of this machine, with "
                    "the dask extra)")
        if self.spec.model_path:
            return " (--model must name a folder at the same path on every worker)"
        return ""

    def warm(self, payloads: list[dict[str, Any]]) -> list[str]:
        """`work.warm_up` on every worker, in parallel."""
        loaded = self._run_on_workers(warm_up, payloads, self.spec)
        return sorted({language for languages in loaded.values() for language in languages})

    def _slots(self) -> int:
        threads = sum(self.client.nthreads().values()) or 1
        return max(2, threads * self.in_flight_per_thread)

    def map(self, jobs: Iterator[Job]) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        """Each job's answers, in the order the batches finish. A batch whose worker died each
        time it ran it is tried again article by article, one such article on the cluster at a
        time, so that the article that kills its worker cannot take an innocent one with it."""
        in_flight: dict[Any, tuple[_Batch, int]] = {}  # future -> its batch, first position
        alone: deque[tuple[_Batch, int]] = deque()  # articles to try one by one
        trying_alone: Any = None  # the future of the one on the cluster now
        slots = self._slots()
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < slots:
                try:
                    context, payloads = next(jobs)
                except StopIteration:
                    exhausted = True
                    break
                if not payloads:
                    yield context, []
                    continue
                batch = _Batch(context, payloads)
                in_flight[self._submit(payloads)] = (batch, 0)
            if trying_alone is None and alone:
                batch, position = alone.popleft()
                trying_alone = self._submit([batch.payloads[position]])
                in_flight[trying_alone] = (batch, position)
            if not in_flight:
                return
            for future in self._finished(list(in_flight)):
                batch, first = in_flight.pop(future)
                if trying_alone is not None and future.key == trying_alone.key:
                    trying_alone = None
                answers = self._answers(future, batch.part(first))
                if answers is None:  # its worker died, each time
                    alone.extend((batch, position) for position in batch.split(first))
                elif batch.answered(first, answers):
                    yield batch.context, batch.answers()

    def _submit(self, payloads: list[dict[str, Any]]) -> Any:
        return self.client.submit(analyse_payloads, payloads, self.spec, pure=False)

    def _finished(self, futures: list[Any]) -> list[Any]:
        """The futures that are done, once one is; meanwhile, a cluster left without workers
        for `wait_for_workers` seconds stops the run (its tasks would wait for ever)."""
        from distributed import wait

        without_workers_since: float | None = None
        while True:
            try:
                done, _ = wait(futures, timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                without_workers_since = self._note_workers(without_workers_since)
                continue
            except CancelledError:
                raise ClusterError(self._cancelled()) from None
            if without_workers_since is not None:
                self.status(ANALYSING)
            return list(done)

    def _note_workers(self, without_workers_since: float | None) -> float | None:
        """Since when the cluster has had no worker (None: it has some now)."""
        if self.client.status != "running":
            raise ClusterError(self._lost())
        if self.client.nthreads():
            if without_workers_since is not None:
                self.status(ANALYSING)
            return None
        now = time.monotonic()
        since = without_workers_since or now
        if now - since >= self.wait_for_workers:
            raise ClusterError(f"the Dask cluster at {self.address} has had no workers for "
                               f"{self.wait_for_workers:g} s")
        self.status(f"waiting for Dask workers: none for {now - since:.0f} s")
        return since

    def _answers(self, future: Any,
                 payloads: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """The answers for `payloads`. When the workers they were given to died as many times
        as the scheduler allows (killed, or out of memory): None for several articles (to be
        tried one by one), a failure for one, so that the rest of the run goes on."""
        from distributed import KilledWorker

        try:
            answers = future.result()
            self._check_late_worker(future)
            return answers
        except ClusterError:
            raise
        except CancelledError:
            raise ClusterError(self._cancelled()) from None
        except KilledWorker as error:
            if len(payloads) > 1:  # one article may kill its worker: `map` tries each alone
                return None
            # the article that kills its worker, or one given to the same worker meanwhile
            tries = _plural(error.allowed_failures + 1, "time")
            reason = (f"the Dask workers given this article died while analysing it, {tries} "
                      "(killed, or out of memory?); running the same command again retries it")
            return [failure_answer(payload, reason) for payload in payloads]
        except OSError as error:
            if self.client.status != "running":
                raise ClusterError(self._lost()) from None
            raise ClusterError(f"a Dask worker failed: {_one_line(error)}") from None
        except Exception as error:
            raise ClusterError(f"a Dask worker failed: {_one_line(error)}") from None
        finally:
            future.release()

    def _lost(self) -> str:
        return f"lost the connection to the Dask scheduler {self.address}"

    def _cancelled(self) -> str:
        """Why the batches were cancelled: mostly, the client lost the scheduler."""
        if self.client.status != "running":
            return self._lost()
        return f"the Dask scheduler {self.address} cancelled the batches in flight"

    def close(self) -> None:
        if self.client is not None:
            if self.client.status != "running":
                # closing stops the client's attempts to reconnect to a lost scheduler, which
                # it logged as an error with a traceback under our one-line message
                logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
            self.client.close()
        if self.cluster is not None:
            # after a Ctrl-C a worker may still be busy: its nanny, in this process, kills it
            # after a few seconds, and said so in a warning
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            self.cluster.close()


class _Batch:
    """A job's articles and their answers, which may come in parts: a batch whose worker died
    each time it ran it is tried again article by article."""

    def __init__(self, context: Any, payloads: list[dict[str, Any]]):
        self.context = context
        self.payloads = payloads
        self._parts: dict[int, list[dict[str, Any]]] = {}  # first position -> its answers
        self._sizes: dict[int, int] = {0: len(payloads)}  # first position -> articles, in flight

    def part(self, first: int) -> list[dict[str, Any]]:
        return self.payloads[first:first + self._sizes[first]]

    def split(self, first: int) -> range:
        """The part starting at `first` goes out again as one article per part."""
        positions = range(first, first + self._sizes.pop(first))
        self._sizes.update({position: 1 for position in positions})
        return positions

    def answered(self, first: int, answers: list[dict[str, Any]]) -> bool:
        """Note the answers of the part starting at `first`; whether the batch is complete."""
        del self._sizes[first]
        self._parts[first] = answers
        return not self._sizes

    def answers(self) -> list[dict[str, Any]]:
        return [answer for first in sorted(self._parts) for answer in self._parts[first]]


def _refuse_other_versions(installed: dict[str, str | None], joined: bool = False) -> None:
    """A one-line error naming a worker whose persuasion-lens version (None: none installed)
    is not this process's; a ClusterError for a worker that `joined` the running run."""
    import persuasion_lens

    wanted = persuasion_lens.__version__
    wrong = {worker: version for worker, version in installed.items() if version != wanted}
    if not wrong:
        return
    worker = min(wrong)
    has = f"runs persuasion-lens {wrong[worker]}" if wrong[worker] else "has no persuasion-lens"
    more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
    when = " joined the run and" if joined else ""
    error = ClusterError if joined else ValueError
    raise error(f"the Dask worker {worker}{more}{when} {has}, this machine {wanted}: "
                "install the same version on every worker")


SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
ADDRESS_EXAMPLE = "tcp://scheduler:8786"


def scheduler_address(text: str) -> str:
    """A Dask scheduler's address, as `protocol://host:port` (tcp when none is given); a
    ValueError that says what is wrong with it otherwise."""
    address = text.strip()
    scheme, separator, location = address.rpartition("://")
    if not separator:
        scheme, location = "tcp", address
    if scheme not in SCHEMES:
        raise ValueError(f"unknown protocol {scheme!r} (Dask speaks {', '.join(SCHEMES)})")
    host, port = _host_and_port(f"{scheme}://{location}")
    if not host:
        raise ValueError("no host")
    if not port:
        raise ValueError(f"no port (a scheduler listens on 8786 unless started with another "
                         f"--port: {scheme}://{host}:8786)")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"the port {port} is not a number from 1 to 65535")
    return f"{scheme}://{location}"


def _host_and_port(address: str) -> tuple[str, str]:
    location = address.partition("://")[2]
    host, colon, port = location.rpartition(":")
    if not colon or (host.startswith("[") != host.endswith("]")):  # [::1] without a port
        host, port = location, ""
    return host.strip("[]"), port


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


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
