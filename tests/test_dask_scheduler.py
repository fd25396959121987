"""`plens batch --dask tcp://HOST:PORT` on a cluster started as a user starts one: a scheduler
and workers in their own processes, with distributed's command line (`python -m dask scheduler`,
`python -m dask worker`). The same results as one process, the models loaded once per worker,
and each failure (a mistyped address, nobody listening, no workers, a worker or the scheduler
killed mid-run) one line or a recorded failure, never a traceback or a hang; a re-run resumes.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from corpus_helpers import article_rows, subprocess_env, write_jsonl
from test_dask import _snapshot
from typer.testing import CliRunner

import persuasion_lens
from persuasion_lens.batch import run_batch
from persuasion_lens.batch.executors import DaskExecutor
from persuasion_lens.batch.work import AnalyzerSpec
from persuasion_lens.cli import app
from persuasion_lens.storage import open_database

pytest.importorskip("distributed")

FAKE = "corpus_helpers:fake_analyzer"
COUNTING = "corpus_helpers:counting_analyzer"  # notes each build in $PLENS_TEST_BUILDS
SLOW = "corpus_helpers:slow_analyzer"  # 50 ms an article: a run long enough to kill things in


class Cluster:
    """Dask processes started as a user starts them; all killed, with their children, by
    `stop`."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder = folder
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.scheduler: subprocess.Popen | None = None
        self.scheduler_file = folder / "none.json"
        self.address = ""

    def start_scheduler(self) -> str:
        self.scheduler_file = self.folder / f"scheduler-{len(self.processes)}.json"
        self.scheduler = self._spawn("scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file",
                                     str(self.scheduler_file))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.scheduler.poll() is None:
            try:
                self.address = json.loads(self.scheduler_file.read_text())["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise RuntimeError(f"the scheduler did not start: see {self.folder}")

    def start_workers(self, count: int) -> None:
        self._spawn("worker", "--scheduler-file", str(self.scheduler_file), "--nworkers",
                    str(count), "--nthreads", "1", "--no-dashboard")

    def worker_pids(self, count: int) -> list[int]:
        """The pids of the worker processes, once `count` have joined."""
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=60)
            return sorted(client.run(os.getpid).values())

    def worker_addresses(self, count: int) -> list[str]:
        """The workers' addresses, once `count` have joined."""
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=60)
            return sorted(client.scheduler_info(n_workers=-1)["workers"])

    def kill_scheduler(self) -> None:
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its worker processes too
        for process in self.processes:
            process.wait(timeout=10)

    def _spawn(self, *args: str) -> subprocess.Popen:
        log = self.folder / f"{args[0]}-{len(self.processes)}.log"
        with log.open("w") as output:
            process = subprocess.Popen([sys.executable, "-m", "dask", *args], env=self.env,
                                       cwd=self.folder, stdout=output, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        return process


def _cluster_env(builds: Path | None = None) -> dict[str, str]:
    env = subprocess_env()  # the workers import the fake analyzers from the tests' folder
    if builds is not None:
        env["PLENS_TEST_BUILDS"] = str(builds)
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two worker processes of one thread each, for the tests that do not
    break it. A task whose worker dies is tried twice in all (4 times by default)."""
    folder = tmp_path_factory.mktemp("cluster")
    (folder / "builds").mkdir()
    env = _cluster_env(folder / "builds")
    env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "1"
    started = Cluster(folder, env)
    try:
        started.start_scheduler()
        started.start_workers(2)
        started.worker_pids(2)
        yield started
    finally:
        started.stop()


@pytest.fixture
def new_cluster(tmp_path):
    """Clusters of the test's own, to break."""
    made: list[Cluster] = []

    def make() -> Cluster:
        folder = tmp_path / f"cluster-{len(made)}"
        folder.mkdir()
        made.append(Cluster(folder, _cluster_env()))
        return made[-1]

    yield make
    for cluster in made:
        cluster.stop()


def _plens_batch(*args: str) -> list[str]:
    return [sys.executable, "-m", "persuasion_lens", "batch", *args, "--no-progress"]


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(_plens_batch(*args), capture_output=True, text=True, timeout=timeout,
                          env=subprocess_env(), stdin=subprocess.DEVNULL)


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(_plens_batch(*args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=subprocess_env(),
                            stdin=subprocess.DEVNULL)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def _stored(db_file: Path) -> int:
    try:
        with sqlite3.connect(db_file) as connection:
            return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _wait_until_stored(db_file: Path, process: subprocess.Popen, at_least: int = 1) -> int:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if (count := _stored(db_file)) >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError(f"nothing stored: {process.poll()}")


def _counts(db_file: Path) -> tuple[int, int, list[tuple]]:
    """Articles stored, distinct keys among them, and each run's (analysed, skipped, failed)."""
    with sqlite3.connect(db_file) as connection:
        stored, keys = connection.execute(
            "SELECT count(*), count(DISTINCT key) FROM articles").fetchone()
        runs = connection.execute(
            "SELECT analysed, skipped, failed FROM runs ORDER BY id").fetchall()
    return stored, keys, runs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- mistakes found before anything is opened ---------------------------------------------


@pytest.mark.parametrize(("address", "problem"), [
    ("tcp://", "no host"),
    ("localhost:99999", "the port 99999 is not a number from 1 to 65535"),
    ("foo://x", "unknown protocol 'foo' (Dask speaks tcp, tls, ws, wss, ucx)"),
    ("127.0.0.1", "no port (a scheduler listens on 8786 unless started with another --port: "
                  "tcp://127.0.0.1:8786)"),
])
def test_a_malformed_scheduler_address_is_one_line(tmp_path, address, problem):
    (tmp_path / "a.txt").write_text("One paragraph of an article.", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "a.txt"), "--db",
                                      f"sqlite:///{tmp_path / 'c.db'}", "--dask", address])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        f"error: --dask {address}: {problem}; give 'local' or a scheduler address such as "
        "tcp://scheduler:8786")
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize(("options", "message"), [
    (["--dask", "tcp://127.0.0.1:8786", "--workers", "4"],
     "error: --workers is the number of workers --dask local starts; a scheduler's workers are "
     "started with it: dask worker ADDRESS --nworkers N"),
    (["--workers", "4"],
     "error: --workers is the number of workers --dask local starts; without --dask the "
     "analysis runs in this process"),
    (["--wait-for-workers", "5"],
     "error: --wait-for-workers goes with --dask ADDRESS (a scheduler's workers)"),
    (["--dask", "tcp://127.0.0.1:8786", "--wait-for-workers", "nan"],
     "error: --wait-for-workers must be a number of seconds (inf: wait for ever), not nan"),
])
def test_options_of_a_local_cluster_are_refused_with_a_scheduler(tmp_path, options, message):
    (tmp_path / "a.txt").write_text("One paragraph of an article.", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "a.txt"), "--db",
                                      f"sqlite:///{tmp_path / 'c.db'}", *options])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == message
    assert not (tmp_path / "c.db").exists()


def test_nobody_listening_fails_within_the_connect_timeout():
    """distributed retries a refused connection until its timeout (30 s by default): the
    executor's is 10 s, 2 here."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    executor = DaskExecutor(AnalyzerSpec(factory=FAKE), address=address, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(ValueError) as raised:
        executor.start()
    assert 2 <= time.monotonic() - started < 8
    assert str(raised.value) == (f"cannot reach the Dask scheduler {address}: nothing answered "
                                 "in 2 s (is the scheduler running, at this address?)")


# --- a working cluster ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_scheduler_started_apart_stores_what_one_process_stores(cluster, tmp_path):
    rows = article_rows(60)
    path = write_jsonl(tmp_path / "a.jsonl", rows, extra_lines=("{broken",))
    single = open_database(f"sqlite:///{tmp_path / 'single.db'}")
    run_batch([str(path)], single, AnalyzerSpec(factory=FAKE), batch_size=8)

    result = _run(str(path), "--db", f"sqlite:///{tmp_path / 'remote.db'}", "--dask",
                  cluster.address, "--analyzer-factory", COUNTING, "--batch-size", "8")
    assert result.returncode == 1, result.stderr  # the broken line
    assert "Traceback" not in result.stderr
    assert "failed: " in result.stderr and "line 61" in result.stderr
    remote = open_database(f"sqlite:///{tmp_path / 'remote.db'}")
    assert _snapshot(remote) == _snapshot(single)
    assert _counts(tmp_path / "remote.db") == (60, 60, [(60, 0, 1)])
    # 8 tasks on two workers; each worker built the analyzer once, the client not at all
    builds = Counter(name.split("-")[0] for name in os.listdir(cluster.folder / "builds"))
    assert sorted(int(pid) for pid in builds) == cluster.worker_pids(2)
    assert set(builds.values()) == {1}
    single.dispose()
    remote.dispose()


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing_and_stores_nothing_twice(cluster, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", article_rows(120))
    db_file = tmp_path / "c.db"
    before = cluster.worker_pids(2)
    run = _start(str(path), "--db", f"sqlite:///{db_file}", "--dask", cluster.address,
                 "--analyzer-factory", SLOW, "--batch-size", "8")
    stored = _wait_until_stored(db_file, run)
    os.kill(before[0], signal.SIGKILL)  # its nanny starts another; its task runs again
    assert run.poll() is None and stored < 120  # killed mid-run
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert _counts(db_file) == (120, 120, [(120, 0, 0)])
    assert before[0] not in cluster.worker_pids(2)


@pytest.mark.slow
def test_an_article_that_kills_its_worker_each_time_is_the_only_failure(cluster, tmp_path):
    """Dask tries a task again when its worker dies (twice in all on this cluster); then the
    batch's articles are tried one by one, so only the article that kills its worker is a
    failure (a re-run tries it again), and the rest of its batch and of the run is stored."""
    rows = article_rows(24)
    rows[9]["text"] += "\n\nThis paragraph will self-destruct."
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    result = _run(str(path), "--db", f"sqlite:///{tmp_path / 'c.db'}", "--dask",
                  cluster.address, "--analyzer-factory", "corpus_helpers:dying_analyzer",
                  "--batch-size", "8")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    reason = ("the Dask workers given this article died while analysing it, 2 times (killed, "
              "or out of memory?); running the same command again retries it")
    failed = [" ".join(line.split()) for line in result.stderr.split("failed: ")[1:]]
    assert failed == [f"{path}, line 10: {reason}"]
    assert _counts(tmp_path / "c.db") == (23, 23, [(23, 0, 1)])
    rerun = _run(str(path), "--db", f"sqlite:///{tmp_path / 'c.db'}", "--dask",
                 cluster.address, "--analyzer-factory", "corpus_helpers:dying_analyzer",
                 "--batch-size", "8")
    assert rerun.returncode == 1, rerun.stderr
    assert _counts(tmp_path / "c.db") == (23, 23, [(23, 0, 1), (0, 23, 1)])


def test_a_model_folder_is_given_to_the_workers_by_its_absolute_path(cluster, tmp_path):
    """A worker's working folder is not the client's: `--model mine` is sent as /…/mine, and
    a model the workers cannot load is one line that says where they looked."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "a.txt").write_text("One paragraph of an article.", encoding="utf-8")
    result = subprocess.run(
        _plens_batch("a.txt", "--db", "sqlite:///c.db", "--dask", cluster.address, "--model",
                     "mine"), capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=subprocess_env(), stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert " ".join(_one_line(result.stderr).split()) == (
        f"error: the Dask workers at {cluster.address} cannot load the models: "
        f"FileNotFoundError: {tmp_path / 'mine'}: no technique model here (a technique model "
        "folder, as plens train or plens train-encoder writes it, holds metadata.json or a "
        "model.json of a technique model) (--model must name a folder at the same path on every "
        "worker)")
    assert not (tmp_path / "c.db").exists()  # the run created it and stored nothing in it


def test_a_worker_with_another_version_stops_the_run_before_it_starts(cluster, tmp_path):
    """A worker whose Python finds persuasion-lens 9.9 (its metadata first on its path)."""
    env = _worker_env_with_version(cluster.env, tmp_path / "other-version", "9.9")
    worker = Cluster(tmp_path, env)
    worker.scheduler_file = cluster.scheduler_file
    before = cluster.worker_addresses(2)
    try:
        worker.start_workers(1)
        odd = sorted(set(cluster.worker_addresses(3)) - set(before))
        (tmp_path / "a.txt").write_text("One paragraph of an article.", encoding="utf-8")
        open_database(f"sqlite:///{tmp_path / 'c.db'}").dispose()  # the user's, empty
        result = _run(str(tmp_path / "a.txt"), "--db", f"sqlite:///{tmp_path / 'c.db'}",
                      "--dask", cluster.address, "--analyzer-factory", FAKE)
    finally:
        worker.stop()
    assert result.returncode == 2
    assert _one_line(result.stderr) == (
        f"error: the Dask worker {odd[0]} runs persuasion-lens 9.9, this machine "
        f"{persuasion_lens.__version__}: install the same version on every worker")
    assert (tmp_path / "c.db").exists()  # not created by the run: kept, empty as it is


def _worker_env_with_version(env: dict[str, str], folder: Path, version: str) -> dict[str, str]:
    """`env` for a worker whose Python finds persuasion-lens `version` (its metadata first on
    its path)."""
    info = folder / f"persuasion_lens-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: persuasion-lens\nVersion: {version}\n", encoding="utf-8")
    return dict(env, PYTHONPATH=f"{folder}{os.pathsep}{env['PYTHONPATH']}")


@pytest.mark.slow
def test_a_worker_with_another_version_joining_mid_run_stops_it_before_its_answers_are_stored(
        new_cluster, tmp_path):
    """Checked at the start, a worker that joins later was trusted unseen: the first batch it
    analyses stops the run, unstored, in one line; a re-run on good workers completes it."""
    path = write_jsonl(tmp_path / "a.jsonl", article_rows(160))
    db_file = tmp_path / "c.db"
    good = new_cluster()
    address = good.start_scheduler()
    good.start_workers(1)
    first = good.worker_addresses(1)
    run = _start(str(path), "--db", f"sqlite:///{db_file}", "--dask", address,
                 "--analyzer-factory", SLOW, "--batch-size", "4")
    _wait_until_stored(db_file, run)
    odd = Cluster(tmp_path, _worker_env_with_version(good.env, tmp_path / "odd", "9.9"))
    odd.scheduler_file = good.scheduler_file
    try:
        odd.start_workers(1)
        late = sorted(set(good.worker_addresses(2)) - set(first))
        _, stderr = run.communicate(timeout=120)
    finally:
        odd.stop()
    assert run.returncode == 2, stderr
    stored = _stored(db_file)
    assert 0 < stored < 160
    assert _one_line(stderr) == (
        f"error: the Dask worker {late[0]} joined the run and runs persuasion-lens 9.9, this "
        f"machine {persuasion_lens.__version__}: install the same version on every worker; "
        f"this run analysed and stored {stored} articles, skipped 0 (already stored), 0 failed;"
        " everything committed so far is kept; run the same command again to resume")
    rerun = _run(str(path), "--db", f"sqlite:///{db_file}", "--dask", address,
                 "--analyzer-factory", FAKE, "--batch-size", "16")
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(db_file) == (160, 160, [(stored, 0, 0), (160 - stored, stored, 0)])


# --- a broken cluster -----------------------------------------------------------------------


@pytest.mark.slow
def test_scheduler_killed_mid_run_is_one_line_and_a_new_cluster_resumes(new_cluster, tmp_path):
    """The scheduler dies: one line, what was stored is kept. A new scheduler without workers:
    the run waits for one (--wait-for-workers, one line when none comes), and once a worker
    joins it stores the rest, nothing twice."""
    path = write_jsonl(tmp_path / "a.jsonl", article_rows(64))
    db_file = tmp_path / "c.db"
    first = new_cluster()
    address = first.start_scheduler()
    first.start_workers(2)
    first.worker_pids(2)
    run = _start(str(path), "--db", f"sqlite:///{db_file}", "--dask", address,
                 "--analyzer-factory", SLOW, "--batch-size", "8")
    _wait_until_stored(db_file, run)
    first.kill_scheduler()
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 2
    stored = _stored(db_file)
    assert 0 < stored < 64
    assert _one_line(stderr) == (
        f"error: lost the connection to the Dask scheduler {address}; this run analysed and "
        f"stored {stored} articles, skipped 0 (already stored), 0 failed; everything "
        "committed so far is kept; run the same command again to resume")
    assert _counts(db_file) == (stored, stored, [(stored, 0, 0)])

    second = new_cluster()
    address = second.start_scheduler()
    executor = DaskExecutor(AnalyzerSpec(factory=SLOW), address=address, wait_for_workers=1)
    started = time.monotonic()
    with pytest.raises(ValueError) as raised:
        executor.start()
    executor.close()
    assert 1 <= time.monotonic() - started < 10
    assert str(raised.value) == (
        f"the Dask scheduler {address} has no workers: none joined in 1 s (start them with "
        f"`dask worker {address}`; --wait-for-workers waits longer)")

    rerun = _start(str(path), "--db", f"sqlite:///{db_file}", "--dask", address,
                   "--analyzer-factory", SLOW, "--batch-size", "8")
    time.sleep(1)
    assert rerun.poll() is None  # waiting for a worker
    second.start_workers(1)
    _, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert _counts(db_file) == (64, 64, [(stored, 0, 0), (64 - stored, stored, 0)])
