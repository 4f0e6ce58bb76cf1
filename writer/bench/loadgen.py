"""A lean HTTP/1.1 load generator, run as its own process: keep-alive connections on asyncio
streams, fixed concurrency, optional total rate, latencies per request.

    python -m writer.bench.loadgen --port 8000 --method POST --path /api/v1/history \\
        --body-file record.json --concurrency 64 --duration 10

prints one JSON line: requests, statuses, rows/s, p50/p99 latency in ms. The same generator
drives every server variant, so their figures compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter


def _request(method: str, path: str, body: bytes, host: str) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return status, b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()


def _summary(latencies: list[float]) -> dict:
    latencies = sorted(latencies)

    def pct(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    return {
        "n": len(latencies),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
    }


async def run(
    host: str,
    port: int,
    requests: list[bytes],
    concurrency: int,
    duration: float,
    rate: float | None,
    check: bytes | None,
) -> dict:
    latencies: list[float] = []
    by_request: list[list[float]] = [[] for _ in requests]
    statuses: Counter = Counter()
    problems: Counter = Counter()
    deadline = time.perf_counter() + duration
    interval = concurrency / rate if rate else 0.0  # per connection

    async def worker(n: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        i = n
        next_at = time.perf_counter()
        try:
            while time.perf_counter() < deadline:
                if interval:
                    next_at += interval
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                started = time.perf_counter()
                writer.write(requests[i % len(requests)])
                i += concurrency
                try:
                    status, body = await _read_response(reader)
                except (ConnectionError, asyncio.IncompleteReadError):
                    # The server dropped the connection: count it, connect again.
                    statuses["connection-error"] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latency = (time.perf_counter() - started) * 1000
                latencies.append(latency)
                by_request[(i - concurrency) % len(requests)].append(latency)
                statuses[status] += 1
                if check and check in body:
                    problems[check.decode()] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "per_s": round(len(latencies) / elapsed, 1),
        "statuses": dict(statuses),
        **_summary(latencies),
        "by_request": [_summary(values) for values in by_request],
        "problems": dict(problems),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument(
        "--path", action="append", required=True, help="repeat to cycle through several paths"
    )
    parser.add_argument("--body-file", help="request body (JSON) for every request")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rate", type=float, help="total requests per second (default: max)")
    parser.add_argument("--check", help="count responses whose body contains this text")
    args = parser.parse_args(argv)
    body = open(args.body_file, "rb").read() if args.body_file else b""  # noqa: SIM115
    requests = [_request(args.method, path, body, args.host) for path in args.path]
    result = asyncio.run(
        run(
            args.host,
            args.port,
            requests,
            args.concurrency,
            args.duration,
            args.rate,
            args.check.encode() if args.check else None,
        )
    )
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
