import CityEncoding

/// Why a block, certificate or genesis check failed. Typed by `code`; `message` says what was
/// wrong and what to do.
package typealias LedgerError = CodedError<LedgerErrorCode>

/// The kind of a `LedgerError`.
package enum LedgerErrorCode: UInt16, ErrorCode {
    /// The certificate is for another height, round or block.
    case certificateMismatch = 1
    /// A certificate signer is not in the validator set.
    case unknownValidator = 2
    /// A validator appears twice in a certificate.
    case duplicateValidator = 3
    /// A certificate signature does not verify.
    case badSignature = 4
    /// The signers hold 2/3 of the power or less.
    case insufficientPower = 5
    /// A block's transactions root does not match its transactions.
    case transactionsRootMismatch = 6
    /// A genesis file breaks a rule.
    case invalidGenesis = 7
    /// A block does not follow its parent (height, chain, parent hash).
    case invalidBlock = 8
    /// A block's header counts a different number of transactions than the block holds.
    case transactionCountMismatch = 9
    /// A state snapshot is inconsistent (root, height or replay ids do not match its entries).
    case invalidSnapshot = 10
    /// A block's evidence root does not match its evidence.
    case evidenceRootMismatch = 11
    /// A putRecord's payload does not hash to the `payloadHash` its signed body commits to.
    case payloadMismatch = 12
}
