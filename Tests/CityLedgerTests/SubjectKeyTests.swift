import CityEncoding
import Testing
@testable import CityLedger

@Suite struct SubjectKeyTests {
    /// Found by the fuzzer's review: canonically equivalent strings with different bytes must be
    /// different subjects, as they are different keys in the state tree.
    @Test func equivalentButDifferentBytesAreDifferentSubjects() throws {
        let composed = try SubjectKey("caf\u{e9}")          // é as one code point
        let decomposed = try SubjectKey("cafe\u{301}")     // e + combining acute
        #expect(composed.value == decomposed.value)        // Swift String equality says "same"
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(composed.canonicalBytes != decomposed.canonicalBytes)
        #expect((composed < decomposed) != (decomposed < composed))
        #expect(try SubjectKey(canonicalBytes: decomposed.canonicalBytes) == decomposed)
    }
}
