"""Open-loop load for `make bench-api`: send prepared messages at a fixed rate, whatever the
server's latency, and measure each from the moment it was due (so a slow server cannot slow
the client down and hide its queueing: no coordinated omission).

    python bench/open_loop.py BODIES_FILE KEY --port 8765,8766 --rate 400 --seconds 10

One asyncio loop, pre-encoded HTTP/1.1 requests over keep-alive connections, minimal
response parsing: about 0.1 ms of CPU per request. Prints one JSON line: sent, ok, failed,
p50/p99/max in ms, achieved rate, and this client's own CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time


def _requests(path: str, key: str, port: str) -> list[bytes]:
    out = []
    with open(path, encoding="ascii") as fh:
        for line in fh:
            body = line.strip().encode()
            head = (
                f"POST /fsi/api HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            out.append(head.encode() + body)
    return out


async def _run(args: argparse.Namespace) -> dict[str, float | int]:
    requests = _requests(args.bodies, args.key, args.port.split(",")[0])
    total = int(args.rate * args.seconds)
    if total > len(requests):
        raise SystemExit(f"only {len(requests)} prepared messages for {total} requests")
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    ports = [int(p) for p in args.port.split(",")]  # connections spread evenly over them
    for i in range(args.conns):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", ports[i % len(ports)]))
    latencies: list[float] = []
    failed = 0

    async def one(request: bytes, due: float) -> None:
        nonlocal failed
        reader, writer = await idle.get()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):  # the server closed the connection
            failed += 1
            latencies.append(loop.time() - due)
            port = writer.get_extra_info("peername")[1]
            writer.close()
            idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
            return
        latencies.append(loop.time() - due)
        if not head.startswith(b"HTTP/1.1 200") or b'"infcode":0' not in body:
            failed += 1
        idle.put_nowait((reader, writer))

    start = loop.time() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / args.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(requests[i], due)))
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    ordered = sorted(latencies)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "sent": total,
        "ok": total - failed,
        "failed": failed,
        "rate": round(total / wall, 1),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bodies")
    parser.add_argument("key")
    parser.add_argument("--port", default="8765", help="a port, or several separated by commas")
    parser.add_argument("--rate", type=float, default=400)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--conns", type=int, default=16)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    started = time.perf_counter()
    result = asyncio.run(_run(args))
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
