"""The protocol's typed errors (docs/PROTOCOL.md), as Python exceptions.

- ``WireError`` and one subclass per wire error code (part 2, "Error payload"): ``Forbidden``
  (``Denied``: an indexer query the agency may not make), ``NotFound``, ``Unavailable``
  (``CatchingUp``: nothing indexed yet, or a service not ready), ``InvalidRequest``,
  ``RateLimited`` (with ``retry_after_ms``), … Each carries the peer's ``message`` verbatim and the
  table's ``meaning`` (what to do). ``WireError.from_bytes`` decodes the payload into its class.
- ``Rejection``: the ledger's typed refusal of a transaction (part 3, "Rejections and outcomes"),
  decoded with every field of its case and with the ledger's message built from them, as
  ``Rejection+Message.swift`` builds it; ``TransactionRejected`` raises one.
- ``ProofError``: an answer that does not prove what it claims (Swift's ``ProofFailure``), with
  ``needs_sets_through`` when the validator sets of that height are not known yet and
  ``before_trusted_height`` for a header older than a block trusted by hash.
- ``FeedEnded``: a feed the indexer ended for a reason that resuming will not cure.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from .encoding import CodecError, Reader, Writer, decode_whole


class CityChainError(Exception):
    """Base of every error this client raises about the chain (codec errors excepted)."""


# -- wire errors ----------------------------------------------------------------------------------

ERROR_NAMES = {1: "badFrame", 2: "unsupportedVersion", 3: "unknownKind", 4: "forbidden", 5: "tooManyInFlight",
               6: "frameTooLarge", 7: "invalidRequest", 8: "notFound", 9: "rateLimited", 10: "unavailable",
               11: "timeout", 12: "cancelled", 13: "internal", 14: "conflict"}

ERROR_MEANINGS = {
    1: "frame not understood (bad length, unexpected type); fix the sender",
    2: "version byte is not 1; speak version 1",
    3: "no handler for the kind on this server; check the kind and the service",
    4: "the certificate's role may not call this kind",
    5: "wait for answers before sending more",
    6: "split the payload; the connection is closed",
    7: "the payload is malformed or invalid; the message names the field",
    8: "the thing asked for does not exist",
    9: "retry after retryAfterMillis",
    10: "server shutting down or not ready; retry elsewhere or later",
    11: "a deadline passed (request, idle, handshake)",
    12: "the request was cancelled",
    13: "the server failed; details only in its log",
    14: "conflicts with current state (e.g. request id already in flight)",
}


class WireError(CityChainError):
    """A typed failure from the peer (or about the connection): ``code`` and ``name`` as the
    protocol's table gives them, the peer's ``message``, the table's ``meaning``, and
    ``retry_after_ms`` when rate limited. Constructing ``WireError(code, …)`` gives the subclass
    of that code (``Forbidden``, ``NotFound``, …)."""

    code: int = 0

    def __new__(cls, code: int = 0, message: str = "", retry_after_ms: Optional[int] = None) -> "WireError":
        target = _BY_CODE.get(code, cls) if cls is WireError else cls
        return Exception.__new__(target)

    def __init__(self, code: int, message: str, retry_after_ms: Optional[int] = None) -> None:
        self.code = code
        self.name = ERROR_NAMES.get(code, f"code {code}")
        self.message = message
        self.meaning = ERROR_MEANINGS.get(code, "")
        self.retry_after_ms = retry_after_ms
        super().__init__(f"{self.name}: {message}")

    def __reduce__(self) -> Tuple[Any, ...]:
        return (WireError, (self.code, self.message, self.retry_after_ms))

    def to_bytes(self) -> bytes:
        w = Writer()
        w.u16(self.code)
        if self.code == 9:
            w.u32(self.retry_after_ms or 0)
        w.string(self.message)
        return w.bytes

    @staticmethod
    def from_bytes(data: bytes) -> "WireError":
        def decode(r: Reader) -> WireError:
            code = r.u16("WireError.code")
            if code not in ERROR_NAMES:
                raise CodecError("unknownTag", "WireError.code", f"unknown error code {code}")
            retry = r.u32("WireError.retryAfterMillis") if code == 9 else None
            return WireError(code, r.string(4096, "WireError.message"), retry)
        return decode_whole(data, decode, "WireError")


def _wire_class(code: int, name: str, doc: str) -> Type[WireError]:
    cls = type(name, (WireError,), {"__doc__": doc, "code": code})
    return cls


BadFrame = _wire_class(1, "BadFrame", "badFrame (1): " + ERROR_MEANINGS[1])
UnsupportedVersion = _wire_class(2, "UnsupportedVersion", "unsupportedVersion (2): " + ERROR_MEANINGS[2])
UnknownKind = _wire_class(3, "UnknownKind", "unknownKind (3): " + ERROR_MEANINGS[3])
Forbidden = _wire_class(4, "Forbidden", "forbidden (4): the certificate's role may not call this kind, or (an indexer "
                                         "query) the agency may not read the dataset: no grant, or an expired one; the "
                                         "message says why and names the dataset's owner to ask")
TooManyInFlight = _wire_class(5, "TooManyInFlight", "tooManyInFlight (5): " + ERROR_MEANINGS[5])
FrameTooLarge = _wire_class(6, "FrameTooLarge", "frameTooLarge (6): " + ERROR_MEANINGS[6])
InvalidRequest = _wire_class(7, "InvalidRequest", "invalidRequest (7): " + ERROR_MEANINGS[7])
NotFound = _wire_class(8, "NotFound", "notFound (8): the dataset, transaction or block asked for is not known at the "
                                      "answer's height (or a receipt of a transaction no validator knows)")
RateLimited = _wire_class(9, "RateLimited", "rateLimited (9): retry after ``retry_after_ms``; the message names the agency")
Unavailable = _wire_class(10, "Unavailable", "unavailable (10): shutting down or not ready — an indexer with nothing "
                                             "indexed yet, catching up, or halted; a gateway with no healthy upstream; "
                                             "retry elsewhere or later")
Timeout = _wire_class(11, "Timeout", "timeout (11): " + ERROR_MEANINGS[11])
Cancelled = _wire_class(12, "Cancelled", "cancelled (12): " + ERROR_MEANINGS[12])
Internal = _wire_class(13, "Internal", "internal (13): " + ERROR_MEANINGS[13])
Conflict = _wire_class(14, "Conflict", "conflict (14): " + ERROR_MEANINGS[14] + "; a gateway's conflict: retry (submit is idempotent)")

# The query errors of part 7 by what they mean to a reader.
Denied = Forbidden
CatchingUp = Unavailable

_BY_CODE: Dict[int, Type[WireError]] = {c.code: c for c in (BadFrame, UnsupportedVersion, UnknownKind, Forbidden, TooManyInFlight,
                                                             FrameTooLarge, InvalidRequest, NotFound, RateLimited, Unavailable,
                                                             Timeout, Cancelled, Internal, Conflict)}


# -- rejections -----------------------------------------------------------------------------------

MAX_TRANSACTION_LIFETIME_HEIGHTS = 10_000
MAX_EVIDENCE_AGE_HEIGHTS = 10_000
MAX_REVOKED_CERTIFICATES = 4096
MAX_REJECTION_DETAIL_BYTES = 1024


def _detail(r: Reader, f: str) -> str:
    return r.string(MAX_REJECTION_DETAIL_BYTES, f)


def _count(r: Reader, f: str) -> int:
    v = r.u64(f)
    if v > (1 << 63) - 1:
        raise CodecError("invalidValue", f, f"count {v} is over 2^63 - 1")
    return v


def _signer(r: Reader, f: str) -> str:
    from .ledger import Signer
    s = Signer.decode(r)
    return f"{s.agency}#{s.key_id}"


def _agency(r: Reader, f: str) -> str:
    from .ledger import read_agency
    return read_agency(r, f)


def _dataset(r: Reader, f: str) -> str:
    from .ledger import read_dataset
    return read_dataset(r, f)


def _subject(r: Reader, f: str) -> str:
    from .ledger import read_subject
    return read_subject(r, f)


def _chain(r: Reader, f: str) -> str:
    from .ledger import read_chain
    return read_chain(r, f)


def _hash(r: Reader, f: str) -> str:
    return r.fixed(32, f).hex()


def _u64(r: Reader, f: str) -> int:
    return r.u64(f)


def _u32(r: Reader, f: str) -> int:
    return r.u32(f)


_Field = Tuple[str, Callable[[Reader, str], Any]]
# code → (name, fields, message template over the fields); in the order of the document's table.
REJECTIONS: Dict[int, Tuple[str, List[_Field], Callable[..., str]]] = {
    1: ("malformed", [("detail", _detail)], lambda detail: f"malformed transaction: {detail}; fix the encoding and sign again"),
    2: ("tooLarge", [("bytes", _count), ("max", _count)], lambda bytes, max: f"transaction is {bytes} bytes, over the limit of {max}; send a smaller payload"),
    3: ("wrongChain", [("expected", _chain), ("got", _chain)],
        lambda expected, got: f'transaction is for chain "{got}" but this is "{expected}"; sign it for "{expected}"'),
    4: ("expired", [("expiresAtHeight", _u64), ("height", _u64)],
        lambda expiresAtHeight, height: f"transaction expired at height {expiresAtHeight} and the chain is at {height}; sign it again with a later expiry"),
    5: ("lifetimeTooLong", [("expiresAtHeight", _u64), ("maxHeight", _u64)],
        lambda expiresAtHeight, maxHeight: f"expiry {expiresAtHeight} is beyond the maximum {maxHeight}; pick an expiry at most {MAX_TRANSACTION_LIFETIME_HEIGHTS} heights ahead"),
    6: ("replayed", [("id", _hash)], lambda id: f"transaction {id} was already committed; fetch its receipt instead of resubmitting"),
    7: ("unknownAgency", [("agency", _agency)], lambda agency: f"agency {agency} is not registered; ask the admins to register it"),
    8: ("unknownKey", [("signer", _signer)], lambda signer: f"{signer} is not a registered signing key; register the key or sign with another"),
    9: ("revokedKey", [("signer", _signer), ("revokedAtHeight", _u64)],
        lambda signer, revokedAtHeight: f"key {signer} was revoked at height {revokedAtHeight}; sign with an active key"),
    10: ("badSignature", [("signer", _signer)], lambda signer: f"signature by {signer} does not verify; sign the exact body bytes for this chain again"),
    11: ("signerMismatch", [("detail", _detail)], lambda detail: f"signatures do not match the body: {detail}"),
    12: ("notAdmin", [("agency", _agency)], lambda agency: f"agency {agency} is not an admin; admin operations need admin signatures"),
    13: ("adminQuorumNotMet", [("have", _count), ("need", _count)],
         lambda have, need: f"{have} distinct admin agencies signed but {need} are needed; collect more admin co-signatures"),
    14: ("unknownDataset", [("dataset", _dataset)], lambda dataset: f"dataset {dataset} does not exist; define it first"),
    15: ("datasetExists", [("dataset", _dataset)], lambda dataset: f"dataset {dataset} already exists; pick another id"),
    16: ("notDatasetWriter", [("agency", _agency), ("dataset", _dataset)],
         lambda agency, dataset: f"agency {agency} is not a writer of dataset {dataset}; ask its owner to add it"),
    17: ("notDatasetOwner", [("agency", _agency), ("dataset", _dataset)],
         lambda agency, dataset: f"agency {agency} does not own dataset {dataset}; only the owner may do this"),
    18: ("payloadHashMismatch", [("expected", _hash), ("got", _hash)],
         lambda expected, got: f"payloadHash is {got} but SHA-256 of the payload is {expected}; hash the exact payload bytes"),
    19: ("payloadNotSealed", [("detail", _detail)],
         lambda detail: f"restricted dataset needs a sealed payload: {detail}; seal it with SealedPayload.seal to registered keys"),
    20: ("recordNotFound", [("dataset", _dataset), ("subject", _subject)],
         lambda dataset, subject: f"no live record {subject} in dataset {dataset}; check the subject key"),
    21: ("grantNotFound", [("dataset", _dataset), ("grantee", _agency)],
         lambda dataset, grantee: f"agency {grantee} has no grant on dataset {dataset}; nothing to revoke"),
    22: ("grantExpiryInPast", [("expiresAtHeight", _u64), ("height", _u64)],
         lambda expiresAtHeight, height: f"grant expiry {expiresAtHeight} is not after the current height {height}; pick a later height"),
    23: ("agencyExists", [("agency", _agency)], lambda agency: f"agency {agency} is already registered; add keys with addAgencyKey instead"),
    24: ("keyExists", [("agency", _agency), ("keyID", _u32)], lambda agency, keyID: f"agency {agency} already has key {keyID}; use a new key id"),
    25: ("tooManyKeys", [("agency", _agency)],
         lambda agency: f"agency {agency} would hold more than 32 keys; keys are never deleted, so plan key ids"),
    26: ("keyAlreadyRevoked", [("agency", _agency), ("keyID", _u32)],
         lambda agency, keyID: f"key {keyID} of {agency} is already revoked; nothing to do"),
    27: ("invalidValidatorChange", [("detail", _detail)], lambda detail: f"validator change refused: {detail}"),
    28: ("auditSequenceGap", [("expected", _u64), ("got", _u64)],
         lambda expected, got: f"audit batch starts at {got} but the next expected sequence is {expected}; anchor the missing range first"),
    29: ("invalidAuditBatch", [("detail", _detail)], lambda detail: f"audit batch refused: {detail}"),
    30: ("unknownWriter", [("agency", _agency)],
         lambda agency: f"writer {agency} is not a registered agency; register it first or remove it from writers"),
    31: ("invalidEvidence", [("detail", _detail)], lambda detail: f"evidence refused: {detail}"),
    32: ("badEvidenceSignature", [("offender", _hash)],
         lambda offender: f"a signature in the evidence against validator {offender} does not verify for this chain; it is forged or for another chain: drop it"),
    33: ("evidenceOffenderNotValidator", [("offender", _hash)],
         lambda offender: f"evidence offender {offender} is not in the current validator set; evidence against unknown or removed validators is not recorded"),
    34: ("evidenceTooOld", [("height", _u64), ("minHeight", _u64)],
         lambda height, minHeight: f"evidence is for height {height}, below the oldest includable height {minHeight} (maxEvidenceAgeHeights {MAX_EVIDENCE_AGE_HEIGHTS}); drop it"),
    35: ("evidenceTooNew", [("height", _u64), ("maxHeight", _u64)],
         lambda height, maxHeight: f"evidence is for height {height}, above the block height {maxHeight}; include it in a later block"),
    36: ("evidenceAlreadyRecorded", [("id", _hash), ("includedAtHeight", _u64)],
         lambda id, includedAtHeight: f"equivocation {id} was already recorded by block {includedAtHeight}; nothing to do"),
    37: ("duplicateEvidence", [("id", _hash)], lambda id: f"the block lists equivocation {id} more than once; list each offence once"),
    38: ("tooMuchEvidence", [("count", _count), ("max", _count)],
         lambda count, max: f"{count} evidence items, more than the {max} a block may hold; include the rest in later blocks"),
    39: ("certificateAlreadyRevoked", [("fingerprint", _hash), ("atHeight", _u64)],
         lambda fingerprint, atHeight: f"certificate {fingerprint} was already revoked at height {atHeight}; nothing to do"),
    40: ("tooManyRevokedCertificates", [],
         lambda: f"the chain holds {MAX_REVOKED_CERTIFICATES} revoked certificates, its most; rotate the city CA (docs/OPERATIONS.md, \"Rotate certificates\") and start a fresh list"),
    41: ("invalidKeyShare", [("detail", _detail)], lambda detail: f"record key share refused: {detail}"),
    42: ("payloadMissing", [("detail", _detail)], lambda detail: detail),
    43: ("recordAlreadyErased", [("dataset", _dataset), ("subject", _subject)],
         lambda dataset, subject: f"record {subject} in dataset {dataset} is already erased and has no version since; nothing to erase"),
}


class Rejection:
    """The ledger's typed refusal: ``code``, ``name`` (``badSignature`` …), ``fields`` by the
    document's names (signers as ``agency#keyID``, hashes and keys as hex) and ``message``, what
    was wrong and what to do, as the Swift ledger words it."""

    def __init__(self, code: int, fields: Dict[str, Any], raw: bytes = b"") -> None:
        self.code = code
        self.name = REJECTIONS[code][0]
        self.fields = fields
        self.raw = raw

    @property
    def message(self) -> str:
        return REJECTIONS[self.code][2](**self.fields)

    def __repr__(self) -> str:
        return f"Rejection({self.name}, {self.fields})"

    def __str__(self) -> str:
        return f"rejected ({self.code}): {self.message}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rejection) and (self.code, self.fields) == (other.code, other.fields)

    @staticmethod
    def decode(r: Reader) -> "Rejection":
        start = r.offset
        code = r.u16("Rejection.code")
        if code not in REJECTIONS:
            raise CodecError("unknownTag", "Rejection.code", f"unknown rejection code {code}")
        name, spec, _ = REJECTIONS[code]
        fields = {fname: dec(r, f"Rejection.{fname}") for fname, dec in spec}
        return Rejection(code, fields, r.bytes_read_since(start))

    @staticmethod
    def from_bytes(data: bytes) -> "Rejection":
        return decode_whole(data, Rejection.decode, "Rejection")


class TransactionRejected(CityChainError):
    """The ledger refused a transaction (resubmitting it will not help): ``rejection`` has its
    code, fields and message."""

    def __init__(self, tx_id: bytes, rejection: Rejection) -> None:
        self.tx_id = tx_id
        self.rejection = rejection
        super().__init__(f"transaction {tx_id.hex()} {rejection}")


# -- proofs and feeds -------------------------------------------------------------------------------

class ProofError(CityChainError):
    """An answer that does not prove what it claims: what failed (Swift's ``ProofFailure``).
    ``needs_sets_through``: the proof could not be checked (not refused) because the validator
    sets up to that height are not known yet — refresh them (``TrustedValidatorSets.refresh``)
    and check again. ``before_trusted_height``: the header is older than the block trusted by hash."""

    def __init__(self, message: str, needs_sets_through: Optional[int] = None, before_trusted_height: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.needs_sets_through = needs_sets_through
        self.before_trusted_height = before_trusted_height


class FeedEnded(CityChainError):
    """The indexer ended a feed for a reason resuming will not cure (``accessRevoked``,
    ``grantExpired``): ``end`` is the ``FeedEnd`` (reason, resume cursor, message)."""

    def __init__(self, end: Any) -> None:
        self.end = end
        super().__init__(f"the feed ended: {end}")
