#!/usr/bin/env python3
"""Writes a parking session (the public dataset of the city demo) through a validator, signed by the
parking agency's key, waits for the commit, submits it again (idempotent: the same commit), and
shows that a forged signature is refused with the ledger's typed reason. Prints one JSON line.

  submit_parking_session.py --validator HOST:PORT --cert agency.pem --key agency.key --ca ca.pem \
      --agency tax-office --signing-key-hex HEX [--dataset parking.sessions] [--subject bay-12]
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
    print(json.dumps(result))
    ok = result["id_matches"] and first.state == "committed" and result["same_commit"] and refused.state == "rejected"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
