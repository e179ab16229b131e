"""CityChain's client library, written from docs/PROTOCOL.md.

- ``encoding``: the canonical encoding; ``ledger``: format 2 ledger values, the genesis hash.
- ``wire``: frames, mutual-TLS connections (unary requests and streams); ``errors``: the
  protocol's typed errors (a class per wire error code, rejections with their fields and message).
- ``validator`` and ``gateway``: submit, status, receipts (verifiable offline).
- ``proofs`` and ``indexer``: every indexer query, each answer verified before it is returned;
  saved answers verified offline (``indexer.verify_saved``).
- ``trust``: ``TrustedValidatorSets``, the validator sets followed from the genesis (or a trusted
  block) through every certified validator-set change.
- ``feed``: feeds and ``Watch``, a resumable, exactly-once generator of verified changes.
- ``sealed``: sealed payloads of restricted datasets (HPKE), key re-wrapping for shares.
- ``client``: an agency's TLS files and keys, signing (and co-signing) transactions.
"""

from .encoding import CodecError, Reader, Writer
from . import ledger
from .errors import CatchingUp, Denied, NotFound, ProofError, Rejection, TransactionRejected, WireError

__all__ = ["CodecError", "Reader", "Writer", "ledger", "WireError", "Denied", "NotFound", "CatchingUp", "ProofError",
           "Rejection", "TransactionRejected"]
