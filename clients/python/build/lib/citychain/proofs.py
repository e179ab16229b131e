"""State proofs (docs/protocol/merkle.md, "State tree"), state keys and record entries
(docs/protocol/ledger.md, "State"), and the indexer's record answer (part 7), verified against a
validator set the reader trusts: the certified header, the state proof under its state root, and
the transaction that wrote the version, in its block.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import List, Optional

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole
from .ledger import (BlockHeader, CertificateError, CommitCertificate, InclusionProof, Signer, SignedTransaction,
                     ValidatorSet, verify_certificate, verify_inclusion)

STATE_DOMAIN = "citychain/state/v1"
RECORD_NAMESPACE = 4


class ProofError(Exception):
    """An answer that does not prove what it claims: what failed."""


def state_key(namespace: int, *fields: bytes) -> bytes:
    """SHA-256 of the state domain, the namespace byte and the key fields' canonical encodings."""
    w = Writer()
    w.string(STATE_DOMAIN)
    w.u8(namespace)
    for f in fields:
        w.fixed(f)
    return hashlib.sha256(w.bytes).digest()


def _string(s: str) -> bytes:
    w = Writer()
    w.string(s)
    return w.bytes


def record_key(dataset: str, subject: str) -> bytes:
    return state_key(RECORD_NAMESPACE, _string(dataset), _string(subject))


def _bit(key: bytes, i: int) -> int:
    return (key[i // 8] >> (7 - i % 8)) & 1


@dataclass(frozen=True)
class StateProof(Canonical):
    leaf: Optional[tuple]          # (key, H(value)) of the terminal leaf, or None for an empty subtree
    siblings: List[bytes]

    def encode(self, w: Writer) -> None:
        if self.leaf is None:
            w.u8(0)
        else:
            w.u8(1)
            w.fixed(self.leaf[0])
            w.fixed(self.leaf[1])
        w.array(self.siblings, lambda w, s: w.fixed(s))

    @staticmethod
    def decode(r: Reader) -> "StateProof":
        tag = r.u8("StateProof.terminal")
        if tag not in (0, 1):
            raise CodecError("unknownTag", "StateProof.terminal", f"unknown tag {tag}")
        leaf = (r.fixed(32, "StateProof.key"), r.fixed(32, "StateProof.valueHash")) if tag == 1 else None
        return StateProof(leaf, r.array(256, "StateProof.siblings", lambda r: r.fixed(32, "StateProof.sibling")))

    @staticmethod
    def from_bytes(data: bytes) -> "StateProof":
        return decode_whole(data, StateProof.decode, "StateProof")

    def verify(self, key: bytes, value: Optional[bytes], root: bytes) -> bool:
        """Whether ``key`` holds ``value`` (None: is absent) under ``root`` (merkle.md's algorithm)."""
        n = len(self.siblings)
        if n > 256:
            return False
        if self.leaf is None:
            if value is not None:
                return False
            h = bytes(32)
        else:
            k, vh = self.leaf
            if value is not None:
                if k != key or vh != hashlib.sha256(value).digest():
                    return False
            elif k == key or any(_bit(k, i) != _bit(key, i) for i in range(n)):
                return False
            h = hashlib.sha256(b"\x02" + k + vh).digest()
        for i in range(n - 1, -1, -1):
            s = self.siblings[i]
            h = hashlib.sha256(b"\x03" + (s + h if _bit(key, i) else h + s)).digest()
        return h == root


@dataclass(frozen=True)
class RecordEntry:
    version: int
    payload_hash: bytes
    writer: Signer
    height: int
    transaction_id: bytes
    status: int                 # 0 live, 1 deleted, 2 erased

    @property
    def erased(self) -> bool:
        return self.status == 2

    def to_bytes(self) -> bytes:
        w = Writer()
        w.u64(self.version); w.fixed(self.payload_hash); self.writer.encode(w); w.u64(self.height)
        w.fixed(self.transaction_id); w.u8(self.status)
        return w.bytes

    @staticmethod
    def decode(r: Reader) -> "RecordEntry":
        e = RecordEntry(r.u64("RecordEntry.version"), r.fixed(32, "RecordEntry.payloadHash"), Signer.decode(r),
                        r.u64("RecordEntry.height"), r.fixed(32, "RecordEntry.transactionID"), r.u8("RecordEntry.status"))
        if e.status > 2:
            raise CodecError("invalidValue", "RecordEntry.status", f"{e.status} is not 0 (live), 1 (deleted) or 2 (erased)")
        return e


@dataclass(frozen=True)
class CertifiedHeader:
    header: BlockHeader
    certificate: CommitCertificate

    @staticmethod
    def decode(r: Reader) -> "CertifiedHeader":
        return CertifiedHeader(BlockHeader.decode(r), CommitCertificate.decode(r))

    def verify(self, validators: ValidatorSet) -> None:
        if self.header.validator_set_hash != validators.hash:
            raise ProofError(f"block {self.header.height} names validator set {self.header.validator_set_hash.hex()}, not the trusted set")
        try:
            verify_certificate(self.header.chain_id, self.header, self.certificate, validators)
        except CertificateError as e:
            raise ProofError(f"block {self.header.height}: {e}") from None


@dataclass(frozen=True)
class ProvenTransaction:
    transaction: SignedTransaction
    proof: InclusionProof
    header: CertifiedHeader

    @staticmethod
    def decode(r: Reader) -> "ProvenTransaction":
        return ProvenTransaction(SignedTransaction.decode(r), InclusionProof.decode(r), CertifiedHeader.decode(r))

    @staticmethod
    def from_bytes(data: bytes) -> "ProvenTransaction":
        return decode_whole(data, ProvenTransaction.decode, "ProvenTransaction")

    def verify(self, validators: ValidatorSet) -> None:
        self.header.verify(validators)
        if not verify_inclusion(self.header.header, self.transaction, self.proof):
            raise ProofError(f"transaction {self.transaction.id.hex()} is not proven in block {self.header.header.height} (or its payload is not the one its body commits to)")


def record_query(dataset: str, subject: str, purpose: str) -> bytes:
    w = Writer()
    w.string(dataset); w.string(subject); w.string(purpose)
    return w.bytes


@dataclass(frozen=True)
class RecordAnswer:
    at: CertifiedHeader
    entry: Optional[RecordEntry]
    proof: StateProof
    current: Optional[ProvenTransaction]

    @staticmethod
    def from_bytes(data: bytes) -> "RecordAnswer":
        def decode(r: Reader) -> RecordAnswer:
            return RecordAnswer(CertifiedHeader.decode(r), r.optional("RecordAnswer.entry", RecordEntry.decode),
                                StateProof.decode(r), r.optional("RecordAnswer.current", ProvenTransaction.decode))
        return decode_whole(data, decode, "RecordAnswer")

    def verify(self, dataset: str, subject: str, validators: ValidatorSet) -> None:
        """Raises ProofError unless this is the certified current value of dataset/subject (one
        trusted set: the chain's set has not changed between the writing block and ``at``)."""
        self.at.verify(validators)
        value = self.entry.to_bytes() if self.entry else None
        if not self.proof.verify(record_key(dataset, subject), value, self.at.header.state_root):
            raise ProofError(f"the state proof does not show this entry for {dataset}/{subject} under block {self.at.header.height}'s state root")
        if self.entry is None:
            if self.current is not None:
                raise ProofError("the answer proves the record absent but carries a transaction for it")
            return
        if self.current is None or self.current.transaction.id != self.entry.transaction_id or self.current.header.header.height != self.entry.height:
            raise ProofError("the transaction carried is not the one the state entry names")
        self.current.verify(validators)
        op = self.current.transaction.body.operation
        if op.fields.get("dataset") != dataset or op.fields.get("subject") != subject:
            raise ProofError(f"the transaction carried changes another record ({op.name})")

    @property
    def payload(self) -> Optional[bytes]:
        if self.entry is None or self.entry.status != 0 or self.current is None:
            return None
        p = self.current.transaction.payload
        return p if isinstance(p, bytes) else None


def history_query(dataset: str, subject: str, after_version: int = 0, limit: int = 500, purpose: str = "") -> bytes:
    w = Writer()
    w.string(dataset); w.string(subject); w.u64(after_version); w.u32(limit); w.string(purpose)
    return w.bytes


def transaction_query(tx_id: bytes, purpose: str = "") -> bytes:
    w = Writer()
    w.fixed(tx_id); w.string(purpose)
    return w.bytes


@dataclass(frozen=True)
class ChangesAnswer:
    """Record changes (history, dataset), each proven in its certified block, as of ``at``."""
    at: CertifiedHeader
    items: List[ProvenTransaction]
    more: bool

    @staticmethod
    def from_bytes(data: bytes) -> "ChangesAnswer":
        def decode(r: Reader) -> ChangesAnswer:
            return ChangesAnswer(CertifiedHeader.decode(r), r.array(500, "ChangesAnswer.items", ProvenTransaction.decode),
                                 r.bool("ChangesAnswer.more"))
        return decode_whole(data, decode, "ChangesAnswer")

    def verify(self, dataset: str, subject: Optional[str], validators: ValidatorSet) -> None:
        """Raises ProofError unless every item is a proven change of dataset (and subject), in chain order, at or below ``at``."""
        self.at.verify(validators)
        last = None
        for item in self.items:
            cursor = (item.header.header.height, item.proof.index)
            if last is not None and not last < cursor:
                raise ProofError(f"the items are not in chain order at {cursor}")
            last = cursor
            if cursor[0] > self.at.header.height:
                raise ProofError(f"an item at height {cursor[0]} is above the answer's block {self.at.header.height}")
            item.verify(validators)
            op = item.transaction.body.operation
            if op.name not in ("putRecord", "deleteRecord", "eraseRecord") or op.fields["dataset"] != dataset \
                    or (subject is not None and op.fields["subject"] != subject):
                raise ProofError(f"transaction {item.transaction.id.hex()} ({op.name}) is not a change of what was asked")


SAVED_MAGIC = b"CCANSW01"


def verify_saved(data: bytes, validators: ValidatorSet) -> str:
    """Verifies a saved answer file (``citychain … --save``: ``"CCANSW01" | u16 kind | bytes query |
    bytes answer``) offline against ``validators``; returns what it proves, raises ProofError otherwise."""
    if data[:8] != SAVED_MAGIC:
        raise ProofError("not a saved answer (no CCANSW01 at its start)")
    r = Reader(data[8:])
    kind = r.u16("SavedAnswer.kind")
    query = r.bytes_(8 << 20, "SavedAnswer.query")
    answer = r.bytes_(8 << 20, "SavedAnswer.answer")
    r.finish("SavedAnswer")
    q = Reader(query)
    if kind == 0x0201:
        dataset, subject = q.string(64, "RecordQuery.dataset"), q.string(256, "RecordQuery.subject")
        a = RecordAnswer.from_bytes(answer)
        a.verify(dataset, subject, validators)
        state = "absent" if a.entry is None else ("erased" if a.entry.erased else "deleted" if a.entry.status else f"version {a.entry.version}")
        return f"record {dataset}/{subject} at block {a.at.header.height}: {state}"
    if kind == 0x0202:
        dataset, subject = q.string(64, "HistoryQuery.dataset"), q.string(256, "HistoryQuery.subject")
        c = ChangesAnswer.from_bytes(answer)
        c.verify(dataset, subject, validators)
        return f"history of {dataset}/{subject}: {len(c.items)} changes at block {c.at.header.height}"
    if kind in (0x0301, 0x0302):
        from .gateway import GatewayOutcome
        tx_id = q.fixed(32, "TxStatusRequest.id")
        receipt = ProvenTransaction.from_bytes(answer)
        outcome = GatewayOutcome(tx_id, "committed", receipt=receipt)
        outcome.verify(tx_id, validators)
        return f"receipt of {tx_id.hex()} at block {receipt.header.header.height}"
    raise ProofError(f"saved answers of kind 0x{kind:04x} are not verified by this client yet")
