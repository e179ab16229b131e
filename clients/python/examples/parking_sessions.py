#!/usr/bin/env python3
"""Parking sessions (the city demo's public dataset): the writer records three sessions through
the gateway (each receipt verified with the validator set of its height, followed from the
genesis through every validator-set change), then a reader

- reads one back, proven (state proof, writing transaction in its certified block);
- asks for the dataset's changes with predicates (``zone="B"``, ``minutes>=30``, as
  ``citychain query dataset --where`` takes them) and gets exactly the matching session;
- fetches a session's transaction by id and its block by height, both proven;
- saves the dataset answer and verifies the file offline (``verify_saved``);
- shows that a forged answer (one payload changed) is refused, and that the genesis set alone
  no longer verifies once the chain's set has changed (when it has).

Prints one JSON line.

  parking_sessions.py --agencies agencies.json --genesis genesis.json --gateway HOST:PORT
      [--indexer HOST:PORT] [--writer tax-office] [--reader land-bureau] [--dataset parking-sessions]
      [--save FILE] [--sets-out FILE]
"""

from __future__ import annotations

import os
import sys

from _common import Demo, arguments, payload, put

from citychain import ledger
from citychain.errors import ProofError
from citychain.indexer import DatasetQuery, FieldPredicate, verify_saved
from citychain.proofs import ChainCursor, ChangesAnswer, ProvenTransaction


def main() -> int:
    p = arguments(__doc__)
    p.add_argument("--writer", default="tax-office")
    p.add_argument("--reader", default="land-bureau")
    p.add_argument("--dataset", default="parking-sessions")
    p.add_argument("--save", help="write the dataset answer here (citychain verify FILE checks it)")
    p.add_argument("--sets-out", help="write the validator sets followed here (the Swift CLI's --trust-cache format)")
    a = p.parse_args()
    d = Demo(a)
    run = os.urandom(4).hex()
    sessions = [("meter-1", {"meter": 1, "zone": "B", "minutes": 45, "paid": True, "run": run}),
                ("meter-2", {"meter": 2, "zone": "B", "minutes": 10, "paid": False, "run": run}),
                ("meter-3", {"meter": 3, "zone": "C", "minutes": 60, "paid": True, "run": run})]
    receipts = [d.submit(a.writer, put(a.dataset, s, payload(v)), payload(v)) for s, v in sessions]
    d.result["written"] = len(receipts)
    d.result["receipts"] = "verified"
    first = receipts[0].cursor
    before = ChainCursor(first.height, first.index - 1) if first.index else ChainCursor.end_of(first.height - 1)
    r = d.reader(a.reader)

    record = r.record(a.dataset, "meter-3")
    d.result["read"] = "verified" if record.payload == payload(sessions[2][1]) else "wrong payload"

    predicates = (FieldPredicate.parse(f'run="{run}"'), FieldPredicate.parse('zone="B"'), FieldPredicate.parse("minutes>=30"))
    q = DatasetQuery(a.dataset, after=before, predicates=predicates, limit=50)
    page = r.dataset(q)
    d.result["dataset_query"] = [str(x) for x in predicates]
    d.result["matched"] = [i.transaction.body.operation.fields["subject"] for i in page.items]
    d.result["saved_dataset_answer"] = verify_saved(r.saved(), d.sets)
    if a.save:
        with open(a.save, "wb") as f:
            f.write(r.saved())

    tx_answer = r.transaction(receipts[1].transaction.id)
    d.result["transaction"] = "verified" if tx_answer.item.cursor == receipts[1].cursor else "another place"
    d.result["transaction_id"] = receipts[1].transaction.id.hex()
    block = r.block(receipts[2].height)
    d.result["block"] = {"height": block.header.height, "transactions": len(block.entries), "withheld": block.withheld}

    # A forged answer: the first item's payload changed (its hash no longer matches the signed body).
    forged_items = list(page.items)
    if forged_items:
        i0 = forged_items[0]
        forged_items[0] = ProvenTransaction(ledger.SignedTransaction(i0.transaction.body, i0.transaction.signatures, b'{"zone":"B","paid":true}'),
                                            i0.proof, i0.header)
    try:
        ChangesAnswer(page.at, forged_items, page.more).verify(a.dataset, None, d.sets)
        d.result["forged_answer"] = "accepted"
    except ProofError as e:
        d.result["forged_answer"] = "refused"
        d.result["forged_answer_why"] = e.message
    try:
        record.verify(a.dataset, "meter-3", d.sets.base)
        d.result["genesis_set_alone"] = "verifies (no set change yet)"
    except ProofError:
        d.result["genesis_set_alone"] = "refused (the set changed since the genesis)"
    d.result["sets_known_through"] = d.sets.known_through
    if a.sets_out:
        with open(a.sets_out, "wb") as f:
            f.write(d.sets.to_bytes())
    d.result["set_changes_followed"] = len(d.sets.changes)
    ok = (d.result["read"] == "verified" and d.result["matched"] == ["meter-1"] and d.result["transaction"] == "verified"
          and d.result["forged_answer"] == "refused" and block.header.height == receipts[2].height)
    return d.finish(ok)


if __name__ == "__main__":
    sys.exit(main())
