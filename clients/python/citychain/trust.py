"""Trust across validator-set changes (docs/PROTOCOL.md part 7, "Validator-set changes (0x020B)"):
``TrustedValidatorSets`` follows the validator sets from the genesis (or a block trusted by height
and hash) through every certified ``changeValidatorSet``, as ``Shared/API/Chain/TrustedValidatorSets.swift``
does, so that an answer at any later height verifies with the set of its own height. A forged
change fails its certificate; a left-out change makes a later header name a set this client did
not compute, and the answer is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

from .encoding import Reader, Writer, decode_whole
from .errors import ProofError
from .ledger import MAX_VALIDATORS, ValidatorChange, ValidatorSet, genesis_hash, genesis_validator_set
from .proofs import CertifiedHeader, ChainCursor, ProvenTransaction

VALIDATOR_CHANGES = 0x020B
DELAY = 2                      # LedgerLimits.validatorChangeDelayHeights: a change is in force from its height + 2
MAX_ITEMS = 500


@dataclass(frozen=True)
class ValidatorChangesQuery:
    """``u64 after, bool anchor``: the changes in blocks after ``after`` (with ``anchor``: also
    the headers and set of the trusted block ``after``, and the changes still pending at it)."""
    after: int
    anchor: bool = False

    def to_bytes(self) -> bytes:
        w = Writer()
        w.u64(self.after)
        w.bool(self.anchor)
        return w.bytes

    @staticmethod
    def from_bytes(data: bytes) -> "ValidatorChangesQuery":
        return decode_whole(data, lambda r: ValidatorChangesQuery(r.u64("ValidatorChangesQuery.after"),
                                                                  r.bool("ValidatorChangesQuery.anchor")), "ValidatorChangesQuery")


@dataclass(frozen=True)
class ValidatorChangesAnswer:
    at: CertifiedHeader
    anchor_set: Optional[ValidatorSet]
    anchor_headers: List[CertifiedHeader]
    items: List[ProvenTransaction]
    more: bool

    @staticmethod
    def from_bytes(data: bytes) -> "ValidatorChangesAnswer":
        def decode(r: Reader) -> ValidatorChangesAnswer:
            return ValidatorChangesAnswer(CertifiedHeader.decode(r), r.optional("ValidatorChangesAnswer.anchorSet", ValidatorSet.decode),
                                          r.array(DELAY, "ValidatorChangesAnswer.anchorHeaders", CertifiedHeader.decode),
                                          r.array(MAX_ITEMS, "ValidatorChangesAnswer.items", ProvenTransaction.decode),
                                          r.bool("ValidatorChangesAnswer.more"))
        return decode_whole(data, decode, "ValidatorChangesAnswer")


@dataclass(frozen=True)
class PendingValidatorChange:
    """A verified change and the first height its set signs."""
    effective_height: int
    changes: List[ValidatorChange]


Fetch = Callable[[ValidatorChangesQuery], ValidatorChangesAnswer]


def _changes_of(item: ProvenTransaction) -> List[ValidatorChange]:
    op = item.transaction.body.operation
    if op.name != "changeValidatorSet":
        raise ProofError(f"the transaction at {item.cursor} is a {op.name}, not a validator-set change")
    return list(op.fields["changes"])


class TrustedValidatorSets:
    """Which validator set signs which block, as this client knows it, reached from a trust anchor
    (the genesis, or a block trusted by height and hash) by checking each validator-set change in
    its certified block with the set in force there. A ``ValidatorSetSource``: give it to any
    answer's ``verify``."""

    def __init__(self, chain_id: str, anchor_height: int, anchor_hash: bytes, base: ValidatorSet,
                 changes: Optional[List[PendingValidatorChange]] = None, checked_through: int = 0) -> None:
        self.chain_id = chain_id
        self.anchor_height = anchor_height
        self.anchor_hash = anchor_hash
        self.base = base
        self.changes: List[PendingValidatorChange] = list(changes or [])
        self.checked_through = checked_through

    # -- anchors -----------------------------------------------------------------------------------

    @staticmethod
    def from_genesis(genesis_json: dict) -> "TrustedValidatorSets":
        """Trust from the genesis: its validator set signs block 1, nothing pending, known through
        block 0; its hash is the anchor (a cache written here matches the Swift CLI's check)."""
        base = genesis_validator_set(genesis_json)
        if not 1 <= len(base.validators) <= MAX_VALIDATORS:
            raise ProofError("the genesis file does not validate: a set has 1 to 128 validators")
        return TrustedValidatorSets(genesis_json["chainID"], 0, genesis_hash(genesis_json), base)

    @staticmethod
    def trusting(height: int, block_hash: bytes, answer: ValidatorChangesAnswer) -> "TrustedValidatorSets":
        """Trust from block ``height`` with hash ``block_hash``, using the answer to
        ``ValidatorChangesQuery(height, anchor=True)``."""
        if height < 1:
            raise ProofError("a trust height is at least 1 (height 0 is the genesis: use from_genesis)")
        headers = answer.anchor_headers
        if not headers or headers[-1].height != height or headers[-1].header.hash != block_hash:
            raise ProofError(f"the server's block {height} is not {block_hash.hex()}, the one you trust: it follows another chain, or the trusted hash is wrong")
        if len(headers) != min(height, DELAY):
            raise ProofError(f"the server sent {len(headers)} anchor headers, not the {min(height, DELAY)} blocks up to {height}")
        for a, b in zip(headers, headers[1:]):
            if b.height != a.height + 1 or b.header.previous_hash != a.header.hash:
                raise ProofError(f"anchor header {b.height} does not follow header {a.height} (its parent hash differs)")
        top = headers[-1]
        if answer.anchor_set is None or answer.anchor_set.hash != top.header.validator_set_hash:
            raise ProofError(f"the server's validator set for block {height} is not the one that block names ({top.header.validator_set_hash.hex()})")
        sets = TrustedValidatorSets(top.header.chain_id, height, block_hash, answer.anchor_set, [], height)
        previous: Optional[ChainCursor] = None
        for item in answer.items:
            if item.height > height:
                continue
            if previous is not None and not previous < item.cursor:
                raise ProofError(f"the changes are not in chain order at {item.cursor}")
            previous = item.cursor
            header = next((h for h in headers if h.height == item.height), None)
            if header is None or header.header != item.header.header:
                raise ProofError(f"the change at {item.cursor} is not in the anchor's blocks {headers[0].height}…{height}")
            item.verify_inclusion()
            sets.changes.append(PendingValidatorChange(item.height + DELAY, _changes_of(item)))
        sets._extend(answer, height)
        return sets

    @staticmethod
    def anchored(height: int, block_hash: bytes, fetch: Fetch) -> "TrustedValidatorSets":
        """The sets from block ``height`` with hash ``block_hash``, fetched and checked."""
        answer = fetch(ValidatorChangesQuery(height, anchor=True))
        sets = TrustedValidatorSets.trusting(height, block_hash, answer)
        if answer.more:
            sets.refresh(fetch)
        return sets

    # -- the sets ------------------------------------------------------------------------------------

    @property
    def known_through(self) -> int:
        """Validator sets are known for blocks up to this height."""
        return self.checked_through + DELAY

    def validator_set_for_height(self, height: int) -> ValidatorSet:
        """The set that signs block ``height``; raises ProofError (``before_trusted_height``) for a
        block before the trust anchor, and (``needs_sets_through``) for one after ``known_through``
        until the changes are fetched (``refresh``)."""
        if self.anchor_height > 0 and height < self.anchor_height:
            raise ProofError(f"block {height} is before height {self.anchor_height}, the block you trust by its hash: check it against the genesis instead",
                             before_trusted_height=self.anchor_height)
        if height > self.known_through:
            raise ProofError(f"the validator sets after block {self.known_through} are not known here yet: fetch the validator-set changes since then (refresh) and check again",
                             needs_sets_through=height)
        return self._computed(height)

    def _computed(self, height: int) -> ValidatorSet:
        s = self.base
        for p in self.changes:
            if p.effective_height <= height:
                try:
                    s = s.applying(p.changes)
                except ValueError as e:
                    raise ProofError(f"the validator change that takes effect at block {p.effective_height} does not apply: {e}") from None
        return s

    def extend(self, answer: ValidatorChangesAnswer) -> None:
        """Takes in the answer to ``ValidatorChangesQuery(checked_through)``: each change checked
        in its block with the set in force there, then the answer's head with the resulting set.
        A refused answer leaves these sets unchanged."""
        trial = TrustedValidatorSets(self.chain_id, self.anchor_height, self.anchor_hash, self.base, self.changes, self.checked_through)
        trial._extend(answer, self.checked_through)
        self.changes, self.checked_through = trial.changes, trial.checked_through

    def _extend(self, answer: ValidatorChangesAnswer, after: int) -> None:
        if answer.at.header.chain_id != self.chain_id:
            raise ProofError(f"the server answers for chain '{answer.at.header.chain_id}', not '{self.chain_id}'")
        self.changes = [p for p in self.changes if p.effective_height - DELAY <= after]
        previous: Optional[ChainCursor] = None
        for item in answer.items:
            if item.height <= after:
                continue
            if previous is not None and not previous < item.cursor:
                raise ProofError(f"the changes are not in chain order at {item.cursor}")
            previous = item.cursor
            if item.height > answer.at.height:
                raise ProofError(f"the change at {item.cursor} is above the answer's head {answer.at.height}")
            item.verify(self._computed(item.height))
            self.changes.append(PendingValidatorChange(item.height + DELAY, _changes_of(item)))
        if answer.more:
            if previous is None:
                raise ProofError("the server says there are more changes but sent none")
            through = max(previous.height - DELAY, 0)
        else:
            if answer.at.height >= max(1, self.anchor_height):
                answer.at.verify(self._computed(answer.at.height))
            through = max(answer.at.height - DELAY, 0)
        self.checked_through = max(self.checked_through, through)

    def refresh(self, fetch: Fetch) -> None:
        """Asks ``fetch`` for the changes after ``checked_through`` until an answer is whole (at
        most 1000 pages), taking each in."""
        for _ in range(1000):
            before = self.checked_through
            answer = fetch(ValidatorChangesQuery(self.checked_through))
            self.extend(answer)
            if not answer.more:
                return
            if self.checked_through <= before:
                raise ProofError(f"the server's answers make no progress past block {before}")
        raise ProofError("more than 1000 pages of validator-set changes: giving up")

    # -- the cache file (Swift's encoding, "CCSETS01") -----------------------------------------------

    MAGIC = b"CCSETS01"

    def to_bytes(self) -> bytes:
        w = Writer()
        w.fixed(self.MAGIC); w.string(self.chain_id); w.u64(self.anchor_height); w.fixed(self.anchor_hash)
        self.base.encode(w)
        w.u32(len(self.changes))
        for p in self.changes:
            w.u64(p.effective_height)
            w.array(p.changes, lambda w, c: c.encode(w))
        w.u64(self.checked_through)
        return w.bytes

    @staticmethod
    def from_bytes(data: bytes) -> "TrustedValidatorSets":
        def decode(r: Reader) -> TrustedValidatorSets:
            if r.fixed(8, "TrustedValidatorSets.magic") != TrustedValidatorSets.MAGIC:
                from .encoding import CodecError
                raise CodecError("invalidValue", "TrustedValidatorSets.magic", "not a CityChain validator-set cache")
            chain, height, h = r.string(64, "TrustedValidatorSets.chainID"), r.u64("TrustedValidatorSets.anchorHeight"), r.fixed(32, "TrustedValidatorSets.anchorHash")
            base = ValidatorSet.decode(r)
            changes = r.array(1 << 20, "TrustedValidatorSets.changes",
                              lambda r: PendingValidatorChange(r.u64("PendingValidatorChange.effectiveHeight"),
                                                               r.array(64, "PendingValidatorChange.changes", ValidatorChange.decode)))
            return TrustedValidatorSets(chain, height, h, base, changes, r.u64("TrustedValidatorSets.checkedThrough"))
        return decode_whole(data, decode, "TrustedValidatorSets")

