import CityEncoding

/// Why the signer state refused to sign or to load. Typed by `code`; `message` says what was
/// wrong and what to do (docs/STORAGE.md, "Signer state").
package typealias SignerStateError = CodedError<SignerStateErrorCode>

/// The kind of a `SignerStateError` (printed `signer state conflict: …`).
package enum SignerStateErrorCode: UInt16, ErrorCode {
    /// The step was already signed with different bytes: signing would equivocate.
    case conflict = 1
    /// The height/round/step is before the last one signed.
    case regression = 2
    /// The state file is damaged or of an unknown format: the node must not guess.
    case badStateFile = 3
    /// Reading or writing the state file failed.
    case storage = 4
    /// The message or signature is over its bound.
    case tooLarge = 5
    /// The signing function itself failed; nothing was persisted or sent.
    case signingFailed = 6
    /// Another process holds the signer state's lock.
    case locked = 7

    package var name: String { "signer state \(self)" }
}
