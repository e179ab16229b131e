/// Why the signer state refused to sign or to load. Typed by `code`; `detail` says what was
/// wrong and what to do (docs/STORAGE.md, "Signer state").
package struct SignerStateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal.
    package enum Code: UInt16, Hashable, Sendable {
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
    }

    /// The kind of refusal.
    package var code: Code
    /// What was wrong and what to do.
    package var detail: String

    /// An error with its code and detail.
    package init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    package var description: String { "signer state \(code): \(detail)" }
}
