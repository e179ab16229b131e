import Synchronization

/// How often this process decoded a transaction and hashed a transaction body into its id (issue
/// 13 item 4: each should happen at most once per transaction per process). Two relaxed atomic
/// counters: a few nanoseconds each, so they stay on in release builds, where the bench reads them
/// from the validator's /metrics (`citychain_validator_transaction_decodes_total`,
/// `citychain_validator_transaction_id_hashes_total`) and prints them per committed transaction.
package enum TransactionWork {
    private static let decodeCount = Atomic<Int>(0)
    private static let idHashCount = Atomic<Int>(0)

    /// Transactions decoded from bytes since the process started.
    package static var decodes: Int { decodeCount.load(ordering: .relaxed) }
    /// Transaction ids computed (a SHA-256 of the body's bytes) since the process started.
    package static var idHashes: Int { idHashCount.load(ordering: .relaxed) }

    static func decoded() { decodeCount.add(1, ordering: .relaxed) }
    static func idHashed() { idHashCount.add(1, ordering: .relaxed) }
}
