import CityLedger

/// Refuses to start a validator whose sign record (`consensus.sign`) is gone while its block log
/// shows it has signed on this chain: without the record it cannot know what it signed at the
/// height in progress, and signing again there could equivocate (docs/OPERATIONS.md, "A missing
/// sign record"). "Has signed" means its key is in the commit certificate of one of the last
/// `lookback` blocks. The operator who knows the record is lost passes `--sign-record-lost`.
package enum SignRecordGuard {
    /// Blocks whose certificates are searched for this validator's signature.
    package static let lookback: UInt64 = 1000

    /// Throws `.missingSignRecord` when the record is missing, `lost` is false and one of the last
    /// `lookback` certificates up to `height` holds `key`'s signature (`certificate(h)` reads height h;
    /// nil where the log holds no block: below a state-synced or pruned log's base).
    package static func check(recordExists: Bool, lost: Bool, key: PublicKey, height: UInt64, path: String,
                              certificate: (UInt64) throws -> CommitCertificate?) throws {
        guard !recordExists, !lost, height > 0 else { return }
        let first = height > lookback ? height - lookback + 1 : 1
        for h in stride(from: height, through: first, by: -1) where try certificate(h)?.signatures.contains(where: { $0.validator == key }) == true {
            throw BlockStoreError(.missingSignRecord, path: path, height: h, """
                the sign record is missing, but this validator's key signed the commit certificate of block \(h): it has been \
                part of this chain and may have signed at height \(height + 1) already, so signing again could double-sign. \
                Restore consensus.sign from a backup taken after its last signature; if it is truly lost, wait until the chain \
                is past height \(height + 1) (citychain status), then start once with --sign-record-lost (docs/OPERATIONS.md, \
                "A missing sign record")
                """)
        }
    }
}
