"""State proofs (docs/protocol/merkle.md, "State tree"), state keys and record entries
(docs/protocol/ledger.md, "State"), and the indexer's record answer (part 7), verified against a
validator set the reader trusts: the certified header, the state proof under its state root, and
the transaction that wrote the version, in its block.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import List, Optional, Protocol

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole
from .ledger import (BlockHeader, CertificateError, CommitCertificate, InclusionProof, Signer, SignedTransaction,
                     ValidatorSet, verify_certificate, verify_inclusion)

STATE_DOMAIN = "citychain/state/v1"
CURSOR_END_OF_BLOCK = 0xFFFFFFFF
RECORD_NAMESPACE = 4


from .errors import ProofError  # noqa: E402  (re-exported: citychain.proofs.ProofError)


class ValidatorSetSource(Protocol):
    """Who signs which block: a fixed ``ValidatorSet`` (every height) or ``TrustedValidatorSets``
    (the sets followed from the genesis through each certified validator-set change)."""

    def validator_set_for_height(self, height: int) -> ValidatorSet: ...


@dataclass(frozen=True, order=True)
class ChainCursor(Canonical):
    """A place in the chain: a transaction's block height and its position (part 7); cursors
    order as (height, index). Text form ``height.index`` (``height`` alone: index 0)."""
    height: int
    index: int

    def encode(self, w: Writer) -> None:
        w.u64(self.height)
        w.u32(self.index)

    @staticmethod
    def decode(r: Reader) -> "ChainCursor":
        return ChainCursor(r.u64("ChainCursor.height"), r.u32("ChainCursor.index"))

    @staticmethod
    def parse(text: str) -> "ChainCursor":
        parts = text.strip().split(".")
        if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"'{text}' is not a cursor HEIGHT.INDEX")
        c = ChainCursor(int(parts[0]), int(parts[1]) if len(parts) == 2 else 0)
        if c.height >= 1 << 64 or c.index >= 1 << 32:
            raise ValueError(f"'{text}' is out of range for a cursor")
        return c

    @staticmethod
    def end_of(height: int) -> "ChainCursor":
        """After every transaction of block ``height`` (what a heartbeat at that height carries)."""
        return ChainCursor(height, CURSOR_END_OF_BLOCK)

    def __str__(self) -> str:
        return f"{self.height}.{self.index}"


START = ChainCursor(0, 0)


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

    @property
    def height(self) -> int:
        return self.header.height

    def verify(self, sets: "ValidatorSetSource") -> None:
        """Raises ProofError unless the header names the set ``sets`` puts at its height and the
        certificate is a quorum of that set for the header."""
        validators = sets.validator_set_for_height(self.header.height)
        if self.header.validator_set_hash != validators.hash:
            raise ProofError(f"header {self.header.height} is signed by validator set {self.header.validator_set_hash.hex()}, not the trusted set "
                             f"{validators.hash.hex()} at that height; if the validator set changed since the one you trust, verify against "
                             "the genesis through TrustedValidatorSets so that the changes are followed")
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

    @property
    def height(self) -> int:
        return self.header.header.height

    @property
    def index(self) -> int:
        return self.proof.index

    @property
    def cursor(self) -> "ChainCursor":
        return ChainCursor(self.header.header.height, self.proof.index)

    def encode(self, w: Writer) -> None:
        w.fixed(self.transaction.to_bytes()); self.proof.encode(w); self.header.header.encode(w); self.header.certificate.encode(w)

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.bytes

    def verify(self, sets: "ValidatorSetSource") -> None:
        """Raises ProofError unless the header is certified by the set of its height and the
        transaction is in it (with its payload, when present, matching the body's hash)."""
        self.header.verify(sets)
        self.verify_inclusion()

    def verify_inclusion(self) -> None:
        """The inclusion proof alone (the header itself is not checked)."""
        if not verify_inclusion(self.header.header, self.transaction, self.proof):
            raise ProofError(f"transaction {self.transaction.id.hex()} is not at position {self.proof.index} of block {self.height}: its inclusion proof "
                             "does not lead to the certified transactions root (or its payload is not the one its body commits to)")


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

    def verify(self, dataset: str, subject: str, validators: ValidatorSetSource) -> None:
        """Raises ProofError unless this is the certified current value of dataset/subject
        (``validators``: a fixed set, or ``TrustedValidatorSets``, which gives each height its set)."""
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
        try:
            self.current.verify(validators)
        except ProofError as e:
            if e.before_trusted_height is None:
                raise
            # Written before the block trusted by hash: the state proof under `at` names this
            # transaction's id (the hash of its body) and height; its place is checked in its header.
            self.current.verify_inclusion()
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
    def from_bytes(data: bytes, max_items: int = 500) -> "ChangesAnswer":
        def decode(r: Reader) -> ChangesAnswer:
            return ChangesAnswer(CertifiedHeader.decode(r), r.array(max_items, "ChangesAnswer.items", ProvenTransaction.decode),
                                 r.bool("ChangesAnswer.more"))
        return decode_whole(data, decode, "ChangesAnswer")

    def verify(self, dataset: str, subject: Optional[str], validators: ValidatorSetSource) -> None:
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


def verify_saved(data: bytes, validators: ValidatorSetSource) -> str:
    """Verifies a saved answer file offline; see ``citychain.indexer.verify_saved``."""
    from .indexer import verify_saved as verify
    return verify(data, validators)
