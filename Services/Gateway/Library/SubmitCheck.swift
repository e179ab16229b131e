import CityLedger

/// Why the gateway refuses a transaction before forwarding it.
package enum SubmitRefusal: Error, Hashable, Sendable {
    /// The ledger would refuse it: the same typed rejection a validator gives.
    case rejected(Rejection)
    /// The caller may not submit it (signed for another agency).
    case forbidden(String)
}

/// The gateway's cheap checks, in the order of their cost, before anything is forwarded: size,
/// canonical form, chain id and signer order (`checkStateless`), that the caller signs for its own
/// agency, expiry against the head the gateway follows, and the signatures of the keys it knows.
/// Pure.
package enum SubmitCheck {
    /// Throws the first thing wrong with `tx` from agency `caller`; `headHeight` nil: not known yet.
    package static func check(_ tx: SignedTransaction, caller: AgencyID, chainID: String, headHeight: UInt64?,
                              keys: KeyDirectory) throws(SubmitRefusal) {
        do { try tx.checkStateless(chainID: chainID) } catch { throw .rejected(error) }
        guard tx.body.signer.agency == caller else {
            throw .forbidden("the transaction is signed by agency '\(tx.body.signer.agency)' but your certificate is agency '\(caller)'; an agency submits its own transactions (co-signers included in the signatures)")
        }
        if let head = headHeight {
            do { try tx.body.checkNotExpired(atHeight: head + 1) } catch { throw .rejected(error) }
            // No lifetime-too-long check here: the head the gateway follows may lag the chain, and a
            // lagging head would refuse what the validators accept.
        }
        do { try keys.checkSignatures(tx) } catch { throw .rejected(error) }
    }
}
