"""CityChain's client library, written from docs/PROTOCOL.md.

This first part holds the canonical encoding (``citychain.encoding``) and the ledger's values
(``citychain.ledger``): transactions of every operation (format 2: a putRecord's payload detached
after the signatures), their ids, signing messages and Merkle leaves, block headers, votes and
commit certificates. The tests decode and re-encode every hex vector of docs/protocol/ledger.md,
read from the document itself.
"""

from .encoding import CodecError, Reader, Writer
from . import ledger

__all__ = ["CodecError", "Reader", "Writer", "ledger"]
