#!/usr/bin/env bash
# Builds docs/PROTOCOL.md from its parts (docs/protocol/*.md), demoting each part's headings one
# level under a numbered part heading. Run after editing a part: docs/protocol/assemble.sh
set -euo pipefail
cd "$(dirname "$0")"
parts=(encoding wire ledger merkle fuzzing validator indexer registry gateway feeds)
titles=("Canonical encoding" "Wire protocol: TLS, frames, errors, message kinds" "Ledger: transactions, blocks, votes, certificates, state" "Merkle trees and proofs" "Fuzzing the decoders" "Validator messages: submit, status, gossip, block sync, commit stream" "Indexer queries" "Registry messages: register, heartbeat, lookup, watch" "Gateway messages: submit, receipts, status; relayed queries" "Feeds: live committed changes")
{
  cat intro.md
  for i in "${!parts[@]}"; do
    f="${parts[$i]}.md"
    [ -f "$f" ] || continue
    printf '\n## Part %d. %s\n\n' "$((i + 1))" "${titles[$i]}"
    # Drop the part's own title line; demote its headings by one level.
    tail -n +2 "$f" | sed -E 's/^(#{2,5}) /#\1 /'
  done
} > ../PROTOCOL.md
echo "wrote docs/PROTOCOL.md ($(wc -l < ../PROTOCOL.md) lines)"
