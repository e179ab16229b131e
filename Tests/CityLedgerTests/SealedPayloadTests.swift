import CityEncoding
import Testing
@testable import CityLedger

@Suite struct SealedPayloadTests {
    typealias F = Fixture

    @Test func sealOpenRoundTripAndNonRecipientCannotOpen() throws {
        let text = Array("{\"allergies\":[\"penicillin\"]}".utf8)
        let sealed = try SealedPayload.seal(text, to: [(F.id("tax-office"), 2, F.sealKey("tax-office").publicKey),
                                                       (F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        #expect(sealed.recipients.map(\.agency) == [F.id("hospital"), F.id("tax-office")])
        let decoded = try SealedPayload(canonicalBytes: sealed.canonicalBytes)
        #expect(decoded == sealed)
        #expect(try decoded.open(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("hospital")) == text)
        #expect(try decoded.open(as: F.id("tax-office"), keyID: 2, privateKey: F.sealKey("tax-office")) == text)
        #expect(throws: SealedPayload.Failure.self) {
            try decoded.open(as: F.id("land-bureau"), keyID: 2, privateKey: F.sealKey("land-bureau"))
        }
        // Posing as a recipient with the wrong private key fails too.
        #expect(throws: SealedPayload.Failure.self) {
            try decoded.open(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("land-bureau"))
        }
        // A relabelled entry does not open (the label is authenticated).
        var relabelled = decoded
        relabelled.recipients[0].keyID = 3
        #expect(throws: SealedPayload.Failure.self) {
            try relabelled.open(as: F.id("hospital"), keyID: 3, privateKey: F.sealKey("hospital"))
        }
        // Tampered ciphertext fails.
        var tampered = decoded
        tampered.ciphertext[20] ^= 1
        #expect(throws: SealedPayload.Failure.self) {
            try tampered.open(as: F.id("hospital"), keyID: 2, privateKey: F.sealKey("hospital"))
        }
    }

    @Test func sealedPutIsAcceptedOnARestrictedDataset() throws {
        var s = F.state()
        let sealed = try SealedPayload.seal([1, 2, 3], to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey)])
        let tx = F.tx("hospital", F.put("health.visits", "patient-1", sealed.canonicalBytes))
        #expect(s.apply(tx, atHeight: 1).successValue == .recordPut(F.ds("health.visits"), F.subject("patient-1"), version: 1))
    }

    @Test func decoderRefusesUnsortedOrEmptyRecipients() throws {
        let sealed = try SealedPayload.seal([1], to: [(F.id("hospital"), 2, F.sealKey("hospital").publicKey),
                                                     (F.id("tax-office"), 2, F.sealKey("tax-office").publicKey)])
        var swapped = sealed
        swapped.recipients.reverse()
        do { _ = try SealedPayload(canonicalBytes: swapped.canonicalBytes); Issue.record("unsorted accepted") } catch {
            #expect(error.code == .nonCanonical)
        }
        let empty = SealedPayload(recipients: [], ciphertext: sealed.ciphertext)
        do { _ = try SealedPayload(canonicalBytes: empty.canonicalBytes); Issue.record("empty accepted") } catch {
            #expect(error.code == .invalidValue)
        }
    }
}
