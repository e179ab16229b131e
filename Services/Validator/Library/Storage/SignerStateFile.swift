import CityEncoding

/// The signer state file's bytes (docs/STORAGE.md, "Signer state"):
/// `"CCSIGNR1" | u32 formatVersion | canonical SignerState | u32 checksum`, the checksum covering
/// every byte before it. Pure: encodes and decodes byte arrays.
package enum SignerStateFile {
    /// The 8 magic bytes.
    package static let magic: [UInt8] = Array("CCSIGNR1".utf8)
    /// The only format version this code reads and writes.
    package static let currentVersion: UInt32 = 1

    /// The file content for `state`.
    package static func encode(_ state: SignerState) -> [UInt8] {
        var w = CanonicalWriter(capacity: 256)
        w.fixed(magic)
        w.u32(currentVersion)
        w.encode(state)
        w.u32(RecordChecksum.of(w.bytes))
        return w.bytes
    }

    /// The state in `bytes`; throws `.badStateFile` for anything but a whole, checksummed file.
    package static func decode(_ bytes: [UInt8], path: String) throws(SignerStateError) -> SignerState {
        let action = "the node cannot know what it last signed, so it will not sign: restore the file from a backup taken after the last signature, or (if none) wait until the chain is past every height this validator may have signed and write a new state at that height (docs/STORAGE.md, \"Signer state\")"
        guard bytes.count >= magic.count + 8, Array(bytes.prefix(magic.count)) == magic else {
            throw SignerStateError(.badStateFile, "\(path) is not a signer state file (no \"CCSIGNR1\" magic or too short); \(action)")
        }
        let body = bytes.dropLast(4)
        let stored = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard RecordChecksum.of(body) == stored else {
            throw SignerStateError(.badStateFile, "\(path) fails its checksum; \(action)")
        }
        var r = CanonicalReader(body)
        do {
            _ = try r.fixed(magic.count, "SignerStateFile.magic")
            let version = try r.u32("SignerStateFile.version")
            guard version == currentVersion else {
                throw SignerStateError(.badStateFile, "\(path) has format version \(version), this build reads \(currentVersion); run the matching build")
            }
            let state = try SignerState(from: &r)
            try r.finish("SignerStateFile")
            return state
        } catch let e as SignerStateError {
            throw e
        } catch {
            throw SignerStateError(.badStateFile, "\(path) does not decode (\(error)); \(action)")
        }
    }
}
