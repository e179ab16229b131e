"""Every ledger hex vector of docs/PROTOCOL.md, read from the document itself, decoded and
re-encoded byte for byte, with its id, hash and signatures checked — so the document and this
client cannot drift apart. Run: python3 -m unittest discover -s clients/python/tests
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402

from citychain import CodecError, Reader, Writer  # noqa: E402
from citychain import ledger  # noqa: E402

PROTOCOL = os.path.join(HERE, "..", "..", "..", "docs", "PROTOCOL.md")


def document() -> str:
    with open(PROTOCOL, encoding="utf-8") as f:
        return f.read()


def ledger_vectors() -> str:
    """The ledger part's "Test vectors": from its fixture paragraph to the next part."""
    doc = document()
    start = doc.index("Fixture (`Tests/CityLedgerTests/Fixture.swift`)")
    end = doc.find("\n# ", start)
    return doc[start:end if end > 0 else len(doc)]


def sections(text: str) -> dict:
    """Heading → (its text up to the first code block, the code block's hex)."""
    out = {}
    for m in re.finditer(r"^#### (.+?)\n(.*?)```\n([0-9a-f\n]+)```", text, re.S | re.M):
        out[m.group(1).strip()] = (m.group(2), bytes.fromhex(m.group(3).replace("\n", "")))
    return out


def key_table(text: str, header: str) -> dict:
    """Rows `| name | `hex` |` of the table whose header starts with `header`."""
    start = text.index(header)
    table = {}
    for line in text[start:].split("\n")[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0].split(" ")[0]] = bytes.fromhex(cells[1].strip("`"))
    return table


def verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


class EncodingVector(unittest.TestCase):
    def test_the_primitives_vector(self) -> None:
        w = Writer()
        w.u8(1); w.u16(0x0203); w.u32(0x04050607); w.u64(0x08090A0B0C0D0E0F); w.i64(-1)
        w.string("parking"); w.bytes_(bytes.fromhex("dead")); w.array([7, 9], lambda w, v: w.u32(v))
        w.optional(None, lambda w, v: w.u8(v)); w.optional(5, lambda w, v: w.u8(v)); w.bool(True)
        doc = document()
        m = re.search(r"encodes as\n`([0-9a-f ]+)`; the string", doc)
        m2 = re.search(r"`true` encode as\n`([0-9a-f ]+)`", doc)
        self.assertIsNotNone(m and m2, "the encoding vector is in docs/PROTOCOL.md")
        expected = bytes.fromhex(m.group(1).replace(" ", "") + m2.group(1).replace(" ", ""))
        self.assertEqual(w.bytes, expected)
        r = Reader(expected)
        self.assertEqual((r.u8("a"), r.u16("b"), r.u32("c"), r.u64("d"), r.i64("e")), (1, 0x0203, 0x04050607, 0x08090A0B0C0D0E0F, -1))

    def test_non_canonical_input_is_refused(self) -> None:
        with self.assertRaises(CodecError) as e:
            Reader(b"\x02").bool("flag")
        self.assertEqual(e.exception.code, "nonCanonical")
        with self.assertRaises(CodecError) as e:
            Reader(b"\x00\x00\x00\x05ab").string(64, "name")
        self.assertEqual(e.exception.code, "truncated")
        with self.assertRaises(CodecError) as e:
            Reader(b"\x00\x01\x00\x00").bytes_(65535, "big")
        self.assertEqual(e.exception.code, "overLimit")


class LedgerVectors(unittest.TestCase):
    text = ledger_vectors()
    vectors = sections(text)
    agencies = key_table(text, "| agency | signing public key |")
    validators = key_table(text, "| validator | public key |")

    def test_every_operation_round_trips_with_its_id_and_signatures(self) -> None:
        names = [name for _, (name, _) in sorted(ledger.OPERATIONS.items())]
        self.assertEqual(len(names), 13)
        for tag, name in enumerate(names, start=1):
            with self.subTest(operation=name):
                self.assertIn(name, self.vectors, f"docs/PROTOCOL.md has no vector for {name}")
                prose, raw = self.vectors[name]
                tx = ledger.SignedTransaction.from_bytes(raw)
                self.assertEqual(tx.to_bytes(), raw, "re-encodes byte for byte")
                self.assertEqual(tx.body.operation.name, name)
                self.assertEqual(tx.body.nonce, tag, "nonce = tag")
                doc_id = re.search(r"id `([0-9a-f]{64})`", prose).group(1)
                self.assertEqual(tx.id.hex(), doc_id)
                self.assertTrue(tx.payload_matches())
                for s in tx.signatures:
                    key = self.agencies[s.signer.agency]
                    self.assertTrue(verifies(key, s.signature, tx.body.signing_message), f"{s.signer.agency}'s signature")
                if name in ledger.ADMIN_OPERATIONS:
                    self.assertEqual([s.signer.agency for s in tx.signatures], ["admin-a", "admin-b"])

    def test_an_erased_payload_keeps_the_id_signatures_and_leaf(self) -> None:
        tx = ledger.SignedTransaction.from_bytes(self.vectors["putRecord"][1])
        self.assertEqual(tx.payload, b'{"owner":"ana"}')
        erased = ledger.SignedTransaction(tx.body, tx.signatures, ledger.ERASED)
        self.assertEqual(erased.to_bytes(), tx.leaf_bytes() + b"\x02")
        again = ledger.SignedTransaction.from_bytes(erased.to_bytes())
        self.assertTrue(again.payload_erased)
        self.assertEqual((again.id, again.leaf_bytes()), (tx.id, tx.leaf_bytes()))
        forged = ledger.SignedTransaction(tx.body, tx.signatures, b'{"owner":"eve"}')
        self.assertFalse(forged.payload_matches(), "a payload is checked against the body's payloadHash")
        with self.assertRaises(CodecError) as e:
            ledger.SignedTransaction.from_bytes(tx.leaf_bytes() + b"\x03")
        self.assertEqual(e.exception.code, "unknownTag")
        with self.assertRaises(CodecError) as e:
            ledger.SignedTransaction.from_bytes(tx.to_bytes() + b"\x00")
        self.assertEqual(e.exception.code, "trailingBytes")

    def test_block_header_vote_and_certificate(self) -> None:
        prose, raw = self.vectors["Block header"]
        header = ledger.BlockHeader.from_bytes(raw)
        self.assertEqual(header.to_bytes(), raw)
        self.assertEqual(header.hash.hex(), re.search(r"Hash `([0-9a-f]{64})`", prose).group(1))
        self.assertEqual(header.height, 7)
        self.assertEqual(header.previous_hash, hashlib.sha256(b"block 6").digest())
        _, vote_raw = self.vectors["Vote"]
        vote = ledger.Vote.from_bytes(vote_raw)
        self.assertEqual(vote.to_bytes(), vote_raw)
        self.assertEqual((vote.kind, vote.height, vote.block_hash), (2, 7, header.hash))
        self.assertTrue(verifies(vote.validator, vote.signature, vote.signing_message("citychain-test")))
        self.assertFalse(verifies(vote.validator, vote.signature, vote.signing_message("other-chain")))
        _, cert_raw = self.vectors["Commit certificate"]
        cert = ledger.CommitCertificate.from_bytes(cert_raw)
        self.assertEqual(cert.to_bytes(), cert_raw)
        self.assertEqual(cert.block_hash, header.hash)
        members = set(self.validators.values())
        for v in cert.precommits():
            self.assertIn(v.validator, members)
            self.assertTrue(verifies(v.validator, v.signature, v.signing_message("citychain-test")))
        self.assertEqual(len(cert.signatures), 3, "30 of 40 power")

    def test_the_merkle_root_of_an_empty_block(self) -> None:
        self.assertEqual(ledger.transactions_root([]).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        tx = ledger.SignedTransaction.from_bytes(self.vectors["putRecord"][1])
        self.assertEqual(ledger.transactions_root([tx]), ledger.leaf_hash(tx.leaf_bytes()))


if __name__ == "__main__":
    unittest.main()


class SealedVector(unittest.TestCase):
    def test_the_documents_sealed_payload_opens_and_a_fresh_one_round_trips(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from cryptography.hazmat.primitives import serialization
        from citychain.sealed import SealedPayload, SealError

        def raw_public(k):   # public_bytes_raw() is cryptography ≥ 40; Debian 12 ships 38
            return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        doc = document()
        m = re.search(r"Vector \(test `SpecVectorTests.sealedPayload`\): `(.*?)` sealed to hospital#2.*?public key `([0-9a-f]{8})…([0-9a-f]{4})`\):\n\n```\n([0-9a-f\n]+)```", doc, re.S)
        self.assertIsNotNone(m, "the sealed payload vector is in docs/PROTOCOL.md")
        plaintext, prefix, suffix = m.group(1).encode(), m.group(2), m.group(3)
        raw = bytes.fromhex(m.group(4).replace("\n", ""))
        sealed = SealedPayload.from_bytes(raw)
        self.assertEqual(sealed.to_bytes(), raw)
        key = X25519PrivateKey.from_private_bytes(bytes([0x45]) * 32)
        public = raw_public(key).hex()
        self.assertTrue(public.startswith(prefix) and public.endswith(suffix))
        self.assertEqual(sealed.open("hospital", 2, key), plaintext)
        with self.assertRaises(SealError):
            sealed.open("hospital", 2, X25519PrivateKey.generate())
        with self.assertRaises(SealError):
            sealed.open("tax-office", 2, key)
        other = X25519PrivateKey.generate()
        fresh = SealedPayload.seal(b"allergy: latex", [("tax-office", 2, raw_public(other)),
                                                        ("hospital", 2, raw_public(key))])
        self.assertEqual([r.agency for r in fresh.recipients], ["hospital", "tax-office"], "sorted by agency")
        again = SealedPayload.from_bytes(fresh.to_bytes())
        self.assertEqual(again.open("tax-office", 2, other), b"allergy: latex")
        self.assertEqual(again.open("hospital", 2, key), b"allergy: latex")


class MerkleVectors(unittest.TestCase):
    def test_the_list_roots_and_the_inclusion_proof(self) -> None:
        doc = document()
        rows = re.findall(r"^\| `\[([^\]]*)\]` \| `([0-9a-f]{64})`", doc, re.M)
        self.assertGreaterEqual(len(rows), 5, "the list-root vectors are in docs/PROTOCOL.md")
        for items, root in rows:
            leaves = [s.strip().strip('"').encode() for s in items.split(",")] if items else []
            self.assertEqual(ledger.merkle_root([ledger.leaf_hash(x) for x in leaves]).hex(), root, items)
        m = re.search(r"Vector: proof of `\"c\"` \(index 2\) in `\[\"a\",\"b\",\"c\"\]`.*?```\n(.*?)```", doc, re.S)
        raw = bytes.fromhex("".join(line.split()[0] for line in m.group(1).strip().split("\n")))
        proof = ledger.InclusionProof.from_bytes(raw)
        self.assertEqual(proof.to_bytes(), raw)
        root = ledger.merkle_root([ledger.leaf_hash(x) for x in (b"a", b"b", b"c")])
        self.assertTrue(proof.verify(b"c", root))
        self.assertFalse(proof.verify(b"b", root))
        forged = ledger.InclusionProof(2, 4, proof.siblings + [root])
        self.assertFalse(forged.verify(b"c", root))
        with self.assertRaises(CodecError) as e:
            ledger.InclusionProof.from_bytes(raw[:8] + (4).to_bytes(8, "big") + raw[16:])
        self.assertEqual(e.exception.code, "invalidValue", "a sibling count the index and count do not imply")
        # Paths of every shape, against roots computed here.
        for n in range(1, 12):
            items = [bytes([i]) for i in range(n)]
            root = ledger.merkle_root([ledger.leaf_hash(x) for x in items])
            for i in range(n):
                siblings = _path(i, [ledger.leaf_hash(x) for x in items])
                p = ledger.InclusionProof(i, n, siblings)
                self.assertTrue(ledger.InclusionProof.from_bytes(p.to_bytes()).verify(items[i], root), (i, n))


def _path(m: int, hashes: list) -> list:
    """PATH(m, D) as docs/protocol/merkle.md writes it."""
    n = len(hashes)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return _path(m, hashes[:k]) + [ledger.merkle_root(hashes[k:])]
    return _path(m - k, hashes[k:]) + [ledger.merkle_root(hashes[:k])]


class CertificateVectors(unittest.TestCase):
    text = ledger_vectors()

    def test_the_certificate_certifies_the_header_under_the_fixture_set(self) -> None:
        validators = key_table(self.text, "| validator | public key |")
        genesis_set = ledger.ValidatorSet([ledger.Validator(k, 10, name) for name, k in validators.items()])
        vectors = sections(self.text)
        header = ledger.BlockHeader.from_bytes(vectors["Block header"][1])
        cert = ledger.CommitCertificate.from_bytes(vectors["Commit certificate"][1])
        ledger.verify_certificate("citychain-test", header, cert, genesis_set)   # 30 of 40 power
        two = ledger.CommitCertificate(cert.height, cert.round, cert.block_hash, cert.signatures[:2])
        with self.assertRaises(ledger.CertificateError):
            ledger.verify_certificate("citychain-test", header, two, genesis_set)   # 20 of 40: not more than 2/3
        with self.assertRaises(ledger.CertificateError):
            ledger.verify_certificate("other-chain", header, cert, genesis_set)
        stranger = ledger.ValidatorSet([ledger.Validator(bytes(32), 10, "x")])
        with self.assertRaises(ledger.CertificateError):
            ledger.verify_certificate("citychain-test", header, cert, stranger)

    def test_the_validator_set_hash_of_the_genesis_vector(self) -> None:
        doc = document()
        m = re.search(r"validator set hash\n\(the one validator\) `([0-9a-f]{64})`", doc)
        self.assertIsNotNone(m, "the validator set hash vector is in docs/PROTOCOL.md")
        v0 = key_table(self.text, "| validator | public key |")["v0"]
        one = ledger.ValidatorSet([ledger.Validator(v0, 10, "v0")])
        self.assertEqual(one.hash.hex(), m.group(1))
        self.assertEqual(ledger.ValidatorSet.decode(Reader(one.to_bytes())), one)


class WireVectors(unittest.TestCase):
    def test_every_frame_and_error_vector(self) -> None:
        from citychain.wire import Frame, WireError
        doc = document()
        start = doc.index("Each vector is a whole frame (length field included)")
        rows = re.findall(r"^\| (request|response|error|stream item|stream end|cancel|ping|pong)[^|]*\| `([0-9a-f ]+)` \|",
                          doc[start:start + 4000], re.M)
        self.assertEqual(len(rows), 8, "the eight frame vectors of docs/PROTOCOL.md")
        types = {"request": 1, "response": 2, "error": 3, "stream item": 4, "stream end": 5, "cancel": 6, "ping": 7, "pong": 8}
        for name, hexed in rows:
            raw = bytes.fromhex(hexed.replace(" ", ""))
            frame = Frame.from_bytes(raw)
            self.assertEqual(frame.type, types[name], name)
            self.assertEqual(frame.to_bytes(), raw, name)
        err = Frame.from_bytes(bytes.fromhex(dict(rows)["error"].replace(" ", "")))
        e = WireError.from_bytes(err.payload)
        self.assertEqual((e.name, e.message), ("forbidden", "no"))
        slow = WireError.from_bytes(bytes.fromhex("0009000005dc00000004736c6f77"))
        self.assertEqual((slow.name, slow.retry_after_ms, slow.message), ("rateLimited", 1500, "slow"))
        self.assertEqual(slow.to_bytes().hex(), "0009000005dc00000004736c6f77")
        m = re.search(r"Malformed \(each must be refused as in \"Malformed input\"\): `([0-9a-f]+)` \(length 1 GiB.*?`([0-9a-f ]+)` \(length 7\), `([0-9a-f ]+)` \(version 2\),\n`([0-9a-f ]+)` \(frame type 9\)", doc, re.S)
        self.assertIsNotNone(m, "the malformed frames are in docs/PROTOCOL.md")
        expected = ["frameTooLarge", "badFrame", "unsupportedVersion", "badFrame"]
        for hexed, name in zip(m.groups(), expected):
            raw = bytes.fromhex(hexed.replace(" ", ""))
            if name == "frameTooLarge":
                raw = raw + b"\x00" * 8
            with self.assertRaises(WireError) as e:
                Frame.from_bytes(raw)
            self.assertEqual(e.exception.name, name, hexed)


class StateVectors(unittest.TestCase):
    def test_state_proofs_and_state_keys(self) -> None:
        from citychain.proofs import StateProof, record_key, state_key, _string
        doc = document()
        root3 = re.search(r"Tree with all three: root\n  `([0-9a-f]{64})`", doc).group(1)
        blocks = re.findall(r"```\n(01 +leaf terminal.*?)```", doc, re.S)
        self.assertEqual(len(blocks), 2, "the presence and absence proofs are in docs/PROTOCOL.md")
        raws = [bytes.fromhex("".join(line.split()[0] for line in b.strip().split("\n"))) for b in blocks]
        presence, absence = (StateProof.from_bytes(x) for x in raws)
        self.assertEqual((presence.to_bytes(), absence.to_bytes()), tuple(raws))
        key = lambda name: hashlib.sha256(name.encode()).digest()
        root = bytes.fromhex(root3)
        self.assertTrue(presence.verify(key("key-b"), b"beta", root))
        self.assertFalse(presence.verify(key("key-b"), b"gamma", root))
        self.assertFalse(presence.verify(key("key-b"), None, root), "presence never verifies as absence")
        self.assertTrue(absence.verify(key("key-d"), None, root))
        self.assertFalse(absence.verify(key("key-c"), None, root))
        self.assertTrue(StateProof.from_bytes(bytes.fromhex("0000000000")).verify(key("x"), None, bytes(32)))
        m = re.search(r'record \("health.visits", "patient-1"\) →\n`([0-9a-f]{64})`; grant \("health.visits",\n"tax-office"\) → `([0-9a-f]{64})`', doc)
        self.assertIsNotNone(m, "the state-key vectors are in docs/PROTOCOL.md")
        self.assertEqual(record_key("health.visits", "patient-1").hex(), m.group(1))
        self.assertEqual(state_key(5, _string("health.visits"), _string("tax-office")).hex(), m.group(2))


class SavedAnswerVector(unittest.TestCase):
    def test_the_saved_answer_layout(self) -> None:
        from citychain.proofs import ProofError, verify_saved
        doc = document()
        m = re.search(r"\| `SavedAnswer\(kind: 0x0302, query: TxStatusRequest\(id: H\), answer: \[0xAB\]\)` \| (.*?) \|\n", doc)
        self.assertIsNotNone(m, "the SavedAnswer vector is in docs/PROTOCOL.md")
        h = hashlib.sha256(b"block 7").digest()
        raw = bytes.fromhex("".join(h.hex() if t == "H" else t.strip("`") for t in m.group(1).split()))
        r = Reader(raw[8:])
        self.assertEqual((raw[:8], r.u16("kind"), r.bytes_(1 << 20, "query"), r.bytes_(1 << 20, "answer")), (b"CCANSW01", 0x0302, h, b"\xab"))
        with self.assertRaises((ProofError, CodecError)):
            verify_saved(raw, ledger.ValidatorSet([]))   # its answer is one byte: not a receipt
        with self.assertRaises(ProofError):
            verify_saved(b"NOTSAVED" + raw[8:], ledger.ValidatorSet([]))
