/// Every bound the validator's storage enforces, named with its unit (docs/STORAGE.md, "Limits").
package enum StorageLimits {
    /// Largest record payload (one canonical block plus its certificate), in bytes. Block
    /// production must stay under it; `BlockLog.append` refuses larger records.
    package static let maxRecordBytes = 64 * 1024 * 1024
    /// Largest framed size (prefixes and payloads) of one `append(contentsOf:)` batch, in bytes. It
    /// also bounds the torn tail recovery may cut: nothing larger was ever written without an fsync.
    package static let maxBatchBytes = 128 * 1024 * 1024
    /// Largest block-log file header, in bytes (magic, version, genesis hash, chain id, checksum).
    package static let maxLogHeaderBytes = 8 + 4 + 32 + 4 + 64 + 4
    /// Largest signed message the signer state keeps (a vote's or proposal's sign bytes), in bytes.
    package static let maxSignBytes = 64 * 1024
    /// Largest signature the signer state keeps, in bytes.
    package static let maxSignatureBytes = 1024
}
