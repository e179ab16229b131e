#!/usr/bin/env python3
"""deploy/lib/delay-relay.py — a TCP relay that delays every byte by DELAY ± JITTER milliseconds.

This kernel has no netem, so `deploy/bench-chain --delay-ms` puts one of these in front of each
validator: peers dial the relay, which forwards to the validator and back, each direction holding
every chunk it reads until its due time (read time + delay + uniform jitter, never earlier than the
chunk before it: a TCP stream is never reordered). Bounded: at most MAX_BUFFER bytes held per
direction (the reader waits beyond that), and it exits when its parent dies or after --seconds.

    delay-relay.py --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --delay-ms 20 --jitter-ms 5 [--seconds N]
"""
import argparse
import asyncio
import os
import random
import sys

MAX_BUFFER = 8 << 20


async def pipe(reader, writer, delay, jitter, rng):
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
            due = max(last_due, loop.time() + (delay + rng.uniform(-jitter, jitter)) / 1000.0)
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
    a = ap.parse_args()
    lhost, lport = a.listen.rsplit(":", 1)
    thost, tport = a.target.rsplit(":", 1)
    rng = random.Random(int(lport))
    parent = os.getppid()

    async def handle(cr, cw):
        try:
            tr, tw = await asyncio.open_connection(thost, int(tport))
        except OSError:
            cw.close()
            return
        await asyncio.gather(pipe(cr, tw, a.delay_ms, a.jitter_ms, rng), pipe(tr, cw, a.delay_ms, a.jitter_ms, rng))

    server = await asyncio.start_server(handle, lhost, int(lport))
    print(f"relay {a.listen} -> {a.target}, {a.delay_ms} ± {a.jitter_ms} ms", flush=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + a.seconds
    async with server:
        while loop.time() < deadline and os.getppid() == parent:
            await asyncio.sleep(1)   # the relay's own lifetime check, not synchronisation


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
