"""What the city-demo examples share: their arguments, the trusted validator sets (followed from
the genesis through every validator-set change), and signing and submitting through a gateway."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from citychain import gateway  # noqa: E402
from citychain.client import Agency, genesis, load_agencies, load_devnet  # noqa: E402
from citychain.indexer import Indexer  # noqa: E402
from citychain.ledger import Operation, SignedTransaction  # noqa: E402
from citychain.proofs import ProvenTransaction  # noqa: E402
from citychain.trust import TrustedValidatorSets  # noqa: E402
from citychain.wire import Connection  # noqa: E402


def arguments(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--agencies", help="JSON file of the agencies' TLS files and keys (citychain.client.load_agencies)")
    who.add_argument("--devnet", help="a deploy/devnet directory (.devnet): the agencies' certificates and keys from there (citychain.client.load_devnet)")
    p.add_argument("--genesis", required=True, help="the chain's genesis file: the trust anchor of every proof")
    p.add_argument("--gateway", required=True, help="HOST:PORT of a gateway: writes (with receipts) and relayed queries")
    p.add_argument("--indexer", help="HOST:PORT of an indexer (default: read through the gateway)")
    return p


class Demo:
    """The agencies, the chain and the trusted sets of one example run; ``result`` is printed as
    one JSON line at the end."""

    def __init__(self, a: argparse.Namespace) -> None:
        self.args = a
        self.agencies: Dict[str, Agency] = load_agencies(a.agencies) if a.agencies else load_devnet(a.devnet, a.genesis)
        g = genesis(a.genesis)
        self.chain_id: str = g["chainID"]
        self.sets = TrustedValidatorSets.from_genesis(g)
        self.result: Dict[str, Any] = {}
        self._gateways: Dict[str, Connection] = {}
        self._readers: Dict[str, Indexer] = {}

    def gateway(self, agency: str) -> Connection:
        """The agency's connection to the gateway (kept open)."""
        if agency not in self._gateways:
            self._gateways[agency] = self.agencies[agency].connect(self.args.gateway, "gateway")
        return self._gateways[agency]

    def reader(self, agency: str) -> Indexer:
        """Queries as ``agency``, verified with the trusted sets (refreshed as answers need)."""
        if agency not in self._readers:
            conn = self.agencies[agency].connect(self.args.indexer, "indexer") if self.args.indexer else self.gateway(agency)
            self._readers[agency] = Indexer(conn, self.sets)
        return self._readers[agency]

    def submit(self, agency: str, operation: Operation, payload: Optional[bytes] = None, cosigners: tuple = ()) -> ProvenTransaction:
        """Signs ``operation`` as ``agency``, submits it through the gateway and returns its
        receipt, verified with the validator set of its height (TransactionRejected if refused)."""
        conn = self.gateway(agency)
        head = gateway.status(conn).head_height
        tx = self.agencies[agency].transaction(self.chain_id, operation, head + 1000, payload,
                                               cosigners=[self.agencies[c] for c in cosigners])
        outcome = gateway.submit(conn, tx, 20000)
        if outcome.rejection is None and outcome.receipt is not None and outcome.receipt.height > self.sets.known_through:
            Indexer(conn, self.sets).refresh_through(outcome.receipt.height)
        outcome.verify(tx.id, self.sets)
        assert outcome.receipt is not None
        self.reader(agency).wait_until(outcome.receipt.height)     # readable once the indexer has proven it
        return outcome.receipt

    def signed(self, agency: str, operation: Operation, payload: Optional[bytes] = None) -> SignedTransaction:
        head = gateway.status(self.gateway(agency)).head_height
        return self.agencies[agency].transaction(self.chain_id, operation, head + 1000, payload)

    def finish(self, ok: bool) -> int:
        for c in [*self._gateways.values(), *(r.conn for r in self._readers.values())]:
            c.close()
        self.result["ok"] = ok
        print(json.dumps(self.result, sort_keys=True))
        return 0 if ok else 1


def payload(value: Dict[str, Any]) -> bytes:
    """A JSON payload, canonical enough for the demo (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def put(dataset: str, subject: str, data: bytes) -> Operation:
    import hashlib
    return Operation("putRecord", {"dataset": dataset, "subject": subject, "payloadHash": hashlib.sha256(data).digest()})
