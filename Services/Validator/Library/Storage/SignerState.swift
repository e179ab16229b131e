import CityEncoding

/// Double-sign protection as a pure value (docs/STORAGE.md, "Signer state"): the last
/// height/round/step this validator signed, with the bytes it signed and the signature.
///
/// `maySign` refuses to go backwards and refuses different bytes for a step already signed; the
/// same bytes again get the stored signature to re-send. `SignerStateStore` persists a new
/// value before the signature may leave the process.
@MemberwiseInit
package struct SignerState: Hashable, Sendable, CanonicalCodable {
    /// One signature: where it was made, what was signed and the signature.
    package struct Signed: Hashable, Sendable {
        /// The height.
        package var height: UInt64
        /// The round.
        package var round: UInt32
        /// The step.
        package var step: SignStep
        /// The exact bytes signed (a vote's or proposal's sign bytes).
        package var signBytes: [UInt8]
        /// The signature over `signBytes`.
        package var signature: [UInt8]

        /// A record from its parts.
        package init(height: UInt64, round: UInt32, step: SignStep, signBytes: [UInt8], signature: [UInt8]) {
            (self.height, self.round, self.step, self.signBytes, self.signature) = (height, round, step, signBytes, signature)
        }
    }

    /// What to do with a request to sign.
    package enum Decision: Hashable, Sendable {
        /// A new step: sign, persist, then send.
        case sign
        /// Already signed these exact bytes: send this stored signature again, do not sign anew.
        case resend(signature: [UInt8])
    }

    /// The last signature made, or nil if this validator never signed.
    package private(set) var last: Signed? = nil

    /// Whether `signBytes` may be signed at `height`/`round`/`step`. Throws `.regression` for a
    /// step before the last one and `.conflict` for other bytes at the last one.
    package func maySign(height: UInt64, round: UInt32, step: SignStep, signBytes: [UInt8]) throws(SignerStateError) -> Decision {
        guard let last else { return .sign }
        let asked = (height, round, step.rawValue)
        let done = (last.height, last.round, last.step.rawValue)
        if asked > done { return .sign }
        if asked < done {
            throw SignerStateError(.regression,
                                   "asked to sign height \(height) round \(round) \(step) after signing height \(last.height) round \(last.round) \(last.step); the consensus state is behind the signer: do not sign, catch up first")
        }
        guard signBytes == last.signBytes else {
            throw SignerStateError(.conflict,
                                   "height \(height) round \(round) \(step) was already signed with other bytes; signing again would equivocate: refused, re-send the stored signature or skip the step")
        }
        return .resend(signature: last.signature)
    }

    /// Records a signature made after `maySign` returned `.sign` for it.
    package mutating func record(_ signed: Signed) {
        if let last {
            precondition((signed.height, signed.round, signed.step.rawValue) > (last.height, last.round, last.step.rawValue),
                         "signer state may only move forward")
        }
        last = signed
    }

    package func encode(to w: inout CanonicalWriter) {
        w.optional(last) { w, s in
            w.u64(s.height)
            w.u32(s.round)
            w.encode(s.step)
            w.bytes(s.signBytes)
            w.bytes(s.signature)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        last = try r.optional("SignerState.last") { (r: inout CanonicalReader) throws(CodecError) in
            Signed(height: try r.u64("SignerState.height"), round: try r.u32("SignerState.round"),
                   step: try SignStep(from: &r), signBytes: try r.bytes(max: StorageLimits.maxSignBytes, "SignerState.signBytes"),
                   signature: try r.bytes(max: StorageLimits.maxSignatureBytes, "SignerState.signature"))
        }
    }
}
