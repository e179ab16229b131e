#!/usr/bin/env python3
"""Property registrations (the city demo's internal dataset): the owner (the land bureau) registers
a parcel and records its transfer through the gateway (receipts verified); a reader without a
grant is denied with the protocol's typed error (``Denied``, the indexer's message naming the
owner to ask); the owner grants it access; it reads the new owner back, proven, with the purpose
recorded, and the record's history (both versions); an outsider is still denied; the owner reads
the subject's audit trail (who read it, when, why), verified, and saves it for offline checking.

Prints one JSON line.

  property_registrations.py --agencies agencies.json --genesis genesis.json --gateway HOST:PORT
      [--indexer HOST:PORT] [--owner land-bureau] [--reader tax-office] [--outsider hospital]
      [--dataset property-registrations]
"""

from __future__ import annotations

import os
import sys

from _common import Demo, arguments, payload, put

from citychain.errors import Denied, WireError
from citychain.indexer import verify_saved
from citychain.ledger import Operation


def main() -> int:
    p = arguments(__doc__)
    p.add_argument("--owner", default="land-bureau")
    p.add_argument("--reader", default="tax-office")
    p.add_argument("--outsider", default="hospital")
    p.add_argument("--dataset", default="property-registrations")
    a = p.parse_args()
    d = Demo(a)
    parcel = "parcel-" + os.urandom(3).hex()
    purpose = "property tax assessment"
    first = payload({"parcel": parcel, "address": "12 Harbour Street", "owner": "Ana Silva", "since": "2019-04-11"})
    second = payload({"parcel": parcel, "address": "12 Harbour Street", "owner": "Rui Costa", "since": "2026-12-01",
                      "previousOwner": "Ana Silva", "price": 412000})
    d.submit(a.owner, put(a.dataset, parcel, first), first)
    transfer = d.submit(a.owner, put(a.dataset, parcel, second), second)
    d.result["written"] = 2
    d.result["parcel"] = parcel

    def denied(agency: str) -> str:
        try:
            d.reader(agency).record(a.dataset, parcel, purpose)
            return "read"
        except Denied as e:
            d.result[f"denied_{agency}"] = e.message
            return "denied"
        except WireError as e:
            return f"{e.name}: {e.message}"

    d.result["before_grant"] = denied(a.reader)
    d.submit(a.owner, Operation("grantAccess", {"dataset": a.dataset, "grantee": a.reader, "expiresAtHeight": transfer.height + 100000,
                                                "expiresAtMillis": 0, "purpose": purpose}))
    reader = d.reader(a.reader)
    # The datasets and the grants that concern the reader (0x020E), proven: it holds the new grant now.
    access = reader.access()
    entry = next(e for e, _ in access.datasets if e.id == a.dataset)
    d.result["access_may_read"] = access.can_read(a.reader, entry)
    d.result["access_grants_held"] = [g.dataset for g in access.grants if g.grantee == a.reader]
    record = reader.record(a.dataset, parcel, purpose)
    d.result["read"] = "verified"
    d.result["owner_now"] = __import__("json").loads(record.payload or b"{}").get("owner")
    history = reader.history(a.dataset, parcel, purpose=purpose)
    d.result["history_versions"] = len(history.items)
    d.result["outsider"] = denied(a.outsider)
    owner = d.reader(a.owner)
    audit, anchored = owner.audit(a.dataset, parcel)
    d.result["audit"] = [{"reader": i.record.reader, "purpose": i.record.purpose, "kind": f"0x{i.record.query_kind:04x}"} for i in audit.items]
    d.result["audit_anchored"] = anchored
    d.result["saved_audit_answer"] = verify_saved(owner.saved(), d.sets)
    ok = (d.result["before_grant"] == "denied" and d.result["access_may_read"] and a.dataset in d.result["access_grants_held"] and d.result["owner_now"] == "Rui Costa" and d.result["history_versions"] == 2
          and d.result["outsider"] == "denied" and any(i["reader"] == a.reader and i["purpose"] == purpose for i in d.result["audit"]))
    return d.finish(ok)


if __name__ == "__main__":
    sys.exit(main())
