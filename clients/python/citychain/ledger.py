"""Ledger values of docs/protocol/ledger.md, format 2: transactions (every operation; a
putRecord's payload detached after the signatures), block headers, votes, commit certificates,
and the Merkle root of the ordered-list tree (docs/protocol/merkle.md).

Each type has ``encode(w)`` and ``decode(r)``; ``to_bytes()`` and ``from_bytes()`` work on whole
values. Decoders enforce the identifier rules, limits and sorted lists the document gives.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .encoding import Canonical, CodecError, Reader, Writer, decode_whole

# Limits (LedgerLimits)
MAX_PAYLOAD_BYTES = 49152
MAX_SIGNATURES = 16
MAX_REASON_BYTES = 256
MAX_NAME_BYTES = 128
MAX_WRITERS = 64
MAX_KEYS_PER_AGENCY = 32
MAX_VALIDATOR_CHANGES = 64
MAX_KEY_SHARES = 256
MAX_VALIDATORS = 128

# Domains
TX_ID_DOMAIN = "citychain/tx/v2"
TX_SIG_DOMAIN = "citychain/tx-sig/v2"
BLOCK_DOMAIN = "citychain/block/v1"
VOTE_DOMAIN = "citychain/vote/v1"


def domain_message(domain: str, body: bytes) -> bytes:
    """The canonical string ``domain`` followed by ``body`` (what is signed, or hashed)."""
    w = Writer()
    w.string(domain)
    w.fixed(body)
    return w.bytes


def domain_hash(domain: str, body: bytes) -> bytes:
    return hashlib.sha256(domain_message(domain, body)).digest()


# -- identifiers ---------------------------------------------------------------------------------

_ID = re.compile(r"[a-z0-9-]{1,64}")
_DATASET = re.compile(r"[a-z0-9._-]{1,64}")


def _checked(value: str, pattern: "re.Pattern[str]", what: str, field_name: str) -> str:
    if not pattern.fullmatch(value) or len(value.encode()) > 64:
        raise CodecError("invalidValue", field_name, f"{what} {value!r} breaks its rule (docs/protocol/ledger.md, Identifiers)")
    return value


def read_agency(r: Reader, f: str) -> str:
    return _checked(r.string(64, f), _ID, "agency id", f)


def read_chain(r: Reader, f: str) -> str:
    return _checked(r.string(64, f), _ID, "chain id", f)


def read_dataset(r: Reader, f: str) -> str:
    return _checked(r.string(64, f), _DATASET, "dataset id", f)


def read_subject(r: Reader, f: str) -> str:
    s = r.string(256, f)
    if not s:
        raise CodecError("invalidValue", f, "a subject key is 1-256 bytes")
    return s


def _require_increasing(keys: List[Any], f: str) -> None:
    for a, b in zip(keys, keys[1:]):
        if not a < b:
            raise CodecError("nonCanonical", f, "the list must be strictly increasing (sorted, no duplicates)")


@dataclass(frozen=True)
class Signer(Canonical):
    agency: str
    key_id: int

    def encode(self, w: Writer) -> None:
        w.string(self.agency)
        w.u32(self.key_id)

    @staticmethod
    def decode(r: Reader) -> "Signer":
        return Signer(read_agency(r, "Signer.agency"), r.u32("Signer.keyID"))


@dataclass(frozen=True)
class AgencyKey(Canonical):
    key_id: int
    kind: str              # "signing" (Ed25519) or "sealing" (X25519)
    public_key: bytes      # 32 bytes

    def encode(self, w: Writer) -> None:
        w.u32(self.key_id)
        w.u8(0 if self.kind == "signing" else 1)
        w.fixed(self.public_key)

    @staticmethod
    def decode(r: Reader) -> "AgencyKey":
        key_id = r.u32("AgencyKey.keyID")
        tag = r.u8("AgencyKeyMaterial.tag")
        if tag > 1:
            raise CodecError("unknownTag", "AgencyKeyMaterial.tag", f"unknown tag {tag}")
        return AgencyKey(key_id, "signing" if tag == 0 else "sealing", r.fixed(32, "AgencyKeyMaterial.key"))


@dataclass(frozen=True)
class ValidatorChange(Canonical):
    public_key: bytes
    power: int
    name: str

    def encode(self, w: Writer) -> None:
        w.fixed(self.public_key)
        w.u64(self.power)
        w.string(self.name)

    @staticmethod
    def decode(r: Reader) -> "ValidatorChange":
        return ValidatorChange(r.fixed(32, "ValidatorChange.publicKey"), r.u64("ValidatorChange.power"),
                               r.string(MAX_NAME_BYTES, "ValidatorChange.name"))


@dataclass(frozen=True)
class SealedRecipient(Canonical):
    agency: str
    key_id: int
    encapsulated_key: bytes
    wrapped_key: bytes

    def encode(self, w: Writer) -> None:
        w.string(self.agency)
        w.u32(self.key_id)
        w.bytes_(self.encapsulated_key)
        w.bytes_(self.wrapped_key)

    @staticmethod
    def decode(r: Reader) -> "SealedRecipient":
        return SealedRecipient(read_agency(r, "SealedRecipient.agency"), r.u32("SealedRecipient.keyID"),
                               r.bytes_(133, "SealedRecipient.encapsulatedKey"), r.bytes_(64, "SealedRecipient.wrappedKey"))


@dataclass(frozen=True)
class RecordKeyShare(Canonical):
    subject: str
    version: int
    key: SealedRecipient

    def encode(self, w: Writer) -> None:
        w.string(self.subject)
        w.u64(self.version)
        self.key.encode(w)

    @staticmethod
    def decode(r: Reader) -> "RecordKeyShare":
        return RecordKeyShare(read_subject(r, "RecordKeyShare.subject"), r.u64("RecordKeyShare.version"), SealedRecipient.decode(r))


# -- operations ----------------------------------------------------------------------------------

# One codec per field kind: (encode, decode).
Codec = Tuple[Callable[[Writer, Any], None], Callable[[Reader, str], Any]]

def _array(limit: int, item_encode, item_decode, order: Callable[[Any], Any], minimum: int = 0) -> Codec:
    def enc(w: Writer, items: List[Any]) -> None:
        w.array(list(items), item_encode)

    def dec(r: Reader, f: str) -> List[Any]:
        items = r.array(limit, f, item_decode)
        if len(items) < minimum:
            raise CodecError("invalidValue", f, f"at least {minimum} element(s)")
        _require_increasing([order(x) for x in items], f)
        return items
    return enc, dec


DATASET: Codec = (lambda w, v: w.string(v), read_dataset)
SUBJECT: Codec = (lambda w, v: w.string(v), read_subject)
AGENCY: Codec = (lambda w, v: w.string(v), read_agency)
HASH: Codec = (lambda w, v: w.fixed(v), lambda r, f: r.fixed(32, f))
U64: Codec = (lambda w, v: w.u64(v), lambda r, f: r.u64(f))
U32: Codec = (lambda w, v: w.u32(v), lambda r, f: r.u32(f))
BOOL: Codec = (lambda w, v: w.bool(v), lambda r, f: r.bool(f))
REASON: Codec = (lambda w, v: w.string(v), lambda r, f: r.string(MAX_REASON_BYTES, f))
NAME: Codec = (lambda w, v: w.string(v), lambda r, f: r.string(MAX_NAME_BYTES, f))


def _sensitivity_decode(r: Reader, f: str) -> int:
    v = r.u8(f)
    if v > 2:
        raise CodecError("unknownTag", f, f"sensitivity {v}: 0 public, 1 internal, 2 restricted")
    return v


SENSITIVITY: Codec = (lambda w, v: w.u8(v), _sensitivity_decode)
WRITERS = _array(MAX_WRITERS, lambda w, a: w.string(a), lambda r: read_agency(r, "writer"), lambda a: a.encode())
KEYS = _array(MAX_KEYS_PER_AGENCY, lambda w, k: k.encode(w), AgencyKey.decode, lambda k: k.key_id)
AGENCY_KEY: Codec = (lambda w, k: k.encode(w), lambda r, f: AgencyKey.decode(r))
CHANGES = _array(MAX_VALIDATOR_CHANGES, lambda w, c: c.encode(w), ValidatorChange.decode, lambda c: c.public_key, minimum=0)
SHARES = _array(MAX_KEY_SHARES, lambda w, s: s.encode(w), RecordKeyShare.decode,
                lambda s: (s.subject.encode(), s.version, s.key.key_id), minimum=1)

# tag → (name, [(field, codec)]), in the order of docs/protocol/ledger.md "LedgerOperation".
OPERATIONS: Dict[int, Tuple[str, List[Tuple[str, Codec]]]] = {
    1: ("defineDataset", [("id", DATASET), ("sensitivity", SENSITIVITY), ("schema", NAME), ("writers", WRITERS)]),
    2: ("putRecord", [("dataset", DATASET), ("subject", SUBJECT), ("payloadHash", HASH)]),
    3: ("deleteRecord", [("dataset", DATASET), ("subject", SUBJECT), ("reason", REASON)]),
    4: ("grantAccess", [("dataset", DATASET), ("grantee", AGENCY), ("expiresAtHeight", U64), ("expiresAtMillis", U64),
                        ("purpose", REASON)]),
    5: ("revokeAccess", [("dataset", DATASET), ("grantee", AGENCY)]),
    6: ("registerAgency", [("id", AGENCY), ("name", NAME), ("isAdmin", BOOL), ("keys", KEYS)]),
    7: ("addAgencyKey", [("agency", AGENCY), ("key", AGENCY_KEY)]),
    8: ("revokeAgencyKey", [("agency", AGENCY), ("keyID", U32)]),
    9: ("changeValidatorSet", [("changes", CHANGES)]),
    10: ("anchorAuditBatch", [("firstSequence", U64), ("lastSequence", U64), ("recordCount", U64), ("merkleRoot", HASH)]),
    11: ("revokeCertificate", [("fingerprint", HASH), ("reason", REASON)]),
    12: ("shareRecordKeys", [("dataset", DATASET), ("grantee", AGENCY), ("shares", SHARES)]),
    13: ("eraseRecord", [("dataset", DATASET), ("subject", SUBJECT), ("reason", REASON)]),
}
TAGS = {name: tag for tag, (name, _) in OPERATIONS.items()}
ADMIN_OPERATIONS = {"registerAgency", "addAgencyKey", "revokeAgencyKey", "changeValidatorSet", "revokeCertificate"}


@dataclass(frozen=True)
class Operation(Canonical):
    """One ledger operation: its name (``putRecord``, …) and its fields by the document's names."""
    name: str
    fields: Dict[str, Any]

    @property
    def tag(self) -> int:
        return TAGS[self.name]

    @property
    def carries_payload(self) -> bool:
        return self.name == "putRecord"

    def encode(self, w: Writer) -> None:
        w.u8(self.tag)
        for fname, (enc, _) in OPERATIONS[self.tag][1]:
            enc(w, self.fields[fname])

    @staticmethod
    def decode(r: Reader) -> "Operation":
        tag = r.u8("LedgerOperation.tag")
        if tag not in OPERATIONS:
            raise CodecError("unknownTag", "LedgerOperation.tag", f"unknown tag {tag}; this peer may speak a newer protocol version")
        name, spec = OPERATIONS[tag]
        return Operation(name, {fname: dec(r, f"{name}.{fname}") for fname, (_, dec) in spec})


@dataclass(frozen=True)
class TransactionBody(Canonical):
    chain_id: str
    signer: Signer
    nonce: int
    expires_at_height: int
    operation: Operation

    def encode(self, w: Writer) -> None:
        w.string(self.chain_id)
        self.signer.encode(w)
        w.u64(self.nonce)
        w.u64(self.expires_at_height)
        self.operation.encode(w)

    @staticmethod
    def decode(r: Reader) -> "TransactionBody":
        return TransactionBody(read_chain(r, "TransactionBody.chainID"), Signer.decode(r), r.u64("TransactionBody.nonce"),
                               r.u64("TransactionBody.expiresAtHeight"), Operation.decode(r))

    @property
    def id(self) -> bytes:
        """SHA-256 of the tx/v2 domain and the body: signatures and the payload excluded."""
        return domain_hash(TX_ID_DOMAIN, self.to_bytes())

    @property
    def signing_message(self) -> bytes:
        return domain_message(TX_SIG_DOMAIN, self.to_bytes())


@dataclass(frozen=True)
class TransactionSignature(Canonical):
    signer: Signer
    signature: bytes

    def encode(self, w: Writer) -> None:
        self.signer.encode(w)
        w.fixed(self.signature)

    @staticmethod
    def decode(r: Reader) -> "TransactionSignature":
        return TransactionSignature(Signer.decode(r), r.fixed(64, "TransactionSignature.signature"))


ERASED = object()   # a putRecord's payload once erased (DetachedPayload tag 2)


@dataclass(frozen=True)
class SignedTransaction:
    """Body, signatures, and for a putRecord the payload: bytes, or ``ERASED``."""
    body: TransactionBody
    signatures: List[TransactionSignature]
    payload: Any = None

    def leaf_bytes(self) -> bytes:
        """What the block's Merkle tree commits to: the body and the signatures, not the payload."""
        w = Writer()
        self.body.encode(w)
        w.array(self.signatures, lambda w, s: s.encode(w))
        return w.bytes

    def to_bytes(self) -> bytes:
        w = Writer()
        w.fixed(self.leaf_bytes())
        if self.body.operation.carries_payload:
            if self.payload is ERASED or self.payload is None:
                w.u8(2)
            else:
                w.u8(1)
                w.bytes_(self.payload)
        return w.bytes

    @property
    def id(self) -> bytes:
        return self.body.id

    @property
    def payload_erased(self) -> bool:
        return self.payload is ERASED

    def payload_matches(self) -> bool:
        """Whether a present payload hashes to the body's payloadHash (True when none or erased)."""
        if not self.body.operation.carries_payload or self.payload is ERASED or self.payload is None:
            return True
        return hashlib.sha256(self.payload).digest() == self.body.operation.fields["payloadHash"]

    @staticmethod
    def decode(r: Reader) -> "SignedTransaction":
        body = TransactionBody.decode(r)
        signatures = r.array(MAX_SIGNATURES, "SignedTransaction.signatures", TransactionSignature.decode)
        if not signatures:
            raise CodecError("invalidValue", "SignedTransaction.signatures", "no signatures; the body's signer must sign first")
        payload: Any = None
        if body.operation.carries_payload:
            tag = r.u8("DetachedPayload.tag")
            if tag == 1:
                payload = r.bytes_(MAX_PAYLOAD_BYTES, "DetachedPayload.bytes")
            elif tag == 2:
                payload = ERASED
            else:
                raise CodecError("unknownTag", "DetachedPayload.tag", f"unknown tag {tag}")
        return SignedTransaction(body, signatures, payload)

    @staticmethod
    def from_bytes(data: bytes) -> "SignedTransaction":
        return decode_whole(data, SignedTransaction.decode, "SignedTransaction")


@dataclass(frozen=True)
class BlockHeader(Canonical):
    chain_id: str
    height: int
    time_millis: int
    previous_hash: bytes
    transactions_root: bytes
    transaction_count: int
    evidence_root: bytes
    state_root: bytes
    validator_set_hash: bytes
    proposer: bytes

    def encode(self, w: Writer) -> None:
        w.string(self.chain_id); w.u64(self.height); w.u64(self.time_millis); w.fixed(self.previous_hash)
        w.fixed(self.transactions_root); w.u32(self.transaction_count); w.fixed(self.evidence_root)
        w.fixed(self.state_root); w.fixed(self.validator_set_hash); w.fixed(self.proposer)

    @property
    def hash(self) -> bytes:
        return domain_hash(BLOCK_DOMAIN, self.to_bytes())

    @staticmethod
    def decode(r: Reader) -> "BlockHeader":
        chain = read_chain(r, "BlockHeader.chainID")
        height, time_millis = r.u64("BlockHeader.height"), r.u64("BlockHeader.timeMillis")
        previous, root = r.fixed(32, "BlockHeader.previousHash"), r.fixed(32, "BlockHeader.transactionsRoot")
        count = r.u32("BlockHeader.transactionCount")
        if count > 10000:
            raise CodecError("overLimit", "BlockHeader.transactionCount", f"{count} is over the limit of 10000")
        return BlockHeader(chain, height, time_millis, previous, root, count, r.fixed(32, "BlockHeader.evidenceRoot"),
                           r.fixed(32, "BlockHeader.stateRoot"), r.fixed(32, "BlockHeader.validatorSetHash"),
                           r.fixed(32, "BlockHeader.proposer"))

    @staticmethod
    def from_bytes(data: bytes) -> "BlockHeader":
        return decode_whole(data, BlockHeader.decode, "BlockHeader")


@dataclass(frozen=True)
class Vote(Canonical):
    kind: int                 # 1 prevote, 2 precommit
    height: int
    round: int
    block_hash: Optional[bytes]
    validator: bytes
    signature: bytes

    def encode(self, w: Writer) -> None:
        w.u8(self.kind); w.u64(self.height); w.u32(self.round)
        w.optional(self.block_hash, lambda w, h: w.fixed(h))
        w.fixed(self.validator); w.fixed(self.signature)

    def signing_message(self, chain_id: str) -> bytes:
        w = Writer()
        w.string(VOTE_DOMAIN); w.string(chain_id); w.u8(self.kind); w.u64(self.height); w.u32(self.round)
        w.optional(self.block_hash, lambda w, h: w.fixed(h))
        return w.bytes

    @staticmethod
    def decode(r: Reader) -> "Vote":
        kind = r.u8("Vote.kind")
        if kind not in (1, 2):
            raise CodecError("unknownTag", "Vote.kind", f"unknown vote kind {kind}")
        return Vote(kind, r.u64("Vote.height"), r.u32("Vote.round"), r.optional("Vote.blockHash", lambda r: r.fixed(32, "Vote.blockHash")),
                    r.fixed(32, "Vote.validator"), r.fixed(64, "Vote.signature"))

    @staticmethod
    def from_bytes(data: bytes) -> "Vote":
        return decode_whole(data, Vote.decode, "Vote")


@dataclass(frozen=True)
class CommitCertificate(Canonical):
    height: int
    round: int
    block_hash: bytes
    signatures: List[Tuple[bytes, bytes]]   # (validator public key, signature), sorted by key

    def encode(self, w: Writer) -> None:
        w.u64(self.height); w.u32(self.round); w.fixed(self.block_hash)
        w.array(self.signatures, lambda w, s: w.fixed(s[0] + s[1]))

    def precommits(self) -> List[Vote]:
        """Each signature as the precommit vote it signs."""
        return [Vote(2, self.height, self.round, self.block_hash, key, sig) for key, sig in self.signatures]

    @staticmethod
    def decode(r: Reader) -> "CommitCertificate":
        height, rnd, block_hash = r.u64("CommitCertificate.height"), r.u32("CommitCertificate.round"), r.fixed(32, "CommitCertificate.blockHash")
        sigs = r.array(MAX_VALIDATORS, "CommitCertificate.signatures",
                       lambda r: (r.fixed(32, "CommitSignature.validator"), r.fixed(64, "CommitSignature.signature")))
        _require_increasing([k for k, _ in sigs], "CommitCertificate.signatures")
        return CommitCertificate(height, rnd, block_hash, sigs)

    @staticmethod
    def from_bytes(data: bytes) -> "CommitCertificate":
        return decode_whole(data, CommitCertificate.decode, "CommitCertificate")


# -- Merkle (docs/protocol/merkle.md, ordered-list tree: RFC 9162) -------------------------------

def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaf_hashes: List[bytes]) -> bytes:
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(merkle_root(leaf_hashes[:k]), merkle_root(leaf_hashes[k:]))


def transactions_root(transactions: List[SignedTransaction]) -> bytes:
    """A block header's transactionsRoot: over each transaction's leaf bytes (body and signatures)."""
    return merkle_root([leaf_hash(tx.leaf_bytes()) for tx in transactions])


def path_length(index: int, leaf_count: int) -> int:
    """How many siblings PATH(index, D) has for a list of ``leaf_count`` items (the splits it makes)."""
    n, m, length = leaf_count, index, 0
    while n > 1:
        k = 1
        while k * 2 < n:
            k *= 2
        if m < k:
            n = k
        else:
            m, n = m - k, n - k
        length += 1
    return length


@dataclass(frozen=True)
class InclusionProof(Canonical):
    """An item's audit path in the ordered-list tree (docs/protocol/merkle.md, RFC 9162)."""
    index: int
    leaf_count: int
    siblings: List[bytes]

    def encode(self, w: Writer) -> None:
        w.u64(self.index)
        w.u64(self.leaf_count)
        w.array(self.siblings, lambda w, s: w.fixed(s))

    @staticmethod
    def decode(r: Reader) -> "InclusionProof":
        index, count = r.u64("InclusionProof.index"), r.u64("InclusionProof.leafCount")
        siblings = r.array(64, "InclusionProof.siblings", lambda r: r.fixed(32, "InclusionProof.sibling"))
        if index >= count:
            raise CodecError("invalidValue", "InclusionProof.index", f"index {index} is not below leafCount {count}")
        if len(siblings) != path_length(index, count):
            raise CodecError("invalidValue", "InclusionProof.siblings",
                             f"{len(siblings)} siblings, but index {index} of {count} has a path of {path_length(index, count)}")
        return InclusionProof(index, count, siblings)

    @staticmethod
    def from_bytes(data: bytes) -> "InclusionProof":
        return decode_whole(data, InclusionProof.decode, "InclusionProof")

    def verify(self, item: bytes, root: bytes) -> bool:
        """RFC 9162 2.1.3.2: whether ``item`` (its bytes, not its hash) is at ``index`` under ``root``.
        The count is bound only through the path's shape: compare ``leaf_count`` with an
        authenticated count (a certified header's ``transaction_count``)."""
        if self.index >= self.leaf_count:
            return False
        fn, sn, r = self.index, self.leaf_count - 1, leaf_hash(item)
        for p in self.siblings:
            if sn == 0:
                return False
            if fn % 2 == 1 or fn == sn:
                r = node_hash(p, r)
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = node_hash(r, p)
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == root


def verify_inclusion(header: BlockHeader, tx: SignedTransaction, proof: InclusionProof) -> bool:
    """A transaction is in the block of ``header`` (trusted: check its certificate first): the
    proof's count is the header's, the path from the transaction's leaf bytes leads to its
    transactions root, and a present payload hashes to the body's payloadHash."""
    return (proof.leaf_count == header.transaction_count and proof.verify(tx.leaf_bytes(), header.transactions_root)
            and tx.payload_matches())


VALIDATORS_DOMAIN = "citychain/validators/v1"


class Validator(ValidatorChange):
    """A member of a validator set: a ValidatorChange's encoding, with power at least 1."""

    @staticmethod
    def decode(r: Reader) -> "Validator":
        c = ValidatorChange.decode(r)
        if c.power < 1:
            raise CodecError("invalidValue", "Validator.power", "a validator's power is at least 1")
        return Validator(c.public_key, c.power, c.name)


@dataclass(frozen=True)
class ValidatorSet(Canonical):
    validators: List[Validator]          # sorted by key, 1..128

    def encode(self, w: Writer) -> None:
        w.array(sorted(self.validators, key=lambda v: v.public_key), lambda w, v: v.encode(w))

    @property
    def hash(self) -> bytes:
        return domain_hash(VALIDATORS_DOMAIN, self.to_bytes())

    @property
    def total_power(self) -> int:
        return sum(v.power for v in self.validators)

    def validator_set_for_height(self, height: int) -> "ValidatorSet":
        """A fixed set is a validator-set source that signs every height (``TrustedValidatorSets``
        is the one that follows changes)."""
        return self

    def applying(self, changes: List[ValidatorChange]) -> "ValidatorSet":
        """The set after ``changes`` (power 0 removes; otherwise adds or replaces by key); raises
        ValueError when a removed key is not a member or the result is not a valid set."""
        by_key = {v.public_key: v for v in self.validators}
        for c in changes:
            if c.power == 0:
                if by_key.pop(c.public_key, None) is None:
                    raise ValueError(f"{c.public_key.hex()} is not a validator, so it cannot be removed")
            else:
                by_key[c.public_key] = Validator(c.public_key, c.power, c.name)
        if not 1 <= len(by_key) <= MAX_VALIDATORS:
            raise ValueError(f"the resulting set has {len(by_key)} validators; a set has 1 to {MAX_VALIDATORS}")
        return ValidatorSet(sorted(by_key.values(), key=lambda v: v.public_key))

    @staticmethod
    def decode(r: Reader) -> "ValidatorSet":
        validators = r.array(MAX_VALIDATORS, "ValidatorSet.validators", Validator.decode)
        if not validators:
            raise CodecError("invalidValue", "ValidatorSet.validators", "at least one validator")
        _require_increasing([v.public_key for v in validators], "ValidatorSet.validators")
        return ValidatorSet(validators)


class CertificateError(Exception):
    """Why a commit certificate does not certify a header."""


def verify_certificate(chain_id: str, header: BlockHeader, certificate: CommitCertificate, validators: ValidatorSet) -> None:
    """Raises CertificateError unless ``certificate`` certifies ``header`` under ``validators``:
    same height and block hash, distinct members only, every precommit signature valid, and the
    signers' power p with 3·p > 2·total (docs/PROTOCOL.md: exactly 2/3 is not enough)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if certificate.height != header.height or certificate.block_hash != header.hash:
        raise CertificateError(f"the certificate is for height {certificate.height}, block {certificate.block_hash.hex()}, not this header")
    power = {v.public_key: v.power for v in validators.validators}
    seen, signed = set(), 0
    for vote in certificate.precommits():
        if vote.validator not in power:
            raise CertificateError(f"signer {vote.validator.hex()} is not in the validator set")
        if vote.validator in seen:
            raise CertificateError(f"signer {vote.validator.hex()} signs twice")
        seen.add(vote.validator)
        try:
            Ed25519PublicKey.from_public_bytes(vote.validator).verify(vote.signature, vote.signing_message(chain_id))
        except InvalidSignature:
            raise CertificateError(f"the precommit of {vote.validator.hex()} does not verify") from None
        signed += power[vote.validator]
    if not 3 * signed > 2 * validators.total_power:
        raise CertificateError(f"signers hold {signed} of {validators.total_power} power: not more than 2/3")


def genesis_validator_set(genesis_json: dict) -> ValidatorSet:
    """The validator set of a genesis file (docs/protocol/ledger.md, "Genesis file"): the set
    that signs block 1, which a reader trusts while the chain's set has not changed."""
    return ValidatorSet([Validator(bytes.fromhex(v["publicKey"]), int(v["power"]), v["name"]) for v in genesis_json["validators"]])


GENESIS_DOMAIN = "citychain/genesis/v1"
_SENSITIVITY = {"public": 0, "internal": 1, "restricted": 2}


def genesis_bytes(genesis_json: dict) -> bytes:
    """The canonical genesis (docs/protocol/ledger.md, "Genesis"): the file's order of
    validators, agencies, keys, datasets and writers kept."""
    g = genesis_json
    w = Writer()
    w.string(g["chainID"]); w.u64(int(g["genesisTimeMillis"]))
    w.array(g["validators"], lambda w, v: ValidatorChange(bytes.fromhex(v["publicKey"]), int(v["power"]), v["name"]).encode(w))
    w.u32(int(g["adminThreshold"]))

    def agency(w: Writer, a: dict) -> None:
        w.string(a["id"]); w.string(a["name"]); w.bool(bool(a["isAdmin"]))
        w.array(a["keys"], lambda w, k: AgencyKey(int(k["keyID"]), k["kind"], bytes.fromhex(k["publicKey"])).encode(w))
    w.array(g["agencies"], agency)

    def dataset(w: Writer, d: dict) -> None:
        w.string(d["id"]); w.string(d["owner"]); w.u8(_SENSITIVITY[d["sensitivity"]]); w.string(d["schema"])
        w.array(d["writers"], lambda w, a: w.string(a))
    w.array(g.get("datasets", []), dataset)
    return w.bytes


def genesis_hash(genesis_json: dict) -> bytes:
    """SHA-256 of the genesis domain and the canonical genesis: block 1's previousHash."""
    return domain_hash(GENESIS_DOMAIN, genesis_bytes(genesis_json))
