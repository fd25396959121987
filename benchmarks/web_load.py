"""Load test of the web app: `plens serve` on a free local port, N analyse requests from C
concurrent clients, median and p95 latency and the error count.

    python benchmarks/web_load.py                       # 200 requests, 8 clients, ~1,000 words
    python benchmarks/web_load.py article.txt --requests 100 --clients 4

The article is the project example repeated to about 1,000 words, or the file given.
The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
STARTUP_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 300


def article(path: Path | None, words: int) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    base = EXAMPLE.read_text(encoding="utf-8").strip()
    lines = base.splitlines()
    title, body = lines[0], [line for line in lines[1:] if line.strip()]
    out = [title]
    count = len(title.split())
    for _ in range(1000):  # bounded
        for line in body:
            out.append(line)
            count += len(line.split())
            if count >= words:
                return "\n".join(out) + "\n"
    return "\n".join(out) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, extra: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "persuasion_lens", "serve", "--port", str(port),
               "--log-level", "warning", *extra]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_until_up(base: str, server: subprocess.Popen) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < STARTUP_TIMEOUT_S:
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read() if server.stderr else ''}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise SystemExit(f"the server did not answer within {STARTUP_TIMEOUT_S} s")


def one_request(url: str, body: bytes) -> tuple[float, str | None]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            payload = json.loads(response.read())
            error = None if "paragraphs" in payload else "no paragraphs in the answer"
    except urllib.error.HTTPError as failure:
        error = f"HTTP {failure.code}"
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as failure:
        error = type(failure).__name__
    return time.perf_counter() - started, error


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", type=Path, help="article file (default: example)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=2, help="requests before timing")
    parser.add_argument("--no-spans", action="store_true", help="serve without span detection")
    args = parser.parse_args()

    text = article(args.article, args.words)
    body = json.dumps({"text": text, "lang": "en"}).encode("utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, ["--no-spans"] if args.no_spans else [])
    try:
        startup = wait_until_up(base, server)
        for _ in range(max(0, args.warmup)):
            one_request(base + "/api/analyze", body)
        lock = threading.Lock()
        latencies: list[float] = []
        errors: dict[str, int] = {}

        def work(_: int) -> None:
            latency, error = one_request(base + "/api/analyze", body)
            with lock:
                latencies.append(latency)
                if error:
                    errors[error] = errors.get(error, 0) + 1

        wall = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            list(pool.map(work, range(args.requests)))
        wall = time.perf_counter() - wall
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)

    words = len(text.split())
    size = len(text.encode("utf-8"))
    print(f"article: {words} words, {size} bytes; server start {startup:.1f} s")
    print(f"{args.requests} requests, {args.clients} concurrent clients, {wall:.1f} s "
          f"({args.requests / wall:.2f} requests/s)")
    print(f"latency median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    print(f"errors: {sum(errors.values())}" + (f" {errors}" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
