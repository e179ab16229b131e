#!/usr/bin/env python3
"""Medical records (the city demo's restricted dataset): the hospital writes a visit record
sealed (HPKE) to its own sealing key — the chain carries ciphertext only — and reads it back,
proven, opening it with its key; an agency without a grant is denied (``Denied``); the hospital
then grants a second agency access: its read is proven but the record, written before the grant,
is not sealed to it; the hospital re-wraps the record's key to it on chain (``shareRecordKeys``),
and the grantee fetches the shared keys (0x020D, proven) and opens the record; the hospital reads
the record's audit trail, verified. Saved key-share and audit answers verify offline.

Prints one JSON line.

  medical_records.py --agencies agencies.json --genesis genesis.json --gateway HOST:PORT
      [--indexer HOST:PORT] [--owner hospital] [--grantee land-bureau] [--outsider tax-office]
      [--dataset medical-records]
"""

from __future__ import annotations

import json
import os
import sys

from _common import Demo, arguments, payload, put

from citychain.errors import Denied, WireError
from citychain.indexer import verify_saved
from citychain.ledger import Operation, RecordKeyShare
from citychain.sealed import SealedPayload, SealError


def main() -> int:
    p = arguments(__doc__)
    p.add_argument("--owner", default="hospital")
    p.add_argument("--grantee", default="land-bureau")
    p.add_argument("--outsider", default="tax-office")
    p.add_argument("--dataset", default="medical-records")
    a = p.parse_args()
    d = Demo(a)
    owner, grantee = d.agencies[a.owner], d.agencies[a.grantee]
    patient = "patient-" + os.urandom(3).hex()
    visit = payload({"patient": patient, "visit": "2026-12-01", "ward": "emergency", "allergies": ["penicillin", "latex"], "bloodType": "A+"})
    sealed = SealedPayload.seal(visit, [(owner.id, owner.sealing_key_id, owner.sealing_public_key)]).to_bytes()
    receipt = d.submit(a.owner, put(a.dataset, patient, sealed), sealed)
    d.result["written"] = "sealed"
    committed = receipt.transaction.payload
    d.result["ciphertext_only"] = isinstance(committed, bytes) and b"penicillin" not in committed and committed == sealed

    record = d.reader(a.owner).record(a.dataset, patient, "treatment")
    opened = SealedPayload.from_bytes(record.payload or b"").open(owner.id, owner.sealing_key_id, owner.sealing_key)
    d.result["owner_read"] = "verified"
    d.result["owner_opened"] = json.loads(opened)["allergies"]

    try:
        d.reader(a.outsider).record(a.dataset, patient, "curiosity")
        d.result["outsider"] = "read"
    except Denied as e:
        d.result["outsider"] = "denied"
        d.result["outsider_message"] = e.message
    except WireError as e:
        d.result["outsider"] = f"{e.name}: {e.message}"

    d.submit(a.owner, Operation("grantAccess", {"dataset": a.dataset, "grantee": a.grantee, "expiresAtHeight": receipt.height + 100000,
                                                "expiresAtMillis": 0, "purpose": "outbreak tracing"}))
    reader = d.reader(a.grantee)
    theirs = reader.record(a.dataset, patient, "outbreak tracing")
    box = SealedPayload.from_bytes(theirs.payload or b"")
    try:
        box.open(grantee.id, grantee.sealing_key_id, grantee.sealing_key)
        d.result["grantee_before_share"] = "opened"
    except SealError:
        d.result["grantee_before_share"] = "sealed, not opened"

    assert record.entry is not None
    share = box.rewrap(owner.id, owner.sealing_key_id, owner.sealing_key, (grantee.id, grantee.sealing_key_id, grantee.sealing_public_key))
    d.submit(a.owner, Operation("shareRecordKeys", {"dataset": a.dataset, "grantee": a.grantee,
                                                    "shares": [RecordKeyShare(patient, record.entry.version, share)]}))
    shares = reader.key_shares(a.dataset, a.grantee, purpose="outbreak tracing")
    d.result["key_shares"] = len(shares.items)
    d.result["saved_key_shares"] = verify_saved(reader.saved(), d.sets)
    mine = [s.key for item in shares.items for s in item.transaction.body.operation.fields["shares"] if s.subject == patient]
    text = None
    for k in mine:
        try:
            text = box.open_share(k, grantee.sealing_key)
            break
        except SealError:
            continue
    d.result["grantee_opened"] = json.loads(text)["allergies"] if text else None

    audit, anchored = d.reader(a.owner).audit(a.dataset, patient)
    d.result["audit_readers"] = sorted({i.record.reader for i in audit.items})
    d.result["audit_anchored"] = anchored
    d.result["saved_audit"] = verify_saved(d.reader(a.owner).saved(), d.sets)
    ok = (d.result["ciphertext_only"] and d.result["owner_opened"] == ["penicillin", "latex"] and d.result["outsider"] == "denied"
          and d.result["grantee_before_share"] == "sealed, not opened" and d.result["grantee_opened"] == ["penicillin", "latex"]
          and a.grantee in d.result["audit_readers"])
    return d.finish(ok)


if __name__ == "__main__":
    sys.exit(main())
