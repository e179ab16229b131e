#!/usr/bin/env python3
"""Verifies a saved answer offline (a file `citychain query … --save` or `citychain submit … --save`
wrote) against the chain's genesis validator set, as `citychain verify` does.

  verify_answer.py FILE --genesis genesis.json [--sets CACHE]

With --sets, the validator sets are read from a cache file (TrustedValidatorSets.to_bytes, the
format of the Swift CLI's --trust-cache, "CCSETS01"): answers at heights after a validator-set
change verify offline too.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from citychain import ledger  # noqa: E402
from citychain.encoding import CodecError  # noqa: E402
from citychain.proofs import ProofError, verify_saved  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--genesis", required=True)
    p.add_argument("--sets", help="a validator-set cache (CCSETS01) followed from this genesis")
    a = p.parse_args()
    with open(a.genesis, encoding="utf-8") as f:
        validators = ledger.genesis_validator_set(json.load(f))
    if a.sets:
        from citychain.trust import TrustedValidatorSets
        with open(a.sets, "rb") as f:
            validators = TrustedValidatorSets.from_bytes(f.read())
    with open(a.file, "rb") as f:
        data = f.read()
    try:
        print("verified: " + verify_saved(data, validators))
        return 0
    except (ProofError, CodecError) as e:
        print(f"NOT verified: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
