"""Calls on a validator (docs/PROTOCOL.md, part 6): status and submit, over a ``wire.Connection``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from .encoding import CodecError, Reader, Writer, decode_whole
from .errors import Rejection, TransactionRejected
from .ledger import SignedTransaction
from .wire import Connection

SUBMIT, TX_STATUS, STATUS = 0x0101, 0x0102, 0x0106


@dataclass(frozen=True)
class TxStatus:
    """``unknown``, ``pending``, ``committed`` (with height, index, block hash) or ``rejected``
    (with the ledger's ``Rejection``: code, fields and message)."""
    state: str
    commit: Optional[Tuple[int, int, bytes]] = None
    rejection: Optional[Rejection] = None

    @property
    def rejection_code(self) -> Optional[int]:
        return self.rejection.code if self.rejection else None

    @staticmethod
    def decode(r: Reader) -> "TxStatus":
        tag = r.u8("TxStatus.tag")
        if tag == 0:
            return TxStatus("unknown")
        if tag == 1:
            return TxStatus("pending")
        if tag == 2:
            return TxStatus("committed", (r.u64("TxCommit.height"), r.u32("TxCommit.index"), r.fixed(32, "TxCommit.blockHash")))
        if tag == 3:
            return TxStatus("rejected", rejection=Rejection.decode(r))
        raise CodecError("unknownTag", "TxStatus.tag", f"unknown tag {tag}")


def status(conn: Connection) -> Tuple[str, str, int]:
    """The validator's name, chain id and height (the first fields of ValidatorStatus)."""
    r = Reader(conn.request(STATUS))
    return r.string(256, "ValidatorStatus.name"), r.string(64, "ValidatorStatus.chainID"), r.u64("ValidatorStatus.height")


def tx_status(conn: Connection, tx_id: bytes) -> TxStatus:
    """Where a transaction stands at this validator (0x0102)."""
    return decode_whole(conn.request(TX_STATUS, tx_id), TxStatus.decode, "TxStatus")


def submit_or_raise(conn: Connection, tx: SignedTransaction, wait_ms: int = 20000) -> TxStatus:
    """``submit``, raising ``TransactionRejected`` (with the full ``Rejection``) when the ledger refuses it."""
    tx_id, s = submit(conn, tx, wait_ms)
    if s.rejection is not None:
        raise TransactionRejected(tx_id, s.rejection)
    return s


def submit(conn: Connection, tx: SignedTransaction, wait_ms: int = 0) -> Tuple[bytes, TxStatus]:
    """Submits ``tx`` (idempotent: the same id answers its current status) and waits up to
    ``wait_ms`` for its commit; returns (transaction id, status)."""
    w = Writer()
    w.fixed(tx.to_bytes())
    w.u32(wait_ms)

    def decode(r: Reader) -> Tuple[bytes, TxStatus]:
        return r.fixed(32, "SubmitResponse.id"), TxStatus.decode(r)
    return decode_whole(conn.request(SUBMIT, w.bytes), decode, "SubmitResponse")
