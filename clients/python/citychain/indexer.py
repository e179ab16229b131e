"""Indexer queries (docs/PROTOCOL.md part 7) with their answers verified against a trusted
validator set: record, history, dataset (with JSON field predicates, as ``citychain query dataset
--where`` takes them), transaction, block, audit and record-key shares; the indexer's status; and
the datasets and the grants that concern the reader (0x020E, ``Indexer.access``); saved answers
(``citychain query … --save``) verified offline.

``Indexer`` sends them over a ``wire.Connection`` to an indexer or to a gateway (which relays them,
part 9) and verifies every answer before returning it, following validator-set changes
(``trust.TrustedValidatorSets``) when given one. Refusals are the typed errors of
``citychain.errors``: ``Denied`` (forbidden), ``NotFound``, ``CatchingUp`` (unavailable),
``InvalidRequest``.
"""

from __future__ import annotations

import decimal
import json
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole
from .errors import ProofError
from .ledger import (InclusionProof, SignedTransaction, leaf_hash, merkle_root, read_agency,
                     read_dataset, read_subject)
from .proofs import (START, CertifiedHeader, ChainCursor, ChangesAnswer, ProvenTransaction, RecordAnswer, StateProof,
                     ValidatorSetSource, _string, state_key)
from .wire import Connection

RECORD, HISTORY, DATASET, TRANSACTION, BLOCK, AUDIT, STATUS = 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x0206, 0x0207
VALIDATOR_CHANGES, KEY_SHARES, ACCESS = 0x020B, 0x020D, 0x020E
MAX_ACCESS_ENTRIES = 4096
DATASET_NAMESPACE, GRANT_NAMESPACE = 3, 5
MAX_ITEMS = 500
MAX_KEY_SHARE_ITEMS = 32
MAX_PURPOSE_BYTES = 256
MAX_PREDICATES = 8
AUDIT_ANCHOR_NAMESPACE = 11


def _purpose(w: Writer, purpose: str) -> None:
    if len(purpose.encode()) > MAX_PURPOSE_BYTES:
        raise CodecError("overLimit", "purpose", f"{len(purpose.encode())} bytes is over the limit of {MAX_PURPOSE_BYTES}")
    w.string(purpose)


def _limit(value: int, most: int, f: str) -> int:
    if not 1 <= value <= most:
        raise CodecError("invalidValue", f, f"{value} is not in 1...{most}")
    return value


# -- field predicates ----------------------------------------------------------------------------------

OPS = {"=": 1, "!=": 2, "<": 3, "<=": 4, ">": 5, ">=": 6, "?": 7}
SYMBOLS = {v: k for k, v in OPS.items()}


@dataclass(frozen=True)
class FieldPredicate(Canonical):
    """A condition on a record's JSON payload: the value at ``path`` compared with ``value`` (JSON
    text; empty for ``exists``). Text form (the CLI's ``--where``): ``zone="B"``, ``minutes>=30``,
    ``owner.city!="X"``, ``paid?``."""
    path: Tuple[str, ...]
    op: int
    value: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.path) <= 8 or any(not s or len(s.encode()) > 64 for s in self.path):
            raise CodecError("invalidValue", "FieldPredicate.path", "1 to 8 segments of 1 to 64 bytes")
        if self.op not in SYMBOLS:
            raise CodecError("unknownTag", "FieldPredicate.op", f"unknown op {self.op}")
        if (self.op == 7) != (self.value == ""):
            raise CodecError("invalidValue", "FieldPredicate.value", "exists takes no value" if self.op == 7 else "a comparison needs a JSON value")
        if len(self.value.encode()) > 1024:
            raise CodecError("overLimit", "FieldPredicate.value", "over 1024 bytes")

    @staticmethod
    def parse(text: str) -> "FieldPredicate":
        """``path OP value`` (the leftmost operator splits; at one position the two-character one
        wins) or ``path?``; raises ValueError when it is not of that form. The value is sent as
        written: the indexer refuses one that is not a JSON value (``zone=B``) with invalidRequest."""
        best: Optional[Tuple[int, str]] = None
        for sym in ("<=", ">=", "!=", "=", "<", ">"):
            i = text.find(sym)
            if i < 0 or (best is not None and best[0] <= i):
                continue
            best = (i, sym)
        if best is not None:
            i, sym = best
            path, value = text[:i].split("."), text[i + len(sym):]
            if not path or any(not s for s in path) or not value:
                raise ValueError(f"'{text}' must be PATH OP VALUE with OP one of = != < <= > >= (or PATH? for exists), e.g. zone=\"B\"")
            return FieldPredicate(tuple(path), OPS[sym], value)
        if text.endswith("?"):
            path = text[:-1].split(".")
            if path and all(path):
                return FieldPredicate(tuple(path), 7, "")
        raise ValueError(f"'{text}' must be PATH OP VALUE with OP one of = != < <= > >= (or PATH? for exists), e.g. zone=\"B\"")

    def __str__(self) -> str:
        return ".".join(self.path) + SYMBOLS[self.op] + self.value

    def encode(self, w: Writer) -> None:
        w.array(list(self.path), lambda w, s: w.string(s))
        w.u8(self.op)
        w.string(self.value)

    @staticmethod
    def decode(r: Reader) -> "FieldPredicate":
        path = r.array(8, "FieldPredicate.path", lambda r: r.string(64, "FieldPredicate.path"))
        if not path or any(not s for s in path):
            raise CodecError("invalidValue", "FieldPredicate.path", "the path is empty, or a segment is")
        op = r.u8("FieldPredicate.op")
        if op not in SYMBOLS:
            raise CodecError("unknownTag", "FieldPredicate.op", f"unknown op {op}")
        return FieldPredicate(tuple(path), op, r.string(1024, "FieldPredicate.value"))

    def holds(self, payload: Optional[bytes]) -> bool:
        """Whether the predicate holds for ``payload`` (``evaluate`` is True)."""
        return self.evaluate(payload) is True

    def evaluate(self, payload: Optional[bytes]) -> Optional[bool]:
        """Whether the predicate holds for ``payload`` as the indexer evaluates it on PostgreSQL's
        jsonb (Services/Indexer/Library/Store/IndexStore+Reads.swift): ``=`` is containment of
        ``{"a":{"b":value}}`` in the payload; ``exists`` and the other comparisons take the value at
        the path (``#>``: object keys, array indexes) and compare only values of the same JSON
        type. None when it cannot be decided here: an ordering of strings (the database's
        collation decides), of objects or of arrays. Payloads that are not JSON never match."""
        if payload is None:
            return False
        try:
            doc = json.loads(payload, parse_float=decimal.Decimal)
        except (ValueError, UnicodeDecodeError):
            return False
        if self.op == 1:
            try:
                want = json.loads(self.value, parse_float=decimal.Decimal)
            except ValueError:
                return False
            wrapper: Any = want
            for seg in reversed(self.path):
                wrapper = {seg: wrapper}
            return _contains(doc, wrapper, top=True)
        node: Any = doc
        for seg in self.path:
            if isinstance(node, dict) and seg in node:
                node = node[seg]
            elif isinstance(node, list) and _index(seg, len(node)) is not None:
                node = node[_index(seg, len(node))]  # type: ignore[index]
            else:
                return False
        if self.op == 7:
            return True
        try:
            want = json.loads(self.value, parse_float=decimal.Decimal)
        except ValueError:
            return False
        if _json_type(node) != _json_type(want):
            return False
        kind = _json_type(node)
        if self.op == 2:
            if kind in ("string", "object", "array"):
                return None if kind != "string" else bool(node != want)
            return bool(node != want)
        if kind == "null":
            return self.op in (4, 6)
        if kind not in ("number", "boolean"):
            return None
        return {3: node < want, 4: node <= want, 5: node > want, 6: node >= want}[self.op]


def _index(seg: str, n: int) -> Optional[int]:
    try:
        i = int(seg)
    except ValueError:
        return None
    i = i + n if i < 0 else i
    return i if 0 <= i < n else None


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float, decimal.Decimal)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _contains(a: Any, b: Any, top: bool = False) -> bool:
    """PostgreSQL's jsonb containment ``a @> b``."""
    if isinstance(b, dict):
        return isinstance(a, dict) and all(k in a and _contains(a[k], v) for k, v in b.items())
    if isinstance(b, list):
        return isinstance(a, list) and all(any(_contains(x, y) for x in a) for y in b)
    if isinstance(a, list) and top:
        return any(_json_type(x) == _json_type(b) and x == b for x in a)
    return _json_type(a) == _json_type(b) and a == b


# -- queries ---------------------------------------------------------------------------------------------

def record_query(dataset: str, subject: str, purpose: str = "") -> bytes:
    w = Writer()
    w.string(dataset); w.string(subject); _purpose(w, purpose)
    return w.bytes


def history_query(dataset: str, subject: str, after_version: int = 0, limit: int = 100, purpose: str = "") -> bytes:
    w = Writer()
    w.string(dataset); w.string(subject); w.u64(after_version); w.u32(_limit(limit, MAX_ITEMS, "HistoryQuery.limit")); _purpose(w, purpose)
    return w.bytes


@dataclass(frozen=True)
class DatasetQuery(Canonical):
    """Changes of a dataset in chain order strictly after ``after``, with block time in
    ``[from_time_ms, to_time_ms)`` (0: no upper bound), written by ``writer`` when given, for which
    every predicate holds."""
    dataset: str
    after: ChainCursor = START
    from_time_ms: int = 0
    to_time_ms: int = 0
    writer: Optional[str] = None
    predicates: Tuple[FieldPredicate, ...] = ()
    limit: int = 100
    purpose: str = ""

    def encode(self, w: Writer) -> None:
        if len(self.predicates) > MAX_PREDICATES:
            raise CodecError("overLimit", "DatasetQuery.predicates", f"{len(self.predicates)} predicates; at most {MAX_PREDICATES}")
        w.string(self.dataset); self.after.encode(w); w.u64(self.from_time_ms); w.u64(self.to_time_ms)
        w.optional(self.writer, lambda w, a: w.string(a))
        w.array(list(self.predicates), lambda w, p: p.encode(w))
        w.u32(_limit(self.limit, MAX_ITEMS, "DatasetQuery.limit")); _purpose(w, self.purpose)

    @staticmethod
    def decode(r: Reader) -> "DatasetQuery":
        return DatasetQuery(read_dataset(r, "DatasetQuery.dataset"), ChainCursor.decode(r), r.u64("DatasetQuery.fromTimeMillis"),
                            r.u64("DatasetQuery.toTimeMillis"), r.optional("DatasetQuery.writer", lambda r: read_agency(r, "DatasetQuery.writer")),
                            tuple(r.array(MAX_PREDICATES, "DatasetQuery.predicates", FieldPredicate.decode)),
                            _limit(r.u32("DatasetQuery.limit"), MAX_ITEMS, "DatasetQuery.limit"), r.string(MAX_PURPOSE_BYTES, "DatasetQuery.purpose"))

    @staticmethod
    def from_bytes(data: bytes) -> "DatasetQuery":
        return decode_whole(data, DatasetQuery.decode, "DatasetQuery")


def transaction_query(tx_id: bytes, purpose: str = "") -> bytes:
    w = Writer()
    w.fixed(tx_id); _purpose(w, purpose)
    return w.bytes


def block_query(height: int) -> bytes:
    if height < 1:
        raise CodecError("invalidValue", "BlockQuery.height", "heights start at 1")
    w = Writer()
    w.u64(height)
    return w.bytes


def audit_query(dataset: str, subject: str, after_sequence: int = 0, limit: int = 100) -> bytes:
    w = Writer()
    w.string(dataset); w.string(subject); w.u64(after_sequence); w.u32(_limit(limit, MAX_ITEMS, "AuditQuery.limit"))
    return w.bytes


def key_shares_query(dataset: str, after: ChainCursor = START, limit: int = MAX_KEY_SHARE_ITEMS, purpose: str = "") -> bytes:
    w = Writer()
    w.string(dataset); after.encode(w); w.u32(_limit(limit, MAX_KEY_SHARE_ITEMS, "KeySharesQuery.limit")); _purpose(w, purpose)
    return w.bytes


# -- answers ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TransactionAnswer:
    """One transaction, proven in its certified block, as of ``at``."""
    at: CertifiedHeader
    item: ProvenTransaction

    @staticmethod
    def from_bytes(data: bytes) -> "TransactionAnswer":
        return decode_whole(data, lambda r: TransactionAnswer(CertifiedHeader.decode(r), ProvenTransaction.decode(r)), "TransactionAnswer")

    def verify(self, tx_id: bytes, sets: ValidatorSetSource) -> None:
        """Raises ProofError unless ``item`` is transaction ``tx_id``, proven at or below ``at``."""
        self.at.verify(sets)
        self.item.verify(sets)
        if self.item.transaction.id != tx_id:
            raise ProofError(f"asked for {tx_id.hex()} but the answer proves {self.item.transaction.id.hex()}")
        if self.item.height > self.at.height:
            raise ProofError(f"the transaction's block {self.item.height} is above the answer's height {self.at.height}")


WITHHELD = "withheld"


@dataclass(frozen=True)
class BlockEntry:
    """One position of a block: the transaction, or (withheld from this reader) its leaf hash."""
    transaction: Optional[SignedTransaction]
    withheld_leaf_hash: Optional[bytes] = None

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.transaction.leaf_bytes()) if self.transaction is not None else self.withheld_leaf_hash  # type: ignore[return-value]

    @staticmethod
    def decode(r: Reader) -> "BlockEntry":
        tag = r.u8("BlockAnswer.Entry")
        if tag == 0:
            return BlockEntry(SignedTransaction.decode(r))
        if tag == 1:
            return BlockEntry(None, r.fixed(32, "BlockAnswer.Entry.leafHash"))
        raise CodecError("unknownTag", "BlockAnswer.Entry", f"unknown tag {tag}")

    def encode(self, w: Writer) -> None:
        if self.transaction is not None:
            w.u8(0); w.fixed(self.transaction.to_bytes())
        else:
            w.u8(1); w.fixed(self.withheld_leaf_hash or b"")


@dataclass(frozen=True)
class BlockAnswer:
    """A certified block as one reader may see it, every position in block order."""
    header: CertifiedHeader
    entries: List[BlockEntry]

    @staticmethod
    def from_bytes(data: bytes) -> "BlockAnswer":
        return decode_whole(data, lambda r: BlockAnswer(CertifiedHeader.decode(r), r.array(10000, "BlockAnswer.entries", BlockEntry.decode)),
                            "BlockAnswer")

    @property
    def withheld(self) -> int:
        return sum(1 for e in self.entries if e.transaction is None)

    def verify(self, height: int, sets: ValidatorSetSource) -> None:
        """Raises ProofError unless the header is certified, of ``height``, and the entries are exactly its transactions."""
        self.header.verify(sets)
        if self.header.height != height:
            raise ProofError(f"asked for block {height} but the answer is block {self.header.height}")
        if len(self.entries) != self.header.header.transaction_count or \
                merkle_root([e.leaf_hash for e in self.entries]) != self.header.header.transactions_root:
            raise ProofError(f"the block's {len(self.entries)} entries do not hash to its certified transactions root")


@dataclass(frozen=True)
class DisclosureRecord(Canonical):
    """One read of internal or restricted data, in the indexer agency's audit trail."""
    sequence: int
    reader: str
    dataset: str
    subject: Optional[str]
    time_ms: int
    purpose: str
    query_kind: int
    height: int

    def encode(self, w: Writer) -> None:
        w.u64(self.sequence); w.string(self.reader); w.string(self.dataset); w.optional(self.subject, lambda w, s: w.string(s))
        w.u64(self.time_ms); w.string(self.purpose); w.u16(self.query_kind); w.u64(self.height)

    @staticmethod
    def decode(r: Reader) -> "DisclosureRecord":
        return DisclosureRecord(r.u64("DisclosureRecord.sequence"), read_agency(r, "DisclosureRecord.reader"), read_dataset(r, "DisclosureRecord.dataset"),
                                r.optional("DisclosureRecord.subject", lambda r: read_subject(r, "DisclosureRecord.subject")),
                                r.u64("DisclosureRecord.timeMillis"), r.string(MAX_PURPOSE_BYTES, "DisclosureRecord.purpose"),
                                r.u16("DisclosureRecord.queryKind"), r.u64("DisclosureRecord.height"))

    @staticmethod
    def from_bytes(data: bytes) -> "DisclosureRecord":
        return decode_whole(data, DisclosureRecord.decode, "DisclosureRecord")


@dataclass(frozen=True)
class AuditAnchorEntry(Canonical):
    first_sequence: int
    last_sequence: int
    record_count: int
    merkle_root: bytes
    height: int
    transaction_id: bytes

    def encode(self, w: Writer) -> None:
        w.u64(self.first_sequence); w.u64(self.last_sequence); w.u64(self.record_count); w.fixed(self.merkle_root)
        w.u64(self.height); w.fixed(self.transaction_id)

    @staticmethod
    def decode(r: Reader) -> "AuditAnchorEntry":
        return AuditAnchorEntry(r.u64("AuditAnchorEntry.firstSequence"), r.u64("AuditAnchorEntry.lastSequence"), r.u64("AuditAnchorEntry.recordCount"),
                                r.fixed(32, "AuditAnchorEntry.merkleRoot"), r.u64("AuditAnchorEntry.height"), r.fixed(32, "AuditAnchorEntry.transactionID"))


def audit_anchor_key(agency: str, first_sequence: int) -> bytes:
    w = Writer()
    w.u64(first_sequence)
    return state_key(AUDIT_ANCHOR_NAMESPACE, _string(agency), w.bytes)


@dataclass(frozen=True)
class AuditItem:
    record: DisclosureRecord
    anchor: Optional[Tuple[AuditAnchorEntry, InclusionProof, StateProof]]

    @staticmethod
    def decode(r: Reader) -> "AuditItem":
        return AuditItem(DisclosureRecord.decode(r),
                         r.optional("AuditItem.anchor", lambda r: (AuditAnchorEntry.decode(r), InclusionProof.decode(r), StateProof.decode(r))))


@dataclass(frozen=True)
class AuditAnswer:
    """The disclosure records of a subject in sequence order, as of ``at``; anchored ones carry
    proofs against ``at``'s state root under ``anchoring_agency``'s anchors."""
    at: CertifiedHeader
    anchoring_agency: str
    items: List[AuditItem]
    more: bool

    @staticmethod
    def from_bytes(data: bytes) -> "AuditAnswer":
        return decode_whole(data, lambda r: AuditAnswer(CertifiedHeader.decode(r), read_agency(r, "AuditAnswer.anchoringAgency"),
                                                        r.array(MAX_ITEMS, "AuditAnswer.items", AuditItem.decode), r.bool("AuditAnswer.more")),
                            "AuditAnswer")

    def verify(self, dataset: str, subject: str, sets: ValidatorSetSource) -> int:
        """Raises ProofError unless every item is about dataset/subject and every anchored one is
        in its anchored batch, on chain under ``at``'s state root; returns how many are anchored
        (the others are only the indexer's word until their batch is anchored)."""
        self.at.verify(sets)
        anchored = 0
        for item in self.items:
            if item.record.dataset != dataset or item.record.subject != subject:
                raise ProofError(f"disclosure {item.record.sequence} is about another subject")
            if item.anchor is None:
                continue
            e, inclusion, state = item.anchor
            if not e.first_sequence <= item.record.sequence <= max(e.first_sequence, e.last_sequence):
                raise ProofError(f"disclosure {item.record.sequence} is outside its batch {e.first_sequence}...{e.last_sequence}")
            if inclusion.leaf_count != e.record_count or not inclusion.verify(item.record.to_bytes(), e.merkle_root):
                raise ProofError(f"disclosure {item.record.sequence} does not hash to its batch's anchored root: the trail was edited")
            if not state.verify(audit_anchor_key(self.anchoring_agency, e.first_sequence), e.to_bytes(), self.at.header.state_root):
                raise ProofError(f"batch {e.first_sequence}...{e.last_sequence} is not anchored on chain under the state root of block {self.at.height}")
            anchored += 1
        return anchored


def verify_key_shares(answer: ChangesAnswer, dataset: str, grantee: Optional[str], sets: ValidatorSetSource) -> None:
    """Raises ProofError unless every item is proven, at or below ``at``, in strict chain order,
    and a ``shareRecordKeys`` of ``dataset`` to ``grantee`` (None: to one grantee, whichever)."""
    answer.at.verify(sets)
    last: Optional[ChainCursor] = None
    for item in answer.items:
        item.verify(sets)
        if item.height > answer.at.height:
            raise ProofError(f"item {item.cursor} is above the answer's height {answer.at.height}")
        if last is not None and not last < item.cursor:
            raise ProofError(f"items are not in chain order at {item.cursor}")
        last = item.cursor
        op = item.transaction.body.operation
        if op.name != "shareRecordKeys" or op.fields["dataset"] != dataset or (grantee is not None and op.fields["grantee"] != grantee):
            raise ProofError(f"transaction {item.transaction.id.hex()} is not a shareRecordKeys of {dataset} to {grantee or 'the reader'}")
        grantee = op.fields["grantee"]


@dataclass(frozen=True)
class IndexerStatus:
    indexed_height: int
    indexed_hash: bytes
    proven_height: int
    chain_height: int
    source: str

    @staticmethod
    def from_bytes(data: bytes) -> "IndexerStatus":
        return decode_whole(data, lambda r: IndexerStatus(r.u64("IndexerStatus.indexedHeight"), r.fixed(32, "IndexerStatus.indexedHash"),
                                                          r.u64("IndexerStatus.provenHeight"), r.u64("IndexerStatus.chainHeight"),
                                                          r.string(256, "IndexerStatus.source")), "IndexerStatus")


# -- datasets and grants (0x020E) ------------------------------------------------------------------------------

SENSITIVITIES = ("public", "internal", "restricted")


@dataclass(frozen=True)
class DatasetEntry(Canonical):
    """State entry ``dataset``: ``DatasetID id, AgencyID owner, u8 sensitivity, string schema,
    array<AgencyID> writers (sorted), u64 createdAtHeight``."""
    id: str
    owner: str
    sensitivity: str
    schema: str
    writers: List[str]
    created_at_height: int

    def encode(self, w: Writer) -> None:
        w.string(self.id); w.string(self.owner); w.u8(SENSITIVITIES.index(self.sensitivity)); w.string(self.schema)
        w.array(self.writers, lambda w, a: w.string(a))
        w.u64(self.created_at_height)

    @staticmethod
    def decode(r: Reader) -> "DatasetEntry":
        d, owner = read_dataset(r, "DatasetEntry.id"), read_agency(r, "DatasetEntry.owner")
        s = r.u8("DatasetEntry.sensitivity")
        if s >= len(SENSITIVITIES):
            raise CodecError("unknownTag", f"DatasetEntry.sensitivity {s}")
        schema = r.string(128, "DatasetEntry.schema")
        writers = r.array(64, "DatasetEntry.writers", lambda r: read_agency(r, "DatasetEntry.writers"))
        return DatasetEntry(d, owner, SENSITIVITIES[s], schema, writers, r.u64("DatasetEntry.createdAtHeight"))


@dataclass(frozen=True)
class GrantEntry(Canonical):
    """State entry ``grant``: ``u64 expiresAtHeight, u64 expiresAtMillis (0: none), string purpose, u64 grantedAtHeight``."""
    expires_at_height: int
    expires_at_millis: int
    purpose: str
    granted_at_height: int

    def encode(self, w: Writer) -> None:
        w.u64(self.expires_at_height); w.u64(self.expires_at_millis); w.string(self.purpose); w.u64(self.granted_at_height)

    @staticmethod
    def decode(r: Reader) -> "GrantEntry":
        return GrantEntry(r.u64("GrantEntry.expiresAtHeight"), r.u64("GrantEntry.expiresAtMillis"), r.string(MAX_PURPOSE_BYTES, "GrantEntry.purpose"),
                          r.u64("GrantEntry.grantedAtHeight"))

    def is_live(self, height: int, time_millis: int) -> bool:
        return height <= self.expires_at_height and (self.expires_at_millis == 0 or time_millis < self.expires_at_millis)


@dataclass(frozen=True)
class ProvenGrant:
    dataset: str
    grantee: str
    entry: GrantEntry
    proof: StateProof


@dataclass(frozen=True)
class AccessAnswer:
    """The chain's datasets and the grants that concern the reader (given on datasets it owns, or
    held by it), at ``at``, each proven under its state root (not proven complete)."""
    at: CertifiedHeader
    datasets: List[Tuple[DatasetEntry, StateProof]]
    grants: List[ProvenGrant]

    @staticmethod
    def from_bytes(data: bytes) -> "AccessAnswer":
        def grant(r: Reader) -> ProvenGrant:
            return ProvenGrant(read_dataset(r, "ProvenGrant.dataset"), read_agency(r, "ProvenGrant.grantee"), GrantEntry.decode(r), StateProof.decode(r))
        return decode_whole(data, lambda r: AccessAnswer(
            CertifiedHeader.decode(r),
            r.array(MAX_ACCESS_ENTRIES, "AccessAnswer.datasets", lambda r: (DatasetEntry.decode(r), StateProof.decode(r))),
            r.array(MAX_ACCESS_ENTRIES, "AccessAnswer.grants", grant)), "AccessAnswer")

    def verify(self, sets: ValidatorSetSource) -> None:
        """Raises ProofError unless ``at`` is certified, the lists are in strict order and every
        entry is the one under ``at``'s state root (entry ``dataset``, tag 3; ``grant``, tag 5)."""
        self.at.verify(sets)
        root = self.at.header.state_root
        last: Optional[str] = None
        for d, proof in self.datasets:
            if last is not None and not last < d.id:
                raise ProofError(f"the datasets are not in strictly increasing id order at '{d.id}'")
            last = d.id
            if not proof.verify(state_key(DATASET_NAMESPACE, _string(d.id)), d.to_bytes(), root):
                raise ProofError(f"the definition of dataset '{d.id}' is not the one under the state root of block {self.at.height}")
        previous: Optional[Tuple[str, str]] = None
        for g in self.grants:
            if previous is not None and not previous < (g.dataset, g.grantee):
                raise ProofError(f"the grants are not in strictly increasing (dataset, grantee) order at '{g.dataset}'/'{g.grantee}'")
            previous = (g.dataset, g.grantee)
            if not g.proof.verify(state_key(GRANT_NAMESPACE, _string(g.dataset), _string(g.grantee)), g.entry.to_bytes(), root):
                raise ProofError(f"the grant of '{g.dataset}' to '{g.grantee}' is not the one under the state root of block {self.at.height}")

    def can_read(self, agency: str, d: DatasetEntry) -> bool:
        """The ledger's read rule at ``at``'s height and block time."""
        if d.sensitivity == "public" or d.owner == agency or agency in d.writers:
            return True
        return any(g.dataset == d.id and g.grantee == agency and g.entry.is_live(self.at.height, self.at.header.time_millis) for g in self.grants)


# -- a client that verifies what it returns ------------------------------------------------------------------

class Indexer:
    """Queries over ``conn`` (to an indexer, or a gateway that relays them), each answer verified
    before it is returned against ``sets``: a fixed ``ValidatorSet``, or ``TrustedValidatorSets``,
    which is refreshed over the same connection (0x020B) whenever an answer is newer than the sets
    it knows. A refused answer raises ProofError; a refused query its typed ``WireError``."""

    def __init__(self, conn: Connection, sets: ValidatorSetSource) -> None:
        self.conn = conn
        self.sets = sets
        self.last: Optional[Tuple[int, bytes, bytes]] = None

    def _ask(self, kind: int, query: bytes) -> bytes:
        answer = self.conn.request(kind, query)
        self.last = (kind, query, answer)
        return answer

    def saved(self) -> bytes:
        """The last query and its answer as a saved answer file (``citychain query --save``'s
        format), for ``verify_saved`` or ``citychain verify``."""
        if self.last is None:
            raise ValueError("no query asked yet")
        return saved_answer(*self.last)

    def fetch_validator_changes(self, q: Any) -> Any:
        from .trust import ValidatorChangesAnswer
        return ValidatorChangesAnswer.from_bytes(self.conn.request(VALIDATOR_CHANGES, q.to_bytes()))

    def refresh(self) -> None:
        """Brings ``TrustedValidatorSets`` up to the server's head (nothing for a fixed set)."""
        from .trust import TrustedValidatorSets
        if isinstance(self.sets, TrustedValidatorSets):
            self.sets.refresh(self.fetch_validator_changes)

    def refresh_through(self, height: int, attempts: int = 8) -> None:
        """Refreshes until the sets are known through ``height`` (a receipt's block may be newer
        than what the indexer behind a gateway has proven yet): at most ``attempts`` tries."""
        from .trust import TrustedValidatorSets
        if not isinstance(self.sets, TrustedValidatorSets):
            return
        for attempt in range(1, attempts + 1):
            self.sets.refresh(self.fetch_validator_changes)
            if self.sets.known_through >= height:
                return
            time.sleep(0.25 * attempt)   # not synchronisation in a test: a real indexer catching up with the chain (bounded: attempts)

    def checked(self, check: Any) -> Any:
        """Runs ``check(sets)``; when it needs validator sets newer than known, refreshes through
        that height and runs it again."""
        try:
            return check(self.sets)
        except ProofError as e:
            if e.needs_sets_through is None:
                raise
            self.refresh_through(e.needs_sets_through)
            return check(self.sets)

    def record(self, dataset: str, subject: str, purpose: str = "") -> RecordAnswer:
        a = RecordAnswer.from_bytes(self._ask(RECORD, record_query(dataset, subject, purpose)))
        self.checked(lambda s: a.verify(dataset, subject, s))
        return a

    def history(self, dataset: str, subject: str, after_version: int = 0, limit: int = 100, purpose: str = "") -> ChangesAnswer:
        a = ChangesAnswer.from_bytes(self._ask(HISTORY, history_query(dataset, subject, after_version, limit, purpose)))
        self.checked(lambda s: a.verify(dataset, subject, s))
        return a

    def dataset(self, q: DatasetQuery) -> ChangesAnswer:
        """One page of a dataset query, verified; the filters are checked on the items too (the
        certified block time, the writer, the predicates on readable JSON payloads), since the
        proofs do not cover them."""
        a = ChangesAnswer.from_bytes(self._ask(DATASET, q.to_bytes()))
        self.checked(lambda s: a.verify(q.dataset, None, s))
        for item in a.items:
            if item.cursor <= q.after:
                raise ProofError(f"item {item.cursor} is not after {q.after}")
            t = item.header.header.time_millis
            if t < q.from_time_ms or (q.to_time_ms and t >= q.to_time_ms):
                raise ProofError(f"item {item.cursor}'s block time {t} is outside [{q.from_time_ms}, {q.to_time_ms or 'no bound'})")
            if q.writer is not None and item.transaction.body.signer.agency != q.writer:
                raise ProofError(f"item {item.cursor} was written by {item.transaction.body.signer.agency}, not {q.writer}")
            p = item.transaction.payload
            if item.transaction.body.operation.name == "putRecord" and isinstance(p, bytes):
                failing = [pr for pr in q.predicates if pr.evaluate(p) is False]
                if failing:
                    raise ProofError(f"item {item.cursor} does not match {failing[0]}: the indexer answered a change the query excludes")
        return a

    def dataset_all(self, q: DatasetQuery, pages: int = 100) -> List[ProvenTransaction]:
        """Every change a dataset query matches, page after page (at most ``pages`` pages)."""
        out: List[ProvenTransaction] = []
        after = q.after
        for _ in range(pages):
            page = self.dataset(DatasetQuery(q.dataset, after, q.from_time_ms, q.to_time_ms, q.writer, q.predicates, q.limit, q.purpose))
            out += page.items
            if not page.more or not page.items:
                return out
            after = page.items[-1].cursor
        raise ProofError(f"more than {pages} pages: narrow the query")

    def transaction(self, tx_id: bytes, purpose: str = "") -> TransactionAnswer:
        a = TransactionAnswer.from_bytes(self._ask(TRANSACTION, transaction_query(tx_id, purpose)))
        self.checked(lambda s: a.verify(tx_id, s))
        return a

    def block(self, height: int) -> BlockAnswer:
        a = BlockAnswer.from_bytes(self._ask(BLOCK, block_query(height)))
        self.checked(lambda s: a.verify(height, s))
        return a

    def audit(self, dataset: str, subject: str, after_sequence: int = 0, limit: int = 100) -> Tuple[AuditAnswer, int]:
        """The audit trail of one subject (dataset owners and admins): the answer and how many items are anchored."""
        a = AuditAnswer.from_bytes(self._ask(AUDIT, audit_query(dataset, subject, after_sequence, limit)))
        return a, self.checked(lambda s: a.verify(dataset, subject, s))

    def key_shares(self, dataset: str, grantee: str, after: ChainCursor = START, limit: int = MAX_KEY_SHARE_ITEMS, purpose: str = "") -> ChangesAnswer:
        """The ``shareRecordKeys`` transactions of ``dataset`` to the reader (``grantee``), proven."""
        a = ChangesAnswer.from_bytes(self._ask(KEY_SHARES, key_shares_query(dataset, after, limit, purpose)), max_items=MAX_KEY_SHARE_ITEMS)
        self.checked(lambda s: verify_key_shares(a, dataset, grantee, s))
        return a

    def access(self) -> AccessAnswer:
        """The datasets of the chain and the grants that concern this agency, proven (0x020E)."""
        a = AccessAnswer.from_bytes(self._ask(ACCESS, b""))
        self.checked(lambda s: a.verify(s))
        return a

    def status(self) -> IndexerStatus:
        return IndexerStatus.from_bytes(self.conn.request(STATUS))

    def wait_until(self, height: int, seconds: float = 30.0) -> IndexerStatus:
        """Polls the indexer's status until it has proven ``height`` (answers reflect the proven
        height: a write is readable once it is proven); raises ``CatchingUp`` after ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            s = self.status()
            if s.proven_height >= height:
                return s
            if time.monotonic() > deadline:
                from .errors import WireError
                raise WireError(10, f"the indexer has proven block {s.proven_height}, not yet {height}, after {seconds} s")
            time.sleep(0.1)   # polling the indexer's progress (bounded by the deadline above)


# -- saved answers ------------------------------------------------------------------------------------------

SAVED_MAGIC = b"CCANSW01"


def saved_answer(kind: int, query: bytes, answer: bytes) -> bytes:
    """The bytes of a saved answer file: ``"CCANSW01" | u16 kind | bytes query | bytes answer``."""
    w = Writer()
    w.fixed(SAVED_MAGIC); w.u16(kind); w.bytes_(query); w.bytes_(answer)
    return w.bytes


def verify_saved(data: bytes, sets: ValidatorSetSource) -> str:
    """Verifies a saved answer file (``citychain query … --save``, ``citychain submit … --save``)
    offline against ``sets``: record, history, dataset, transaction, block, audit, key shares and
    receipts. Returns what it proves; raises ProofError (or CodecError) otherwise."""
    if data[:8] != SAVED_MAGIC:
        raise ProofError("not a saved answer (no CCANSW01 at its start)")
    r = Reader(data[8:])
    kind = r.u16("SavedAnswer.kind")
    query = r.bytes_(8 << 20, "SavedAnswer.query")
    answer = r.bytes_(8 << 20, "SavedAnswer.answer")
    r.finish("SavedAnswer")
    q = Reader(query)
    if kind == RECORD:
        dataset, subject = read_dataset(q, "RecordQuery.dataset"), read_subject(q, "RecordQuery.subject")
        q.string(MAX_PURPOSE_BYTES, "RecordQuery.purpose"); q.finish("RecordQuery")
        a = RecordAnswer.from_bytes(answer)
        a.verify(dataset, subject, sets)
        state = "absent" if a.entry is None else ("erased" if a.entry.erased else "deleted" if a.entry.status else f"version {a.entry.version}")
        return f"record {dataset}/{subject} at block {a.at.header.height}: {state}"
    if kind == HISTORY:
        dataset, subject = read_dataset(q, "HistoryQuery.dataset"), read_subject(q, "HistoryQuery.subject")
        c = ChangesAnswer.from_bytes(answer)
        c.verify(dataset, subject, sets)
        return f"history of {dataset}/{subject}: {len(c.items)} changes at block {c.at.header.height}"
    if kind == DATASET:
        dq = DatasetQuery.from_bytes(query)
        c = ChangesAnswer.from_bytes(answer)
        c.verify(dq.dataset, None, sets)
        return f"{len(c.items)} changes of {dq.dataset}, each in its certified block, as of block {c.at.height}"
    if kind == TRANSACTION:
        tx_id = q.fixed(32, "TransactionQuery.id")
        t = TransactionAnswer.from_bytes(answer)
        t.verify(tx_id, sets)
        return f"transaction {tx_id.hex()} is at {t.item.cursor} in certified block {t.item.height}"
    if kind == BLOCK:
        height = q.u64("BlockQuery.height"); q.finish("BlockQuery")
        b = BlockAnswer.from_bytes(answer)
        b.verify(height, sets)
        return f"block {height} is certified and holds {len(b.entries)} transactions ({b.withheld} withheld from this reader)"
    if kind == AUDIT:
        dataset, subject = read_dataset(q, "AuditQuery.dataset"), read_subject(q, "AuditQuery.subject")
        au = AuditAnswer.from_bytes(answer)
        anchored = au.verify(dataset, subject, sets)
        return f"{len(au.items)} disclosure records of {dataset}/{subject}, {anchored} of them anchored on chain as of block {au.at.height}"
    if kind == KEY_SHARES:
        dataset = read_dataset(q, "KeySharesQuery.dataset")
        c = ChangesAnswer.from_bytes(answer, max_items=MAX_KEY_SHARE_ITEMS)
        verify_key_shares(c, dataset, None, sets)
        return f"{len(c.items)} record-key shares of {dataset}, each in its certified block, as of block {c.at.height}"
    if kind == ACCESS:
        ac = AccessAnswer.from_bytes(answer)
        ac.verify(sets)
        return f"{len(ac.datasets)} datasets and {len(ac.grants)} grants, each the entry under the state root of certified block {ac.at.height}"
    if kind in (0x0301, 0x0302):
        from .gateway import GatewayOutcome
        tx_id = q.fixed(32, "TxStatusRequest.id")
        receipt = ProvenTransaction.from_bytes(answer)
        GatewayOutcome(tx_id, "committed", receipt=receipt).verify(tx_id, sets)
        return f"receipt of {tx_id.hex()} at block {receipt.header.header.height}"
    raise ProofError(f"kind 0x{kind:04x} carries no proof to verify")
