import CityLedger

/// Every bound the validator's storage enforces, named with its unit (docs/STORAGE.md, "Limits").
package enum StorageLimits {
    /// Largest record payload (one canonical block plus its certificate), in bytes. Block
    /// production must stay under it; `BlockLog.append` refuses larger records.
    package static let maxRecordBytes = 64 * 1024 * 1024
    /// Largest framed size (prefixes and payloads) of one `append(contentsOf:)` batch, in bytes. It
    /// also bounds the torn tail recovery may cut: nothing larger was ever written without an fsync.
    package static let maxBatchBytes = 128 * 1024 * 1024
    /// Largest block-log file header, in bytes: version 1 (magic, version, genesis hash, chain id,
    /// checksum) is at most 116; version 2 adds the base block's header and commit certificate.
    package static let maxLogHeaderBytes = 1024 * 1024
    /// Largest signed message the signer state keeps (a vote's or proposal's sign bytes), in bytes.
    package static let maxSignBytes = 64 * 1024
    /// Largest signature the signer state keeps, in bytes.
    package static let maxSignatureBytes = 1024
    /// Largest snapshot file (`LedgerLimits.maxSnapshotFileBytes`: the format is shared with state sync).
    package static let maxSnapshotBytes = LedgerLimits.maxSnapshotFileBytes
    /// Snapshot files kept by default: the newest, and one older in case the newest is damaged.
    package static let defaultSnapshotsKept = 2
    /// Most snapshot files a store keeps (bounds the directory and the fallback loop at start).
    package static let maxSnapshotsKept = 16
}
