#!/usr/bin/env python3
"""Fault generators and probes for scripts/reliability.sh. Standard library only, loopback only.

Subcommands print one JSON object on stdout (the figures), progress on stderr.

  slow-and-paced HOST:PORT  N slow connections (half a request line each, held open and
                            re-opened when closed) while a paced client sends RATE req/s for
                            SECONDS; reports the paced client's responses within 1 s.
  slow HOST:PORT            N slow connections held (and re-opened) for SECONDS.
  paced URL                 RATE req/s for SECONDS; statuses and latencies.
  bust URL                  COUNT distinct valid queries that miss the cache (random search
                            terms, 200 with an empty list); statuses and latencies.
  flood HOST:PORT           COUNT random keys from one UDP socket while a second socket sends
                            VALUES values of one key; reports what was sent.
  history URL               every profile's saved results (its history, newest 200): how many
                            in all and how many computed between SINCE and UNTIL (RFC 3339).
"""
import argparse
import asyncio
import json
import os
import random
import socket
import sys
import time
import http.client
import urllib.parse


def log(*args):
    print(*args, file=sys.stderr, flush=True)


async def one_get(host, port, path, timeout):
    """One HTTP/1.1 GET on a fresh connection; returns (status or error text, seconds)."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write(f"GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        status = int(line.split()[1]) if line.startswith(b"HTTP/") else "garbled"
    except asyncio.TimeoutError:
        status = "timeout"
    except OSError as err:
        status = type(err).__name__
    return status, time.monotonic() - started


async def paced(host, port, path, rate, seconds):
    results = []
    tasks = []
    started = time.monotonic()
    n = int(rate * seconds)
    for i in range(n):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one_get(host, port, path, 5.0)))
    results = await asyncio.gather(*tasks)
    statuses = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(t for s, t in results if s == 200)
    within = sum(1 for s, t in results if s == 200 and t < 1.0)
    return {
        "sent": n,
        "ok_within_1s": within,
        "ok_within_1s_pct": round(100.0 * within / n, 2) if n else 0.0,
        "statuses": statuses,
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
    }


async def hold_slow(host, port, stop, counters):
    """Keeps one slow connection open: half a request line, then nothing; re-opens on close."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            counters["connect_failed"] += 1
            await asyncio.sleep(0.2)
            continue
        counters["opened"] += 1
        writer.write(b"GET /hardware/ HT")
        try:
            await writer.drain()
            # Returns when the server closes (header timeout) or refuses (503).
            data = await reader.read(64)
            if data.startswith(b"HTTP/1.1 503"):
                counters["refused_503"] += 1
            else:
                counters["closed_by_server"] += 1
        except OSError:
            counters["closed_by_server"] += 1
        writer.close()


async def slow_only(args):
    """N slow connections held for SECONDS (the paced client runs in another process, so the
    latency it measures is the service's, not this event loop's)."""
    host, port = args.target.rsplit(":", 1)
    port = int(port)
    stop = asyncio.Event()
    counters = {"opened": 0, "connect_failed": 0, "refused_503": 0, "closed_by_server": 0}
    holders = []
    for i in range(args.slow):
        holders.append(asyncio.ensure_future(hold_slow(host, port, stop, counters)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)  # let the accept queue drain
    log(f"slow clients: {args.slow} started")
    await asyncio.sleep(args.seconds)
    stop.set()
    for holder in holders:
        holder.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    return {"slow": args.slow, **counters}


async def slow_and_paced(args):
    host, port = args.target.rsplit(":", 1)
    port = int(port)
    stop = asyncio.Event()
    counters = {"opened": 0, "connect_failed": 0, "refused_503": 0, "closed_by_server": 0}
    holders = []
    for i in range(args.slow):
        holders.append(asyncio.ensure_future(hold_slow(host, port, stop, counters)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)  # let the accept queue drain
    await asyncio.sleep(args.settle)
    log(f"slow clients opened {counters['opened']}; paced client starts")
    result = await paced(host, port, args.path, args.rate, args.seconds)
    stop.set()
    for holder in holders:
        holder.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    result["slow"] = counters
    return result


def bust(args):
    """Distinct valid queries that each miss the cache: a random search term (a valid `q`, so
    the answer is a 200 with an empty list that the cache stores) over one kept-alive
    connection. Reports statuses, so a probe whose queries are refused cannot pass for one
    that filled the cache."""
    parsed = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    started = time.monotonic()
    slow = 0
    statuses = {}
    misses = 0
    for i in range(args.count):
        path = f"/hardware/?q=zz{random.getrandbits(64):016x}"
        t0 = time.monotonic()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            status = response.status
            if status == 200 and body.strip() == b"[]":
                misses += 1
        except (OSError, http.client.HTTPException) as err:
            status = type(err).__name__
            conn.close()
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if time.monotonic() - t0 > 1.0:
            slow += 1
    conn.close()
    return {"queries": args.count, "statuses": statuses, "empty_200": misses, "over_1s": slow,
            "seconds": round(time.monotonic() - started, 1)}


def flood(args):
    host, port = args.target.rsplit(":", 1)
    to = (host, int(port))
    flooder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    instance = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent_values = 0
    batch = []
    every = max(1, args.count // args.values)
    started = time.monotonic()
    for i in range(args.count):
        batch.append(f"flood-{random.getrandbits(64):x}:1")
        if len(batch) == 40:
            flooder.sendto("\n".join(batch).encode(), to)
            batch = []
            # Pace to stay under the loopback receive buffer: the test is admission, not UDP loss.
            if i % 4000 == 3999:
                time.sleep(0.01)
        if i % every == 0 and sent_values < args.values:
            instance.sendto(f"{args.key}:{sent_values % 100 + 1}".encode(), to)
            sent_values += 1
    if batch:
        flooder.sendto("\n".join(batch).encode(), to)
    while sent_values < args.values:
        instance.sendto(f"{args.key}:1".encode(), to)
        sent_values += 1
    return {"flood_keys": args.count, "instance_values": sent_values,
            "seconds": round(time.monotonic() - started, 1)}


def parse_time(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def history(args):
    """What hardware saved: every profile's history through its own API, so the count is the
    same on SQLite and PostgreSQL. `in_window` counts results computed between SINCE and UNTIL:
    results computed while the database was away can only have been written after it came back."""
    parsed = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    conn.request("GET", "/hardware/")
    rows = json.loads(conn.getresponse().read())
    since = parse_time(args.since) if args.since else None
    until = parse_time(args.until) if args.until else None
    total = in_window = 0
    for row in rows:
        path = "/hardware/{}/{}/history?limit=200".format(
            urllib.parse.quote(row["provider"], safe=""), urllib.parse.quote(row["name"], safe=""))
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        for entry in json.loads(body)["history"]:
            total += 1
            at = parse_time(entry["computed_at"])
            if since and until and since <= at <= until:
                in_window += 1
    conn.close()
    return {"profiles": len(rows), "results": total, "in_window": in_window}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("slow-and-paced")
    p.add_argument("target")
    p.add_argument("--slow", type=int, default=2000)
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--settle", type=float, default=1)
    p.add_argument("--path", default="/healthz")
    p = sub.add_parser("slow")
    p.add_argument("target")
    p.add_argument("--slow", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=5)
    p = sub.add_parser("paced")
    p.add_argument("target")
    p.add_argument("--rate", type=float, default=200)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--path", default="/healthz")
    p = sub.add_parser("bust")
    p.add_argument("url")
    p.add_argument("--count", type=int, default=5000)
    p = sub.add_parser("flood")
    p.add_argument("target")
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--values", type=int, default=1000)
    p.add_argument("--key", default="app-instance")
    p = sub.add_parser("history")
    p.add_argument("url")
    p.add_argument("--since")
    p.add_argument("--until")
    args = parser.parse_args()
    if args.command == "slow-and-paced":
        result = asyncio.run(slow_and_paced(args))
    elif args.command == "slow":
        result = asyncio.run(slow_only(args))
    elif args.command == "paced":
        host, port = args.target.rsplit(":", 1)
        result = asyncio.run(paced(host, int(port), args.path, args.rate, args.seconds))
    elif args.command == "bust":
        result = bust(args)
    elif args.command == "history":
        result = history(args)
    else:
        result = flood(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
