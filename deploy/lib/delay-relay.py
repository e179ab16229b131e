#!/usr/bin/env python3
"""deploy/lib/delay-relay.py — a TCP relay that delays every byte by DELAY ± JITTER milliseconds.

This kernel has no netem, so `deploy/bench-chain --delay-ms` puts one of these in front of each
validator: peers dial the relay, which forwards to the validator and back, each direction holding
every chunk it reads until its due time (read time + delay + uniform jitter, never earlier than the
chunk before it: a TCP stream is never reordered). Bounded: at most MAX_BUFFER bytes held per
direction (the reader waits beyond that), and it exits when its parent dies or after --seconds.

    delay-relay.py --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --delay-ms 20 --jitter-ms 5 [--seconds N]
                   [--control FILE]

With --control, FILE holds "DELAY JITTER" (milliseconds) and is read again every second, so a
fault campaign (deploy/chaos) changes the delay of open connections without cutting them.
"""
import argparse
import asyncio
import os
import random
import sys

MAX_BUFFER = 8 << 20


async def pipe(reader, writer, conf, rng):
    queue = asyncio.Queue()
    held = 0
    space = asyncio.Event()
    space.set()
    loop = asyncio.get_running_loop()

    async def send():
        nonlocal held
        while True:
            due, chunk = await queue.get()
            if chunk is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            held -= len(chunk)
            if held < MAX_BUFFER:
                space.set()
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    last_due = 0.0
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            delay, jitter = conf["delay"], conf["jitter"]
            due = max(last_due, loop.time() + max(0.0, delay + rng.uniform(-jitter, jitter)) / 1000.0)
            last_due = due
            held += len(chunk)
            if held >= MAX_BUFFER:
                space.clear()
            await queue.put((due, chunk))
            await space.wait()
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--delay-ms", type=float, default=20)
    ap.add_argument("--jitter-ms", type=float, default=5)
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--control", default=None)
    a = ap.parse_args()
    lhost, lport = a.listen.rsplit(":", 1)
    thost, tport = a.target.rsplit(":", 1)
    rng = random.Random(int(lport))
    parent = os.getppid()
    conf = {"delay": a.delay_ms, "jitter": a.jitter_ms}

    def read_control():
        if not a.control:
            return
        try:
            with open(a.control) as f:
                d, j = f.read().split()[:2]
            conf["delay"], conf["jitter"] = float(d), float(j)
        except (OSError, ValueError):
            pass

    async def handle(cr, cw):
        try:
            tr, tw = await asyncio.open_connection(thost, int(tport))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, tw, conf, rng), pipe(tr, cw, conf, rng))

    server = await asyncio.start_server(handle, lhost, int(lport))
    print(f"relay {a.listen} -> {a.target}, {a.delay_ms} ± {a.jitter_ms} ms", flush=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + a.seconds
    async with server:
        while loop.time() < deadline and os.getppid() == parent:
            read_control()
            await asyncio.sleep(1)   # the relay's own lifetime check, not synchronisation


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
