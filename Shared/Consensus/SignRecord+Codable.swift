import CityEncoding
import CityLedger

/// The canonical encoding of a `SignRecord`, what the validator persists before each signature
/// leaves the process: u64 height, u32 round, u8 step, Message, optional Lock, array<Message> earlier (≤ 2).
/// Message = u8 1 + Proposal | u8 2 + Vote. Lock = u32 round, Value, array<Vote> polka (≤ 128).
extension SignRecord: CanonicalCodable {
    package func encode(to w: inout CanonicalWriter) {
        w.u64(height)
        w.u32(round)
        w.u8(step.rawValue)
        w.encode(message)
        w.optional(lock) { w, l in
            w.u32(l.round)
            w.encode(l.value)
            w.array(l.polka)
        }
        w.array(earlier)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let height = try r.u64("SignRecord.height")
        let round = try r.u32("SignRecord.round")
        let rawStep = try r.u8("SignRecord.step")
        guard let step = ConsensusStep(rawValue: rawStep) else { throw .unknownTag("SignRecord.step", rawStep) }
        let message: Message = try r.decode()
        let lock: Lock? = try r.optional("SignRecord.lock") { (r: inout CanonicalReader) throws(CodecError) -> Lock in
            let lockRound = try r.u32("SignRecord.lock.round")
            let value = try Value(from: &r)
            let polka: [Vote] = try r.array(max: 128, "SignRecord.lock.polka")
            guard polka.allSatisfy({ $0.kind == .prevote && $0.round == lockRound && $0.blockHash == value.id }) else {
                throw CodecError(.invalidValue, field: "SignRecord.lock.polka", "the polka must be the lock round's prevotes for the locked value")
            }
            return Lock(round: lockRound, value: value, polka: polka)
        }
        let earlier: [Message] = try r.array(max: 2, "SignRecord.earlier")
        self.init(height: height, round: round, step: step, message: message, lock: lock, earlier: earlier)
    }
}

extension SignRecord.Message: CanonicalCodable {
    package func encode(to w: inout CanonicalWriter) {
        switch self {
        case .proposal(let p): w.u8(1); w.encode(p)
        case .vote(let v): w.u8(2); w.encode(v)
        }
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        let tag = try r.u8("SignRecord.Message")
        switch tag {
        case 1: self = .proposal(try r.decode())
        case 2: self = .vote(try r.decode())
        default: throw .unknownTag("SignRecord.Message", tag)
        }
    }
}
