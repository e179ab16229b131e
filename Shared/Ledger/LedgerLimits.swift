/// Every bound the ledger enforces, named with its unit (docs/protocol/ledger.md, "Limits").
package enum LedgerLimits {
    /// Largest canonical `SignedTransaction`, in bytes.
    package static let maxTransactionBytes = 64 * 1024
    /// Largest record payload, in bytes.
    package static let maxPayloadBytes = 48 * 1024
    /// Most signatures on one transaction (the signer plus admin co-signers).
    package static let maxSignatures = 16
    /// Longest chain id, in bytes.
    package static let maxChainIDBytes = 64
    /// Longest agency id, in bytes.
    package static let maxAgencyIDBytes = 64
    /// Longest dataset id, in bytes.
    package static let maxDatasetIDBytes = 64
    /// Longest subject key, in bytes of UTF-8.
    package static let maxSubjectKeyBytes = 256
    /// Longest human-readable name (agency, validator), in bytes.
    package static let maxNameBytes = 128
    /// Longest schema name, in bytes.
    package static let maxSchemaBytes = 128
    /// Longest grant purpose or deletion reason, in bytes.
    package static let maxReasonBytes = 256
    /// Most certificates revoked on chain (`revokeCertificate`; one state entry lists them all).
    package static let maxRevokedCertificates = 4096
    /// Most writers a dataset lists.
    package static let maxWritersPerDataset = 64
    /// Most keys (signing and sealing together) an agency holds, revoked ones included.
    package static let maxKeysPerAgency = 32
    /// Most changes in one validator-set change.
    package static let maxValidatorChanges = 64
    /// Most validators in a set.
    package static let maxValidators = 128
    /// Largest total voting power, so that `3 * power` never overflows a `UInt64`.
    package static let maxTotalVotingPower: UInt64 = 1 << 60
    /// Most recipients of a sealed payload.
    package static let maxSealedRecipients = 64
    /// Most record keys one `shareRecordKeys` carries (each ~150 bytes: several fit a transaction).
    package static let maxKeySharesPerTransaction = 256
    /// Largest HPKE encapsulated key, in bytes (X25519 uses 32).
    package static let maxEncapsulatedKeyBytes = 133
    /// Largest wrapped content key, in bytes (32-byte key plus a 16-byte tag).
    package static let maxWrappedKeyBytes = 64
    /// How far ahead of the current height a transaction may expire; bounds the replay set.
    package static let maxTransactionLifetimeHeights: UInt64 = 10_000
    /// Most transactions in one block.
    package static let maxTransactionsPerBlock = 10_000
    /// Most agencies, datasets or admins listed in a genesis file.
    package static let maxGenesisEntries = 10_000
    /// Longest free-text detail a `Rejection` carries on the wire, in bytes of UTF-8.
    package static let maxRejectionDetailBytes = 1024
    /// Most entries (or replay ids) a `LedgerSnapshot` lists.
    package static let maxSnapshotEntries = 1 << 26
    /// Largest snapshot file (header, body, digest), in bytes. A snapshot is built and read whole
    /// in memory, so this bounds the memory of a snapshot write or load; 1M records take 142 MB
    /// (docs/STORAGE.md, "Figures"), so this is room for ~50M.
    package static let maxSnapshotFileBytes = 8 * 1024 * 1024 * 1024
    /// Largest state entry value in a `LedgerSnapshot`, in bytes.
    package static let maxStateValueBytes = 1 << 24
    /// Most equivocation evidence items in one block.
    package static let maxEvidencePerBlock = 64
    /// How many heights back from a block evidence may be included: older evidence is refused,
    /// so the pool and the check need not reach into the distant past.
    package static let maxEvidenceAgeHeights: UInt64 = 10_000
    /// Heights between a validator-set change's block and the first block the new set signs.
    package static let validatorChangeDelayHeights: UInt64 = 2
}
