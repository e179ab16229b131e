extension TransactionBody {
    /// The expiry rule, in one place for the ledger and anyone checking early (the gateway, against
    /// the head it follows): a transaction may be included at `height` only if it has not expired by
    /// then. The lifetime cap is separate (`LedgerLimits.maxTransactionLifetimeHeights`), because a
    /// checker whose head lags the chain must not apply it.
    package func checkNotExpired(atHeight height: UInt64) throws(Rejection) {
        guard expiresAtHeight >= height else { throw .expired(expiresAtHeight: expiresAtHeight, height: height) }
    }
}
