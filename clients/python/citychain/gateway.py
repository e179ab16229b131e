"""Calls on a gateway (docs/PROTOCOL.md, part 9): submit with a receipt, and the receipt of a
transaction submitted earlier. A receipt is a ``ProvenTransaction``: verify it against the
validator set you trust before you rely on the commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from .encoding import CodecError, Reader, Writer, decode_whole
from .errors import Rejection, TransactionRejected
from .ledger import SignedTransaction
from .proofs import ProofError, ProvenTransaction, ValidatorSetSource
from .wire import Connection

SUBMIT, RECEIPT, STATUS = 0x0301, 0x0302, 0x0303


@dataclass(frozen=True)
class GatewayOutcome:
    """``pending``, ``committed`` (with the receipt) or ``rejected`` (with the ledger's ``Rejection``)."""
    id: bytes
    state: str
    receipt: Optional[ProvenTransaction] = None
    rejection: Optional[Rejection] = None

    @property
    def rejection_code(self) -> Optional[int]:
        return self.rejection.code if self.rejection else None

    @staticmethod
    def from_bytes(data: bytes) -> "GatewayOutcome":
        def decode(r: Reader) -> GatewayOutcome:
            tx_id = r.fixed(32, "GatewayOutcome.id")
            tag = r.u8("GatewayOutcome.state")
            if tag == 0:
                return GatewayOutcome(tx_id, "pending")
            if tag == 1:
                return GatewayOutcome(tx_id, "committed", receipt=ProvenTransaction.decode(r))
            if tag == 2:
                return GatewayOutcome(tx_id, "rejected", rejection=Rejection.decode(r))
            raise CodecError("unknownTag", "GatewayOutcome.state", f"unknown tag {tag}")
        return decode_whole(data, decode, "GatewayOutcome")

    def verify(self, tx_id: bytes, validators: ValidatorSetSource) -> None:
        """Raises ProofError unless this is a receipt for ``tx_id`` certified by ``validators``
        (``TransactionRejected`` when the outcome is a rejection)."""
        if self.rejection is not None:
            raise TransactionRejected(self.id, self.rejection)
        if self.state != "committed" or self.receipt is None:
            raise ProofError(f"no receipt: the transaction is {self.state}")
        if self.id != tx_id or self.receipt.transaction.id != tx_id:
            raise ProofError("the receipt is for another transaction")
        self.receipt.verify(validators)


def submit(conn: Connection, tx: SignedTransaction, wait_ms: int = 15000) -> GatewayOutcome:
    """Submits through the gateway (idempotent) and waits up to ``wait_ms`` for the commit."""
    w = Writer()
    w.fixed(tx.to_bytes())
    w.u32(wait_ms)
    return GatewayOutcome.from_bytes(conn.request(SUBMIT, w.bytes))


def receipt(conn: Connection, tx_id: bytes) -> GatewayOutcome:
    """The outcome of a transaction submitted earlier (pending: ask again)."""
    return GatewayOutcome.from_bytes(conn.request(RECEIPT, tx_id))


@dataclass(frozen=True)
class UpstreamHealth:
    address: str
    healthy: bool
    height: int
    detail: str

    @staticmethod
    def decode(r: Reader) -> "UpstreamHealth":
        address = r.string(300, "UpstreamHealth.address")
        healthy = r.u8("UpstreamHealth.healthy")
        if healthy > 1:
            raise CodecError("unknownTag", "UpstreamHealth.healthy", f"{healthy} is not 0 or 1")
        return UpstreamHealth(address, healthy == 1, r.u64("UpstreamHealth.height"), r.string(512, "UpstreamHealth.detail"))


@dataclass(frozen=True)
class GatewayStatus:
    """The chain the gateway serves, the head it has seen, and its upstreams' health."""
    chain_id: str
    head_height: int
    validators: List[UpstreamHealth]
    indexers: List[UpstreamHealth]

    @staticmethod
    def from_bytes(data: bytes) -> "GatewayStatus":
        return decode_whole(data, lambda r: GatewayStatus(r.string(64, "GatewayStatus.chainID"), r.u64("GatewayStatus.headHeight"),
                                                          r.array(1024, "GatewayStatus.validators", UpstreamHealth.decode),
                                                          r.array(1024, "GatewayStatus.indexers", UpstreamHealth.decode)), "GatewayStatus")


def status(conn: Connection) -> GatewayStatus:
    """The gateway's status (0x0303, any role)."""
    return GatewayStatus.from_bytes(conn.request(STATUS))


def submit_or_raise(conn: Connection, tx: SignedTransaction, validators: ValidatorSetSource, wait_ms: int = 20000) -> ProvenTransaction:
    """Submits through the gateway and returns the receipt, verified against ``validators``;
    raises ``TransactionRejected`` (the full ``Rejection``) or ``ProofError`` (pending or a bad receipt)."""
    outcome = submit(conn, tx, wait_ms)
    outcome.verify(tx.id, validators)
    assert outcome.receipt is not None
    return outcome.receipt
