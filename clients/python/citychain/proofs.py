"""State proofs (docs/protocol/merkle.md, "State tree"), state keys and record entries
(docs/protocol/ledger.md, "State"), and the indexer's record answer (part 7), verified against a
validator set the reader trusts: the certified header, the state proof under its state root, and
the transaction that wrote the version, in its block.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import List, Optional

from .encoding import CodecError, Reader, Writer, decode_whole
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
class StateProof:
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

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.bytes

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
