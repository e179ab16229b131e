"""The vectors of docs/PROTOCOL.md parts 7 (indexer queries), 9 (gateway) and 10 (feeds), and
part 3's rejection vector, read from the document itself, encoded and decoded byte for byte; the
typed errors; and ``TrustedValidatorSets`` on a synthetic certified chain (a validator-set change
followed from the genesis; a left-out or forged change refused).
Run: python3 -m unittest discover -s clients/python/tests
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unittest
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from citychain import errors, ledger  # noqa: E402
from citychain.encoding import CodecError, Reader  # noqa: E402
from citychain.feed import BEGINNING, NOW, FeedEnd, FeedEvent, FeedRequest, FeedStart, FeedTracker, forwarded_feed  # noqa: E402
from citychain.indexer import (DatasetQuery, DisclosureRecord, FieldPredicate, IndexerStatus, audit_query, block_query,  # noqa: E402
                               history_query, key_shares_query, record_query, saved_answer, transaction_query, verify_saved)
from citychain.proofs import CertifiedHeader, ChainCursor, ProofError, ProvenTransaction  # noqa: E402
from citychain.trust import TrustedValidatorSets, ValidatorChangesAnswer, ValidatorChangesQuery  # noqa: E402
from citychain.wire import WireError  # noqa: E402

PROTOCOL = os.path.join(HERE, "..", "..", "..", "docs", "PROTOCOL.md")
H = hashlib.sha256(b"block 7").digest()


def document() -> str:
    with open(PROTOCOL, encoding="utf-8") as f:
        return f.read()


def part(title: str) -> str:
    doc = document()
    start = doc.index(title)
    end = doc.find("\n## Part", start + 10)
    return doc[start:end if end > 0 else len(doc)]


def rows(text: str) -> Dict[str, bytes]:
    """`| `value` | hex tokens |` rows of a part's vector tables: value text → bytes (H = SHA-256("block 7"))."""
    out = {}
    for m in re.finditer(r"^\| (`[^|]*?) \| ((?:(?:`[0-9a-f]+`|H) ?)+) \|$", text, re.M):
        value = m.group(1)
        hexed = "".join(H.hex() if t == "H" else t.strip("`") for t in m.group(2).split())
        out[value] = bytes.fromhex(hexed)
    return out


class IndexerVectors(unittest.TestCase):
    vectors = rows(part("## Part 7. Indexer queries"))

    def row(self, prefix: str) -> bytes:
        found = [v for k, v in self.vectors.items() if k.startswith(prefix)]
        self.assertEqual(len(found), 1, f"one vector starting {prefix} in docs/PROTOCOL.md part 7")
        return found[0]

    def test_queries(self) -> None:
        self.assertEqual(ChainCursor(7, 2).to_bytes(), self.row("`ChainCursor(height: 7, index: 2)`"))
        self.assertEqual(ChainCursor.decode(Reader(self.row("`ChainCursor("))), ChainCursor(7, 2))
        self.assertEqual(record_query("parking.sessions", "bay-7"), self.row("`RecordQuery("))
        self.assertEqual(history_query("property.registry", "parcel-42", 2, 50, "valuation"), self.row("`HistoryQuery("))
        self.assertEqual(transaction_query(H, "dispute 17"), self.row("`TransactionQuery("))
        self.assertEqual(block_query(7), self.row("`BlockQuery("))
        self.assertEqual(key_shares_query("property.registry", ChainCursor(7, 2), 32), self.row("`KeySharesQuery("))
        self.assertEqual(ValidatorChangesQuery(7, True).to_bytes(), self.row("`ValidatorChangesQuery("))
        self.assertEqual(audit_query("property.registry", "parcel-42", 10, 20), self.row("`AuditQuery("))
        with self.assertRaises(CodecError):
            block_query(0)
        with self.assertRaises(CodecError):
            history_query("d", "s", limit=0)

    def test_predicates_from_their_text_form(self) -> None:
        for text, prefix in (('zone="B"', '`FieldPredicate` `zone="B"`'), ("minutes>=30", "`FieldPredicate` `minutes>=30`"),
                             ("a.b!=1", "`FieldPredicate` `a.b!=1`"), ("paid?", "`FieldPredicate` `paid?`")):
            with self.subTest(predicate=text):
                p = FieldPredicate.parse(text)
                raw = self.row(prefix)
                self.assertEqual(p.to_bytes(), raw)
                self.assertEqual(FieldPredicate.decode(Reader(raw)), p)
                self.assertEqual(str(p), text)
        self.assertEqual(FieldPredicate.parse("x<=a=b").value, "a=b", "the leftmost operator splits")
        for bad in ("=1", "a.=1", "zone", "?"):
            with self.assertRaises(ValueError):
                FieldPredicate.parse(bad)
        with self.assertRaises(CodecError) as e:
            FieldPredicate.decode(Reader(bytes.fromhex("00000001000000017a08" "00000000")))
        self.assertEqual(e.exception.code, "unknownTag")
        p = FieldPredicate.parse("minutes>=30")
        self.assertTrue(p.holds(b'{"minutes": 45}'))
        self.assertFalse(p.holds(b'{"minutes": "45"}'), "only values of the same JSON type compare")
        self.assertFalse(p.holds(b"45"), "payloads that are not objects or arrays never match")
        self.assertTrue(FieldPredicate.parse("owner.city!=\"X\"").holds(b'{"owner": {"city": "Y"}}'))
        self.assertTrue(FieldPredicate.parse("paid?").holds(b'{"paid": false}'))
        # As PostgreSQL's jsonb evaluates them on the indexer: = is containment, orderings need one type.
        ev = lambda text, doc: FieldPredicate.parse(text).evaluate(doc)  # noqa: E731
        self.assertTrue(ev('owner={"city":"X"}', b'{"owner": {"city": "X", "zip": 1}}'), "containment, not equality")
        self.assertTrue(ev("tags=[\"a\"]", b'{"tags": ["b", "a"]}'))
        self.assertFalse(ev('tags="a"', b'{"tags": ["a"]}'), "a scalar is not contained in a nested array")
        self.assertTrue(ev("minutes=30", b'{"minutes": 30.0}'))
        self.assertTrue(ev("paid>false", b'{"paid": true}'))
        self.assertIsNone(ev('zone<"C"', b'{"zone": "B"}'), "string order is the database collation's: not decided here")
        self.assertTrue(ev('zone!="C"', b'{"zone": "B"}'))
        self.assertTrue(ev("items.1.n>=2", b'{"items": [{"n": 1}, {"n": 2}]}'))
        self.assertFalse(ev("x=1", b"not json"))

    def test_dataset_query(self) -> None:
        raw = self.row("`DatasetQuery(")
        q = DatasetQuery("parking.sessions", ChainCursor(7, 2), 1700000000000, 0, "traffic-bureau", (FieldPredicate.parse("minutes>=30"),), 100, "")
        self.assertEqual(q.to_bytes(), raw)
        self.assertEqual(DatasetQuery.from_bytes(raw), q)
        with self.assertRaises(CodecError):
            DatasetQuery.from_bytes(raw + b"\x00")

    def test_disclosure_records_and_status(self) -> None:
        a = DisclosureRecord(11, "tax-office", "property.registry", "parcel-42", 1700000007000, "valuation", 0x0201, 7)
        self.assertEqual(a.to_bytes(), self.row("`DisclosureRecord(sequence: 11"))
        b = DisclosureRecord(12, "tax-office", "property.registry", None, 1700000008000, "survey", 0x0203, 8)
        self.assertEqual(b.to_bytes(), self.row("`DisclosureRecord(sequence: 12"))
        self.assertEqual(DisclosureRecord.from_bytes(b.to_bytes()), b)
        s = IndexerStatus.from_bytes(self.row("`IndexerStatus("))
        self.assertEqual((s.indexed_height, s.indexed_hash, s.proven_height, s.chain_height, s.source), (7, H, 6, 9, "127.0.0.1:7101"))
        self.assertEqual(self.row("`BlockEntry.withheld"), b"\x01" + H)


class GatewayAndFeedVectors(unittest.TestCase):
    gateway = rows(part("## Part 9. Gateway messages"))
    feeds = rows(part("## Part 10. Feeds"))

    def test_gateway_outcomes_with_their_rejection(self) -> None:
        from citychain.gateway import GatewayOutcome
        pending = GatewayOutcome.from_bytes(self.gateway["`GatewayOutcome(id: H, state: .pending)`"])
        self.assertEqual((pending.id, pending.state), (H, "pending"))
        rejected = GatewayOutcome.from_bytes(self.gateway["`GatewayOutcome(id: H, state: .rejected(.replayed(H)))`"])
        self.assertEqual((rejected.state, rejected.rejection.name, rejected.rejection.fields), ("rejected", "replayed", {"id": H.hex()}))
        self.assertEqual(rejected.rejection.message, f"transaction {H.hex()} was already committed; fetch its receipt instead of resubmitting")
        with self.assertRaises(errors.TransactionRejected) as e:
            rejected.verify(H, ledger.ValidatorSet([]))
        self.assertEqual(e.exception.rejection.code, 6)
        saved = self.gateway["`SavedAnswer(kind: 0x0302, query: TxStatusRequest(id: H), answer: [0xAB])`"]
        self.assertEqual(saved_answer(0x0302, H, b"\xab"), saved)

    def test_feed_values(self) -> None:
        f = self.feeds
        self.assertEqual(BEGINNING.to_bytes(), f["`FeedStart.beginning`"])
        self.assertEqual(NOW.to_bytes(), f["`FeedStart.now`"])
        self.assertEqual(FeedStart.parse("7.2").to_bytes(), f["`FeedStart.after(7.2)`"])
        r1 = FeedRequest(["parking.sessions"], None, [FieldPredicate.parse('zone="B"')], NOW, "")
        raw1 = [v for k, v in f.items() if k.startswith("`FeedRequest(datasets: [\"parking.sessions\"]")][0]
        self.assertEqual(r1.to_bytes(), raw1)
        self.assertEqual(FeedRequest.decode(Reader(raw1)).to_bytes(), raw1)
        r2 = FeedRequest(["property.registry"], "parcel-42", [], FeedStart.parse("7.2"), "valuation")
        self.assertEqual(r2.to_bytes(), [v for k, v in f.items() if k.startswith("`FeedRequest(datasets: [\"property.registry\"]")][0])
        fwd = [v for k, v in f.items() if k.startswith("`ForwardedFeed(")][0]
        self.assertEqual(forwarded_feed("tax-office", FeedRequest(["parking.sessions"], start=BEGINNING)), fwd)
        end = FeedEnd("tooSlow", ChainCursor(7, 2), "read faster")
        self.assertEqual(end.to_bytes(), f['`FeedEnd(.tooSlow, resumeAfter: 7.2, message: "read faster")`'])
        hb = FeedEvent.from_bytes(f["`FeedEvent.heartbeat(7.4294967295)`"])
        self.assertEqual(hb.heartbeat, ChainCursor.end_of(7))
        ended = FeedEvent.from_bytes([v for k, v in f.items() if k.startswith("`FeedEvent.end(")][0])
        self.assertEqual((ended.end.reason, ended.end.resumable, ended.end.resume_after), ("accessRevoked", False, ChainCursor(7, 2)))
        self.assertEqual(ended.to_bytes(), [v for k, v in f.items() if k.startswith("`FeedEvent.end(")][0])
        with self.assertRaises(CodecError):
            FeedEvent.from_bytes(b"\x04")

    def test_the_tracker_hands_on_each_change_once(self) -> None:
        t = FeedTracker(FeedStart.parse("5.0"))
        hb = lambda h, i: FeedEvent(heartbeat=ChainCursor(h, i))  # noqa: E731
        self.assertEqual(t.accept(hb(5, 0)), "duplicate")
        self.assertEqual(t.accept(hb(6, 0xFFFFFFFF)), "advanced")
        self.assertEqual(t.start, FeedStart("after", ChainCursor(6, 0xFFFFFFFF)))
        self.assertEqual(t.accept(hb(6, 3)), "duplicate", "at or before the cursor")
        self.assertEqual(t.accept(FeedEvent(end=FeedEnd("expired", ChainCursor(6, 0xFFFFFFFF), ""))), "ended")


class TypedErrors(unittest.TestCase):
    def test_wire_errors_are_their_classes_with_the_protocols_message(self) -> None:
        e = WireError.from_bytes(bytes.fromhex("0004000000026e6f"))
        self.assertIsInstance(e, errors.Forbidden)
        self.assertIsInstance(e, errors.Denied)
        self.assertEqual((e.code, e.name, e.message), (4, "forbidden", "no"))
        slow = WireError.from_bytes(bytes.fromhex("0009000005dc00000004736c6f77"))
        self.assertIsInstance(slow, errors.RateLimited)
        self.assertEqual(slow.retry_after_ms, 1500)
        self.assertIsInstance(WireError(10, "catching up"), errors.CatchingUp)
        self.assertIsInstance(WireError(8, "x"), errors.NotFound)
        self.assertEqual(WireError(7, "x").meaning, "the payload is malformed or invalid; the message names the field")

    def test_the_rejection_vector_decodes_with_its_fields_and_message(self) -> None:
        doc = document()
        m = re.search(r"`Rejection\.revokedKey\(hospital#1, revokedAtHeight: 8\)`:\n\n```\n([0-9a-f]+)\n```", doc)
        self.assertIsNotNone(m, "the rejection vector is in docs/PROTOCOL.md")
        raw = bytes.fromhex(m.group(1))
        r = errors.Rejection.from_bytes(raw)
        self.assertEqual((r.code, r.name, r.fields), (9, "revokedKey", {"signer": "hospital#1", "revokedAtHeight": 8}))
        self.assertEqual(r.message, "key hospital#1 was revoked at height 8; sign with an active key")
        self.assertEqual(r.raw, raw)
        self.assertEqual(len(errors.REJECTIONS), 43)
        with self.assertRaises(CodecError):
            errors.Rejection.from_bytes(bytes.fromhex("002c"))


# -- a synthetic certified chain ---------------------------------------------------------------------

CHAIN = "citychain-test"


def key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def public(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


VKEYS = [key(0x10 + i) for i in range(4)]
GENESIS_SET = ledger.ValidatorSet(sorted([ledger.Validator(public(k), 10, f"v{i}") for i, k in enumerate(VKEYS)], key=lambda v: v.public_key))


def certify(header: ledger.BlockHeader, signers: List[Ed25519PrivateKey]) -> CertifiedHeader:
    sigs = []
    for k in signers:
        vote = ledger.Vote(2, header.height, 0, header.hash, public(k), bytes(64))
        sigs.append((public(k), k.sign(vote.signing_message(CHAIN))))
    return CertifiedHeader(header, ledger.CommitCertificate(header.height, 0, header.hash, sorted(sigs)))


def change_tx(power: int) -> ledger.SignedTransaction:
    change = ledger.ValidatorChange(public(VKEYS[0]), power, "v0")
    body = ledger.TransactionBody(CHAIN, ledger.Signer("admin-a", 1), 9, 100, ledger.Operation("changeValidatorSet", {"changes": [change]}))
    sigs = [ledger.TransactionSignature(ledger.Signer(a, 1), key(s).sign(body.signing_message)) for a, s in (("admin-a", 1), ("admin-b", 2))]
    return ledger.SignedTransaction(body, sigs)


def chain(change_at: int, power: int, top: int) -> Dict[int, ProvenTransaction]:
    """Blocks 1…top; block ``change_at`` holds one changeValidatorSet (v0 → ``power``), in force
    from change_at + 2. Returns each block as a ProvenTransaction of its one transaction (or None)."""
    sets = {h: GENESIS_SET for h in range(1, top + 1)}
    changed = GENESIS_SET.applying([ledger.ValidatorChange(public(VKEYS[0]), power, "v0")])
    for h in range(change_at + 2, top + 1):
        sets[h] = changed
    out, previous = {}, bytes(32)
    tx = change_tx(power)
    for h in range(1, top + 1):
        txs = [tx] if h == change_at else []
        header = ledger.BlockHeader(CHAIN, h, 1700000000000 + h, previous, ledger.transactions_root(txs), len(txs), bytes(32), bytes(32),
                                    sets[h].hash, public(VKEYS[0]))
        out[h] = (certify(header, VKEYS), txs)
        previous = header.hash
    return out


GENESIS = {"chainID": CHAIN, "genesisTimeMillis": 1700000000000, "adminThreshold": 1, "agencies": [], "datasets": [],
           "validators": [{"publicKey": public(k).hex(), "power": 10, "name": f"v{i}"} for i, k in enumerate(VKEYS)]}


class TrustAcrossSetChanges(unittest.TestCase):
    def test_a_change_is_followed_from_the_genesis_and_an_omitted_or_forged_one_is_refused(self) -> None:
        blocks = chain(change_at=3, power=30, top=8)
        genesis = GENESIS
        header3, txs3 = blocks[3]
        item = ProvenTransaction(txs3[0], ledger.InclusionProof(0, 1, []), header3)
        answer = ValidatorChangesAnswer(blocks[8][0], None, [], [item], False)
        at8 = blocks[8][0]
        # With the genesis set alone, block 8 (signed by the changed set) does not verify.
        with self.assertRaises(ProofError):
            at8.verify(GENESIS_SET)
        sets = TrustedValidatorSets.from_genesis(genesis)
        with self.assertRaises(ProofError) as e:
            at8.verify(sets)
        self.assertEqual(e.exception.needs_sets_through, 8, "not known yet: refresh")
        sets.refresh(lambda q: answer)
        self.assertEqual((sets.checked_through, sets.known_through), (6, 8))
        at8.verify(sets)
        blocks[4][0].verify(sets)
        self.assertEqual(sets.validator_set_for_height(5).total_power, 60)
        self.assertEqual(sets.validator_set_for_height(4).total_power, 40)
        # The cache file round-trips.
        again = TrustedValidatorSets.from_bytes(sets.to_bytes())
        self.assertEqual(again.to_bytes(), sets.to_bytes())
        at8.verify(again)
        # A left-out change: the head names a set the client did not compute.
        left_out = TrustedValidatorSets.from_genesis(genesis)
        with self.assertRaises(ProofError):
            left_out.refresh(lambda q: ValidatorChangesAnswer(at8, None, [], [], False))
        self.assertEqual(left_out.checked_through, 0, "a refused answer leaves the sets unchanged")
        # A forged change (signed by the admins, but its block certified by too little power).
        forged = ProvenTransaction(txs3[0], ledger.InclusionProof(0, 1, []),
                                   certify(header3.header, VKEYS[:2]))
        with self.assertRaises(ProofError):
            TrustedValidatorSets.from_genesis(genesis).refresh(lambda q: ValidatorChangesAnswer(at8, None, [], [forged], False))

    def test_trust_from_a_block_by_height_and_hash(self) -> None:
        blocks = chain(change_at=5, power=30, top=9)
        h6, h5 = blocks[6][0], blocks[5][0]
        item = ProvenTransaction(blocks[5][1][0], ledger.InclusionProof(0, 1, []), h5)
        answer = ValidatorChangesAnswer(blocks[9][0], GENESIS_SET, [h5, h6], [item], False)
        sets = TrustedValidatorSets.trusting(6, h6.header.hash, answer)
        blocks[9][0].verify(sets)
        with self.assertRaises(ProofError) as e:
            blocks[4][0].verify(sets)
        self.assertEqual(e.exception.before_trusted_height, 6)
        with self.assertRaises(ProofError):
            TrustedValidatorSets.trusting(6, hashlib.sha256(b"another chain").digest(), answer)


class GenesisVector(unittest.TestCase):
    def test_the_canonical_genesis_and_its_hash(self) -> None:
        import json
        doc = document()
        m = re.search(r"##### Genesis vector \(test `SpecVectorTests.genesis`\)\n\n```json\n(.*?)```\n\nCanonical genesis \((\d+) bytes.*?```\n([0-9a-f\n]+)```\n\ngenesis hash `([0-9a-f]{64})`", doc, re.S)
        self.assertIsNotNone(m, "the genesis vector is in docs/PROTOCOL.md")
        g = json.loads(m.group(1))
        raw = bytes.fromhex(m.group(3).replace("\n", ""))
        self.assertEqual(len(raw), int(m.group(2)))
        self.assertEqual(ledger.genesis_bytes(g), raw)
        self.assertEqual(ledger.genesis_hash(g).hex(), m.group(4))
        self.assertEqual(TrustedValidatorSets.from_genesis(g).anchor_hash.hex(), m.group(4))


class SavedAnswers(unittest.TestCase):
    def test_kinds_without_proof_and_damaged_files_are_refused(self) -> None:
        with self.assertRaises(ProofError):
            verify_saved(saved_answer(0x0207, b"", b""), GENESIS_SET)
        with self.assertRaises((ProofError, CodecError)):
            verify_saved(saved_answer(0x0205, block_query(7), b"\x00"), GENESIS_SET)


if __name__ == "__main__":
    unittest.main()


# -- feeds and streams without a server ----------------------------------------------------------------

def proven(height: int, index: int) -> ProvenTransaction:
    """A change at (height, index) — not verifiable (no quorum), for the tracker's logic only."""
    tx = change_tx(10 + height)
    header = ledger.BlockHeader(CHAIN, height, 0, bytes(32), bytes(32), index + 1, bytes(32), bytes(32), bytes(32), bytes(32))
    proof = ledger.InclusionProof(index, index + 1, [bytes(32)] * ledger.path_length(index, index + 1))
    return ProvenTransaction(tx, proof, CertifiedHeader(header, ledger.CommitCertificate(height, 0, header.hash, [])))


class FakeFeedConnection:
    """Plays one connection's feed events, then fails as a dropped connection would (or ends)."""

    def __init__(self, events: list, then: str) -> None:
        self.events, self.then, self.requests, self.closed = events, then, [], False

    def stream(self, kind: int, payload: bytes):
        self.requests.append(FeedRequest.decode(Reader(payload)))
        for e in self.events:
            yield e.to_bytes()
        if self.then == "drop":
            raise OSError("connection reset by peer")

    def close(self) -> None:
        self.closed = True


class WatchExactlyOnce(unittest.TestCase):
    def test_duplicates_after_a_reconnect_are_dropped_and_each_change_comes_once(self) -> None:
        import tempfile
        from citychain.feed import Watch
        c3, c5, c8, c9 = proven(3, 0), proven(5, 1), proven(8, 0), proven(9, 2)
        conns = [FakeFeedConnection([FeedEvent(heartbeat=ChainCursor.end_of(2)), FeedEvent(change=c3), FeedEvent(change=c5)], "drop"),
                 FakeFeedConnection([FeedEvent(change=c5), FeedEvent(heartbeat=ChainCursor(5, 1)), FeedEvent(heartbeat=ChainCursor.end_of(7)),
                                     FeedEvent(change=c8), FeedEvent(end=FeedEnd("tooSlow", c8.cursor, "read faster"))], "end"),
                 FakeFeedConnection([FeedEvent(change=c9), FeedEvent(end=FeedEnd("accessRevoked", c9.cursor, "grant revoked"))], "end")]
        cursor_file = os.path.join(tempfile.mkdtemp(), "cursor")
        w = Watch(lambda attempt: conns[attempt], FeedRequest(["parking.sessions"], start=BEGINNING), None, cursor_file=cursor_file)
        got = []
        with self.assertRaises(errors.FeedEnded) as e:
            for change in w:
                got.append(change.cursor)
        self.assertEqual(e.exception.end.reason, "accessRevoked", "not resumable: raised")
        self.assertEqual(got, [c3.cursor, c5.cursor, c8.cursor, c9.cursor], "each change once, in chain order")
        self.assertEqual(w.duplicates_dropped, 2, "the re-sent change and the heartbeat at its cursor")
        self.assertEqual([str(c.requests[0].start) for c in conns], ["beginning", "5.1", "8.0"], "each reconnect resumes after the last cursor")
        with open(cursor_file, encoding="utf-8") as f:
            self.assertEqual(f.read().strip(), "9.2")
        self.assertTrue(all(c.closed for c in conns))
        resumed = Watch(lambda attempt: conns[0], FeedRequest(["parking.sessions"], start=BEGINNING), None, cursor_file=cursor_file)
        self.assertEqual(str(resumed.tracker.start), "9.2", "a cursor file wins over the request's start")


class WatchBounds(unittest.TestCase):
    def test_limit_and_until_height_stop_the_watch(self) -> None:
        from citychain.feed import Watch
        events = [FeedEvent(change=proven(3, 0)), FeedEvent(change=proven(4, 0)), FeedEvent(heartbeat=ChainCursor.end_of(6)),
                  FeedEvent(change=proven(7, 0))]
        limited = Watch(lambda attempt: FakeFeedConnection(events, "drop"), FeedRequest(["d"], start=BEGINNING), None, limit=2)
        self.assertEqual([c.cursor.height for c in limited], [3, 4])
        until = Watch(lambda attempt: FakeFeedConnection(events, "drop"), FeedRequest(["d"], start=BEGINNING), None, until_height=5)
        self.assertEqual([c.cursor.height for c in until], [3, 4], "stops at the heartbeat past block 5")
        self.assertEqual(until.cursor, ChainCursor.end_of(6))


class StreamsBesideRequests(unittest.TestCase):
    def test_a_unary_request_while_a_stream_is_open_keeps_the_streams_items(self) -> None:
        import itertools
        import socket
        import threading
        from citychain.wire import Connection, Frame, RESPONSE, STREAM_END, STREAM_ITEM, PING
        a, b = socket.socketpair()
        conn = Connection.__new__(Connection)
        conn._sock, conn._ids, conn._queued = a, itertools.count(1), {}

        def server() -> None:
            def read_frame() -> Frame:
                head = b.recv(4, socket.MSG_WAITALL)
                n = int.from_bytes(head, "big")
                return Frame.from_bytes(head + b.recv(n, socket.MSG_WAITALL))
            opened = read_frame()                                   # the stream's request (id 1)
            b.sendall(Frame(STREAM_ITEM, opened.kind, 1, b"one").to_bytes())
            asked = read_frame()                                    # a unary request (id 2)
            b.sendall(Frame(STREAM_ITEM, opened.kind, 1, b"two").to_bytes())     # before the response
            b.sendall(Frame(PING, 0, 0, b"p").to_bytes())
            b.sendall(Frame(RESPONSE, asked.kind, asked.request_id, b"answer").to_bytes())
            b.sendall(Frame(STREAM_ITEM, opened.kind, 1, b"three").to_bytes())
            b.sendall(Frame(STREAM_END, opened.kind, 1).to_bytes())
        t = threading.Thread(target=server)
        t.start()
        items = conn.stream(0x0209, b"")
        self.assertEqual(next(items), b"one")
        self.assertEqual(conn.request(0x020B, b"q"), b"answer")
        self.assertEqual(list(items), [b"two", b"three"])
        t.join(5)
        a.close(); b.close()


class ValidatorVectors(unittest.TestCase):
    vectors = rows(part("## Part 6. Validator messages"))

    def test_the_status_and_submit_response_the_client_decodes(self) -> None:
        from citychain.validator import TxStatus
        from citychain.encoding import decode_whole
        self.assertEqual(decode_whole(self.vectors["`TxStatus.pending`"], TxStatus.decode, "TxStatus").state, "pending")
        raw = [v for k, v in self.vectors.items() if k.startswith("`SubmitResponse(")][0]
        r = Reader(raw)
        tx_id, status = r.fixed(32, "id"), TxStatus.decode(r)
        r.finish("SubmitResponse")
        self.assertEqual((tx_id, status.state, status.commit), (H, "committed", (7, 2, H)))
