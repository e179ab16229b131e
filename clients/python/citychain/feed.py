"""Feeds (docs/PROTOCOL.md part 10): live committed record changes, in chain order, each with its
inclusion proof and certified header, through an indexer (0x0209) or a gateway (which relays it to
an indexer as 0x020A).

``watch`` mirrors ``citychain watch`` (Services/CLI/Library/WatchCommand.swift): a generator of
verified changes with their cursors that reconnects from its last cursor (change or heartbeat) on
any disconnect, ``tooSlow``, indexer stop or expiry, failing over between the connections it is
given, and drops anything at or before the cursor already handled (``FeedTracker``) — so what it
yields is every matching change in chain order, each once. With ``cursor_file`` the cursor is
kept in a file (rewritten atomically after every event) and a later watch resumes from it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole
from .errors import FeedEnded, ProofError, WireError
from .indexer import FieldPredicate
from .ledger import read_dataset, read_subject
from .proofs import ChainCursor, ProvenTransaction, ValidatorSetSource
from .wire import Connection

FEED, FORWARDED_FEED = 0x0209, 0x020A
MAX_FEED_DATASETS = 16

END_REASONS = {1: "accessRevoked", 2: "grantExpired", 3: "tooSlow", 4: "indexerStopping", 5: "expired"}
RESUMABLE = {"tooSlow", "indexerStopping", "expired"}


@dataclass(frozen=True)
class FeedStart(Canonical):
    """``beginning`` (every change from block 1), ``now`` (from the indexer's proven height) or
    ``after`` a cursor (resume: the last cursor received)."""
    kind: str                           # "beginning" | "now" | "after"
    after: Optional[ChainCursor] = None

    @staticmethod
    def parse(text: str) -> "FeedStart":
        if text in ("beginning", "start"):
            return BEGINNING
        if text == "now":
            return NOW
        return FeedStart("after", ChainCursor.parse(text))

    def encode(self, w: Writer) -> None:
        if self.kind == "beginning":
            w.u8(0)
        elif self.kind == "now":
            w.u8(1)
        else:
            assert self.after is not None
            w.u8(2)
            self.after.encode(w)

    @staticmethod
    def decode(r: Reader) -> "FeedStart":
        tag = r.u8("FeedStart")
        if tag == 0:
            return BEGINNING
        if tag == 1:
            return NOW
        if tag == 2:
            return FeedStart("after", ChainCursor.decode(r))
        raise CodecError("unknownTag", "FeedStart", f"unknown tag {tag}")

    def __str__(self) -> str:
        return str(self.after) if self.kind == "after" else self.kind


BEGINNING = FeedStart("beginning")
NOW = FeedStart("now")


@dataclass(frozen=True)
class FeedRequest(Canonical):
    """The changes of ``datasets`` (1-16, each once), optionally of one subject and matching every
    predicate, from ``start``; ``purpose`` is required for internal and restricted datasets."""
    datasets: Sequence[str]
    subject: Optional[str] = None
    predicates: Sequence[FieldPredicate] = ()
    start: FeedStart = NOW
    purpose: str = ""

    def encode(self, w: Writer) -> None:
        if not 1 <= len(self.datasets) <= MAX_FEED_DATASETS or len(set(self.datasets)) != len(self.datasets):
            raise CodecError("invalidValue", "FeedRequest.datasets", f"name 1-{MAX_FEED_DATASETS} different datasets")
        w.array(list(self.datasets), lambda w, d: w.string(d))
        w.optional(self.subject, lambda w, s: w.string(s))
        w.array(list(self.predicates), lambda w, p: p.encode(w))
        self.start.encode(w)
        w.string(self.purpose)

    @staticmethod
    def decode(r: Reader) -> "FeedRequest":
        datasets = r.array(MAX_FEED_DATASETS, "FeedRequest.datasets", lambda r: read_dataset(r, "FeedRequest.datasets"))
        if not datasets or len(set(datasets)) != len(datasets):
            raise CodecError("invalidValue", "FeedRequest.datasets", "name at least one dataset, each once")
        return FeedRequest(tuple(datasets), r.optional("FeedRequest.subject", lambda r: read_subject(r, "FeedRequest.subject")),
                           tuple(r.array(8, "FeedRequest.predicates", FieldPredicate.decode)), FeedStart.decode(r),
                           r.string(256, "FeedRequest.purpose"))

    def starting(self, start: FeedStart) -> "FeedRequest":
        return FeedRequest(self.datasets, self.subject, self.predicates, start, self.purpose)


def forwarded_feed(agency: str, request: FeedRequest) -> bytes:
    """``ForwardedFeed`` (what a gateway sends an indexer; gateways only)."""
    w = Writer()
    w.string(agency)
    request.encode(w)
    return w.bytes


@dataclass(frozen=True)
class FeedEnd(Canonical):
    """Why the indexer ended a feed, the cursor to resume after, and what to do."""
    reason: str
    resume_after: ChainCursor
    message: str

    @property
    def resumable(self) -> bool:
        return self.reason in RESUMABLE

    def encode(self, w: Writer) -> None:
        w.u8({v: k for k, v in END_REASONS.items()}[self.reason])
        self.resume_after.encode(w)
        w.string(self.message)

    @staticmethod
    def decode(r: Reader) -> "FeedEnd":
        raw = r.u8("FeedEnd.reason")
        if raw not in END_REASONS:
            raise CodecError("unknownTag", "FeedEnd.reason", f"unknown reason {raw}")
        return FeedEnd(END_REASONS[raw], ChainCursor.decode(r), r.string(1024, "FeedEnd.message"))

    def __str__(self) -> str:
        return f"{self.reason} (resume after {self.resume_after}): {self.message}"


@dataclass(frozen=True)
class FeedEvent:
    """A change (``change``: a ProvenTransaction), a heartbeat (``cursor``: everything that matched
    up to it was delivered) or the end (``end``)."""
    change: Optional[ProvenTransaction] = None
    heartbeat: Optional[ChainCursor] = None
    end: Optional[FeedEnd] = None

    @property
    def cursor(self) -> Optional[ChainCursor]:
        if self.change is not None:
            return self.change.cursor
        return self.heartbeat

    def to_bytes(self) -> bytes:
        w = Writer()
        if self.change is not None:
            w.u8(1); self.change.encode(w)
        elif self.heartbeat is not None:
            w.u8(2); self.heartbeat.encode(w)
        else:
            assert self.end is not None
            w.u8(3); self.end.encode(w)
        return w.bytes

    @staticmethod
    def from_bytes(data: bytes) -> "FeedEvent":
        def decode(r: Reader) -> FeedEvent:
            tag = r.u8("FeedEvent")
            if tag == 1:
                return FeedEvent(change=ProvenTransaction.decode(r))
            if tag == 2:
                return FeedEvent(heartbeat=ChainCursor.decode(r))
            if tag == 3:
                return FeedEvent(end=FeedEnd.decode(r))
            raise CodecError("unknownTag", "FeedEvent", f"unknown tag {tag}")
        return decode_whole(data, decode, "FeedEvent")


class FeedTracker:
    """A subscriber's side of a feed: the cursor to resume from, and which events to hand on.
    Across reconnections it drops anything at or before the cursor already handled, so changes
    are handed on in chain order, each once (Shared/API/Indexer/FeedTracker.swift)."""

    def __init__(self, initial: FeedStart) -> None:
        self.initial = initial
        self.cursor: Optional[ChainCursor] = initial.after if initial.kind == "after" else None
        self.delivered = 0

    @property
    def start(self) -> FeedStart:
        return FeedStart("after", self.cursor) if self.cursor is not None else self.initial

    def accept(self, event: FeedEvent) -> str:
        """``deliver`` (a new change: the cursor moved to it), ``advanced`` (a heartbeat moved it),
        ``duplicate`` (at or before the cursor: drop it) or ``ended``."""
        if event.end is not None:
            return "ended"
        c = event.cursor
        assert c is not None
        if self.cursor is not None and c <= self.cursor:
            return "duplicate"
        self.cursor = c
        if event.change is not None:
            self.delivered += 1
            return "deliver"
        return "advanced"


@dataclass(frozen=True)
class Change:
    """A verified change and its cursor (resume after it)."""
    cursor: ChainCursor
    item: ProvenTransaction

    @property
    def transaction(self):   # noqa: ANN201 — a ledger.SignedTransaction
        return self.item.transaction


_RETRYABLE_CODES = {1, 5, 9, 10, 11, 12, 13, 14}     # transport and transient refusals: reconnect and resume


class Watch:
    """A resumable, exactly-once feed (iterate it for ``Change``s). ``connect(attempt)`` opens a
    connection (to an indexer or a gateway; fail over by choosing by ``attempt``); ``sets``
    verifies every change (a ``TrustedValidatorSets`` is refreshed over the feed's connection
    when a change is newer than the sets it knows). ``disconnect()`` drops the current
    connection; the next step reconnects from the cursor."""

    def __init__(self, connect: Callable[[int], Connection], request: FeedRequest, sets: Optional[ValidatorSetSource],
                 cursor_file: Optional[str] = None, give_up_seconds: float = 300.0, on_notice: Optional[Callable[[str], None]] = None,
                 max_connections: int = 100_000, limit: Optional[int] = None, until_height: Optional[int] = None,
                 seconds: Optional[float] = None) -> None:
        self.connect = connect
        self.request = request
        self.sets = sets
        self.cursor_file = cursor_file
        self.give_up_seconds = give_up_seconds
        self.notice = on_notice or (lambda text: None)
        self.max_connections = max_connections
        self.limit = limit                  # stop after this many changes (as ``citychain watch --limit``)
        self.until_height = until_height    # stop once every change up to this block is delivered (``--until-height``)
        self.seconds = seconds              # stop after this long (checked at every event: heartbeats come each second)
        start = request.start
        if cursor_file and os.path.exists(cursor_file):
            with open(cursor_file, encoding="utf-8") as f:
                start = FeedStart("after", ChainCursor.parse(f.read()))
        self.tracker = FeedTracker(start)
        self.connections = 0
        self.duplicates_dropped = 0
        self._conn: Optional[Connection] = None
        self._verified_headers: set = set()

    @property
    def cursor(self) -> Optional[ChainCursor]:
        return self.tracker.cursor

    def disconnect(self) -> None:
        """Drops the connection (as a network failure would); the watch resumes from its cursor."""
        if self._conn is not None:
            self._conn.close()

    def close(self) -> None:
        self.disconnect()
        self._conn = None

    def _save(self) -> None:
        if self.cursor_file and self.tracker.cursor is not None:
            tmp = self.cursor_file + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(f"{self.tracker.cursor}\n")
            os.replace(tmp, self.cursor_file)

    def _verify(self, conn: Connection, item: ProvenTransaction) -> None:
        if self.sets is None:
            return
        from .trust import TrustedValidatorSets
        if isinstance(self.sets, TrustedValidatorSets) and item.height > self.sets.known_through:
            from .indexer import Indexer
            Indexer(conn, self.sets).refresh_through(item.height, attempts=3)
            if item.height > self.sets.known_through:
                raise ProofError(f"the validator sets up to block {item.height} cannot be proven yet (known through {self.sets.known_through})",
                                 needs_sets_through=item.height)
        key = item.header.header.hash
        if key not in self._verified_headers:
            item.header.verify(self.sets)
            self._verified_headers.add(key)
        item.verify_inclusion()

    def __iter__(self) -> Iterator[Change]:
        started = time.monotonic()
        last_good = time.monotonic()
        attempt = 0
        delay = 0.1
        while attempt < self.max_connections:
            try:
                self._conn = self.connect(attempt)
                self.connections += 1
            except (OSError, WireError) as e:
                self.notice(f"connect: {e}")
                self._conn = None
            attempt += 1
            if self._conn is not None:
                conn = self._conn
                q = self.request.starting(self.tracker.start)
                healthy = False
                try:
                    for payload in conn.stream(FEED, q.to_bytes()):
                        last_good = time.monotonic()
                        healthy = True
                        if self.seconds is not None and last_good - started > self.seconds:
                            return
                        event = FeedEvent.from_bytes(payload)
                        if event.change is not None and self.until_height is not None and event.change.height > self.until_height:
                            return
                        if event.change is not None and (self.tracker.cursor is None or event.change.cursor > self.tracker.cursor):
                            self._verify(conn, event.change)        # before the tracker takes it: a failure resumes with it
                        step = self.tracker.accept(event)
                        if step == "deliver":
                            assert event.change is not None
                            self._save()
                            yield Change(event.change.cursor, event.change)
                            if self.limit is not None and self.tracker.delivered >= self.limit:
                                return
                        elif step == "advanced":
                            self._save()
                            if self.until_height is not None and event.heartbeat is not None \
                                    and event.heartbeat >= ChainCursor.end_of(self.until_height):
                                return
                        elif step == "duplicate":
                            self.duplicates_dropped += 1
                        else:
                            assert event.end is not None
                            if not event.end.resumable:
                                raise FeedEnded(event.end)
                            self.notice(f"feed ended ({event.end.reason}) at {event.end.resume_after}; resuming")
                            break
                    else:
                        self.notice(f"the stream closed; resuming after {self.tracker.cursor or 'the start'}")
                except WireError as e:
                    if e.code not in _RETRYABLE_CODES:
                        raise
                    self.notice(f"{e}; reconnecting from {self.tracker.cursor or 'the start'}")
                except (OSError, ValueError, EOFError) as e:     # a dropped connection (ssl raises ValueError once closed)
                    self.notice(f"{e}; reconnecting from {self.tracker.cursor or 'the start'}")
                except ProofError as e:
                    if e.needs_sets_through is None:
                        raise
                    self.notice(f"{e}; reconnecting")
                finally:
                    conn.close()
                    self._conn = None
                if healthy:
                    delay = 0.1
                    continue
            if time.monotonic() - last_good > self.give_up_seconds:
                raise WireError(10, f"no working connection for {self.give_up_seconds} s; giving up")
            time.sleep(delay)   # backoff between reconnection attempts (not synchronisation): 0.1 s doubling to 5 s
            delay = min(delay * 2, 5.0)
        raise WireError(10, f"{self.max_connections} connections made: giving up")


def connector(addresses: Sequence[str], cert: str, key: str, ca: str, role: str) -> Callable[[int], Connection]:
    """``connect(attempt)`` over ``addresses`` in turn (failover), each ``HOST:PORT`` of ``role``."""
    def connect(attempt: int) -> Connection:
        return Connection.to(addresses[attempt % len(addresses)], cert, key, ca, expect_role=role)
    return connect


def watch(connect: Callable[[int], Connection], request: FeedRequest, sets: Optional[ValidatorSetSource],
          cursor_file: Optional[str] = None, give_up_seconds: float = 300.0, limit: Optional[int] = None,
          until_height: Optional[int] = None, seconds: Optional[float] = None) -> Iterator[Change]:
    """The verified changes of a feed with their cursors, resumable and exactly once (``Watch``)."""
    return iter(Watch(connect, request, sets, cursor_file, give_up_seconds, limit=limit, until_height=until_height, seconds=seconds))
