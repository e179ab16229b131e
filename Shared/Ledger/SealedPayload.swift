import CityEncoding
import Crypto
import Foundation

/// A restricted record's payload: a random content key HPKE-sealed (Curve25519_SHA256_ChachaPoly,
/// info "citychain/seal/v1") to each reader, and the plaintext encrypted once with ChaChaPoly.
/// Recipients are sorted by (agency, keyID) and unique, so the encoding is canonical.
@MemberwiseInit
package struct SealedPayload: Hashable, Sendable, CanonicalCodable {
    /// The readers and their wrapped content keys.
    package var recipients: [SealedRecipient]
    /// ChaChaPoly combined box: 12-byte nonce, ciphertext, 16-byte tag.
    package var ciphertext: [UInt8]

    /// Why sealing or opening failed.
    package struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// What went wrong and what to do.
        package var description: String
    }

    static var ciphersuite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }
    static var info: Data { Data(LedgerDomain.seal.utf8) }

    /// Encrypts `plaintext` once and seals its content key to each `(agency, keyID, key)`.
    package static func seal(_ plaintext: [UInt8],
                             to readers: [(AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)]) throws -> SealedPayload {
        guard !readers.isEmpty, readers.count <= LedgerLimits.maxSealedRecipients else {
            throw Failure(description: "\(readers.count) readers; seal to 1 to \(LedgerLimits.maxSealedRecipients) keys")
        }
        let contentKey = SymmetricKey(size: .bits256)
        let keyBytes = contentKey.withUnsafeBytes { Array($0) }
        let box = try ChaChaPoly.seal(plaintext, using: contentKey)
        var recipients: [SealedRecipient] = []
        for (agency, keyID, publicKey) in readers {
            var entry = SealedRecipient(agency: agency, keyID: keyID, encapsulatedKey: [], wrappedKey: [])
            var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: ciphersuite, info: info)
            entry.wrappedKey = Array(try sender.seal(keyBytes, authenticating: entry.associatedData))
            entry.encapsulatedKey = Array(sender.encapsulatedKey)
            recipients.append(entry)
        }
        recipients.sort { Signer(agency: $0.agency, keyID: $0.keyID) < Signer(agency: $1.agency, keyID: $1.keyID) }
        for i in recipients.indices.dropFirst()
        where recipients[i - 1].agency == recipients[i].agency && recipients[i - 1].keyID == recipients[i].keyID {
            throw Failure(description: "key \(recipients[i].keyID) of \(recipients[i].agency) listed twice; list each reader key once")
        }
        return SealedPayload(recipients: recipients, ciphertext: Array(box.combined))
    }

    /// Decrypts as `agency`'s key `keyID`; throws if it is not a recipient or the key does not match.
    package func open(as agency: AgencyID, keyID: KeyID, privateKey: Curve25519.KeyAgreement.PrivateKey) throws -> [UInt8] {
        guard let entry = recipients.first(where: { $0.agency == agency && $0.keyID == keyID }) else {
            throw Failure(description: "\(agency)#\(keyID) is not a recipient; ask the writer or owner to re-seal to this key")
        }
        return try open(entry: entry, privateKey: privateKey)
    }

    /// Decrypts with a content key shared later (`shareRecordKeys`) rather than listed in the payload.
    package func open(share entry: SealedRecipient, privateKey: Curve25519.KeyAgreement.PrivateKey) throws -> [UInt8] {
        try open(entry: entry, privateKey: privateKey)
    }

    private func open(entry: SealedRecipient, privateKey: Curve25519.KeyAgreement.PrivateKey) throws -> [UInt8] {
        do {
            let box = try ChaChaPoly.SealedBox(combined: ciphertext)
            return Array(try ChaChaPoly.open(box, using: try Self.unwrap(entry, privateKey: privateKey)))
        } catch {
            throw Failure(description: "cannot open as \(entry.agency)#\(entry.keyID): wrong private key or tampered payload (\(error))")
        }
    }

    private static func unwrap(_ entry: SealedRecipient, privateKey: Curve25519.KeyAgreement.PrivateKey) throws -> SymmetricKey {
        var recipient = try HPKE.Recipient(privateKey: privateKey, ciphersuite: ciphersuite, info: info,
                                           encapsulatedKey: Data(entry.encapsulatedKey))
        return SymmetricKey(data: try recipient.open(entry.wrappedKey, authenticating: entry.associatedData))
    }

    /// The content key, unwrapped as `agency`'s key `keyID` and sealed again to `reader`'s key:
    /// what the dataset owner puts in a `shareRecordKeys` for a grantee. Throws unless the key
    /// opens this payload.
    package func rewrap(as agency: AgencyID, keyID: KeyID, privateKey: Curve25519.KeyAgreement.PrivateKey,
                        to reader: (AgencyID, KeyID, Curve25519.KeyAgreement.PublicKey)) throws -> SealedRecipient {
        guard let entry = recipients.first(where: { $0.agency == agency && $0.keyID == keyID }) else {
            throw Failure(description: "\(agency)#\(keyID) is not a recipient of this payload; only a recipient can share its key")
        }
        let contentKey: SymmetricKey
        do {
            contentKey = try Self.unwrap(entry, privateKey: privateKey)
            _ = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: ciphertext), using: contentKey)
        } catch {
            throw Failure(description: "cannot open as \(agency)#\(keyID): wrong private key or tampered payload (\(error))")
        }
        var share = SealedRecipient(agency: reader.0, keyID: reader.1, encapsulatedKey: [], wrappedKey: [])
        var sender = try HPKE.Sender(recipientKey: reader.2, ciphersuite: Self.ciphersuite, info: Self.info)
        share.wrappedKey = Array(try sender.seal(contentKey.withUnsafeBytes { Array($0) }, authenticating: share.associatedData))
        share.encapsulatedKey = Array(sender.encapsulatedKey)
        return share
    }

    package func encode(to w: inout CanonicalWriter) {
        w.array(recipients)
        w.bytes(ciphertext)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        recipients = try r.array(max: LedgerLimits.maxSealedRecipients, "SealedPayload.recipients")
        guard !recipients.isEmpty else {
            throw CodecError(.invalidValue, field: "SealedPayload.recipients", "no recipients; seal to at least one reader key")
        }
        try LedgerOperation.requireIncreasing(recipients.map { Signer(agency: $0.agency, keyID: $0.keyID) },
                                        "SealedPayload.recipients")
        ciphertext = try r.bytes(max: LedgerLimits.maxPayloadBytes, "SealedPayload.ciphertext")
        guard ciphertext.count >= 28 else {
            throw CodecError(.invalidValue, field: "SealedPayload.ciphertext",
                             "\(ciphertext.count) bytes; a ChaChaPoly box has at least a 12-byte nonce and a 16-byte tag")
        }
    }
}
