#!/usr/bin/env python3
"""Writes a parking session (the public dataset of the city demo) through a validator, signed by the
parking agency's key, waits for the commit, submits it again (idempotent: the same commit), and
shows that a forged signature is refused with the ledger's typed reason. Prints one JSON line.

  submit_parking_session.py --validator HOST:PORT --cert agency.pem --key agency.key --ca ca.pem \
      --agency tax-office --signing-key-hex HEX [--dataset parking.sessions] [--subject bay-12]
      [--indexer HOST:PORT --genesis genesis.json]   (then reads it back, its proofs verified)
      [--gateway HOST:PORT --genesis genesis.json]   (and writes another through a gateway, its receipt verified)
"""

import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from citychain import ledger, validator  # noqa: E402
from citychain.wire import Connection  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--validator", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--agency", required=True)
    p.add_argument("--key-id", type=int, default=1)
    p.add_argument("--signing-key-hex", required=True, help="the agency's Ed25519 private key, 32 bytes in hex")
    p.add_argument("--dataset", default="parking.sessions")
    p.add_argument("--subject", default="bay-12")
    p.add_argument("--indexer", help="HOST:PORT of an indexer to read the record back from, proven")
    p.add_argument("--genesis", help="the chain's genesis file: its validator set verifies the answer")
    p.add_argument("--gateway", help="HOST:PORT of a gateway to submit a second session through, with a receipt")
    a = p.parse_args()
    host, port = a.validator.rsplit(":", 1)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(a.signing_key_hex))
    with Connection(host, int(port), a.cert, a.key, a.ca, expect_role="validator") as conn:
        name, chain_id, height = validator.status(conn)
        payload = json.dumps({"bay": 12, "minutes": 30, "paid": True, "zone": "B"}, sort_keys=True, separators=(",", ":")).encode()
        body = ledger.TransactionBody(chain_id, ledger.Signer(a.agency, a.key_id), int.from_bytes(os.urandom(8), "big"), height + 1000,
                                      ledger.Operation("putRecord", {"dataset": a.dataset, "subject": a.subject,
                                                                     "payloadHash": hashlib.sha256(payload).digest()}))
        tx = ledger.SignedTransaction(body, [ledger.TransactionSignature(body.signer, key.sign(body.signing_message))], payload)
        tx_id, first = validator.submit(conn, tx, wait_ms=20000)
        again_id, again = validator.submit(conn, tx, wait_ms=0)
        other = ledger.TransactionBody(body.chain_id, body.signer, body.nonce + 1, body.expires_at_height, body.operation)
        forged = ledger.SignedTransaction(other, [ledger.TransactionSignature(other.signer, key.sign(body.signing_message))], payload)
        _, refused = validator.submit(conn, forged, wait_ms=0)
    result = {"validator": name, "chain": chain_id, "id": tx_id.hex(), "id_matches": tx_id == tx.id and again_id == tx.id,
              "status": first.state, "height": first.commit[0] if first.commit else None,
              "again": again.state, "same_commit": again.commit == first.commit,
              "forged": refused.state, "forged_rejection_code": refused.rejection_code}
    ok = result["id_matches"] and first.state == "committed" and result["same_commit"] and refused.state == "rejected"
    if a.indexer and first.state == "committed":
        ok = read_back(a, tx, first.commit[0], result) and ok
    if a.gateway:
        ok = through_gateway(a, key, chain_id, height, payload, result) and ok
    print(json.dumps(result))
    return 0 if ok else 1


def through_gateway(a, key, chain_id, height, payload, result) -> bool:
    """A second session through the gateway: its receipt verified against the genesis set, then
    asked again by id (the same receipt)."""
    from citychain import gateway
    from citychain.indexer import Indexer
    from citychain.trust import TrustedValidatorSets
    with open(a.genesis, encoding="utf-8") as f:
        validators = TrustedValidatorSets.from_genesis(json.load(f))   # the sets followed from the genesis through any change
    body = ledger.TransactionBody(chain_id, ledger.Signer(a.agency, a.key_id), int.from_bytes(os.urandom(8), "big"), height + 1000,
                                  ledger.Operation("putRecord", {"dataset": a.dataset, "subject": a.subject + "-gw",
                                                                 "payloadHash": hashlib.sha256(payload).digest()}))
    tx = ledger.SignedTransaction(body, [ledger.TransactionSignature(body.signer, key.sign(body.signing_message))], payload)
    host, port = a.gateway.rsplit(":", 1)
    with Connection(host, int(port), a.cert, a.key, a.ca, expect_role="gateway") as conn:
        outcome = gateway.submit(conn, tx, wait_ms=20000)
        if outcome.receipt is not None:
            Indexer(conn, validators).refresh_through(outcome.receipt.header.header.height)   # the gateway relays 0x020B
        outcome.verify(tx.id, validators)
        again = gateway.receipt(conn, tx.id)
        again.verify(tx.id, validators)
    result["gateway"] = outcome.state
    result["receipt"] = "verified"
    result["receipt_height"] = outcome.receipt.header.header.height
    return outcome.state == "committed" and again.receipt.header.header.height == outcome.receipt.header.header.height


def read_back(a, tx, height, result) -> bool:
    """Reads the record from the indexer (waiting until it indexed the commit) and verifies the
    answer against the genesis validator set; a tampered answer must fail."""
    import time
    from citychain.proofs import ProofError, RecordAnswer, record_query
    from citychain.wire import WireError
    from citychain.indexer import Indexer
    from citychain.trust import TrustedValidatorSets
    with open(a.genesis, encoding="utf-8") as f:
        validators = TrustedValidatorSets.from_genesis(json.load(f))
    host, port = a.indexer.rsplit(":", 1)
    deadline = time.monotonic() + 30
    with Connection(host, int(port), a.cert, a.key, a.ca, expect_role="indexer") as conn:
        while True:
            raw = conn.request(0x0201, record_query(a.dataset, a.subject, "python client check"))
            answer = RecordAnswer.from_bytes(raw)
            if answer.at.header.height >= height or time.monotonic() > deadline:
                break
            time.sleep(0.2)   # the indexer follows the chain; poll its answer's height (bounded above)
        Indexer(conn, validators).refresh()
        try:
            answer.verify(a.dataset, a.subject, validators)
            result["read"] = "verified"
        except ProofError as e:
            result["read"] = f"refused: {e}"
        result["read_payload_matches"] = answer.payload == tx.payload
        forged = RecordAnswer(answer.at, answer.entry, answer.proof,
                              type(answer.current)(ledger.SignedTransaction(tx.body, tx.signatures, b'{"bay":12,"paid":false}'),
                                                   answer.current.proof, answer.current.header))
        try:
            forged.verify(a.dataset, a.subject, validators)
            result["forged_read"] = "accepted"
        except ProofError:
            result["forged_read"] = "refused"
        try:
            conn.request(0x0201, record_query("no.such.dataset", a.subject, "python client check"))
            result["unknown_dataset"] = "answered"
        except WireError as e:
            result["unknown_dataset"] = e.name
    return result["read"] == "verified" and result["read_payload_matches"] and result["forged_read"] == "refused"


if __name__ == "__main__":
    sys.exit(main())
