#!/usr/bin/env python3
"""A feed watched exactly once across reconnects (``citychain.feed.Watch``, as ``citychain watch``
does it): the writer records sessions of this run (payloads carrying a fresh ``run`` token, which
the feed's predicate selects); the reader watches them through the gateway with its cursor kept
in a file; after two changes its connection is dropped, more sessions are written, and the watch
resumes from its cursor — failing over to the indexer when one is given; then the watch is closed
and a new one resumes from the saved cursor file and sees a session written while it is open, live.
Every change's proof is verified with the validator set of its height. The changes received must
be exactly those written, in chain order, each once.

Prints one JSON line.

  watch_feed.py --agencies agencies.json --genesis genesis.json --gateway HOST:PORT [--indexer HOST:PORT]
      [--writer tax-office] [--reader land-bureau] [--dataset parking-sessions] [--cursor-file FILE]
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import List

from _common import Demo, arguments, payload, put

from citychain.feed import FeedRequest, FeedStart, Watch
from citychain.indexer import FieldPredicate
from citychain.proofs import ChainCursor
from citychain.wire import Connection


def main() -> int:
    p = arguments(__doc__)
    p.add_argument("--writer", default="tax-office")
    p.add_argument("--reader", default="land-bureau")
    p.add_argument("--dataset", default="parking-sessions")
    p.add_argument("--cursor-file")
    a = p.parse_args()
    d = Demo(a)
    run = os.urandom(4).hex()
    cursor_file = a.cursor_file or os.path.join(tempfile.mkdtemp(), "watch.cursor")
    written: List[bytes] = []

    def write(n: int) -> None:
        for _ in range(n):
            i = len(written) + 1
            data = payload({"meter": 100 + i, "zone": "W", "minutes": i, "run": run})
            written.append(d.submit(a.writer, put(a.dataset, f"watch-{run}-{i}", data), data).transaction.id)

    from citychain import gateway
    # Every session of this run commits above the head the gateway has seen now: start after it.
    start = ChainCursor.end_of(gateway.status(d.gateway(a.writer)).head_height)
    write(3)
    reader = d.agencies[a.reader]
    addresses = [(a.gateway, "gateway")] + ([(a.indexer, "indexer")] if a.indexer else [])

    def connect(attempt: int) -> Connection:
        address, role = addresses[attempt % len(addresses)]
        return reader.connect(address, role)

    request = FeedRequest([a.dataset], predicates=[FieldPredicate.parse(f'run="{run}"')], start=FeedStart("after", start))
    received: List[bytes] = []
    notices: List[str] = []
    # The watch follows the validator sets itself, from the genesis: the first change is newer than
    # what these sets know, so they are refreshed over the feed's own connection (0x020B beside the
    # open stream).
    from citychain.client import genesis
    from citychain.trust import TrustedValidatorSets
    sets = TrustedValidatorSets.from_genesis(genesis(a.genesis))
    w1 = Watch(connect, request, sets, cursor_file=cursor_file, give_up_seconds=60, on_notice=notices.append, seconds=90)
    it = iter(w1)
    for change in it:
        received.append(change.transaction.id)
        if len(received) == 2:
            w1.disconnect()          # the network drops the connection mid-stream
            write(2)                 # sessions committed while the watch is away
        if len(received) == 4:
            break
    it.close()
    d.result["first_watch"] = {"received": len(received), "connections": w1.connections, "cursor": str(w1.cursor)}
    with open(cursor_file, encoding="utf-8") as f:
        saved_cursor = f.read().strip()
    d.result["sets_followed_on_the_feed"] = {"known_through": sets.known_through, "changes": len(sets.changes)}
    w2 = Watch(lambda attempt: connect(attempt + 1), request.starting(FeedStart("now")), sets, cursor_file=cursor_file,
               give_up_seconds=60, on_notice=notices.append, seconds=90)
    it2 = iter(w2)
    for change in it2:
        received.append(change.transaction.id)
        if len(received) == 5:
            write(1)                 # written while the second watch is open: delivered live
        if len(received) == 6:
            break
    it2.close()
    d.result["second_watch"] = {"resumed_after": saved_cursor, "received": len(received) - 4, "connections": w2.connections}
    d.result["written"] = len(written)
    d.result["received"] = len(received)
    d.result["exactly_once"] = received == written
    d.result["duplicates_dropped"] = w1.duplicates_dropped + w2.duplicates_dropped
    d.result["notices"] = notices
    ok = received == written and w1.connections >= 2 and saved_cursor == str(w1.cursor)
    return d.finish(ok)


if __name__ == "__main__":
    sys.exit(main())
