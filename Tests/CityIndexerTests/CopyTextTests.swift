import CityEncoding
import NIOCore
import Testing
@testable import CityIndexer

/// COPY text rows as PostgreSQL reads them: tab-separated, `\N` for NULL, backslash escapes in
/// text, `\\x` + hex for bytea (the row itself is exercised against a real server by the ingest tests).
struct CopyTextTests {
    func row(_ body: (inout CopyText) -> Void) -> String {
        var t = CopyText(capacity: 4)
        body(&t)
        t.endRow()
        return String(buffer: t.buffer)
    }

    @Test func escapesTextAndHexEncodesBytes() {
        #expect(row { $0.text("a\\b\tc\nd\re"); $0.text(nil); $0.text("") } == "a\\\\b\\tc\\nd\\re\t\\N\t\n")
        #expect(row { $0.text("zone \"B\" — Ünter"); $0.int(-42); $0.bool(true) } == "zone \"B\" — Ünter\t-42\tt\n")
        #expect(row { $0.bytes([0x00, 0x0F, 0xA5, 0xFF]); $0.bytes(nil as [UInt8]?); $0.bytes([UInt8]()) } == "\\\\x000fa5ff\t\\N\t\\\\x\n")
        #expect(row { $0.bytes([UInt8](0...3).reversed()) } == "\\\\x03020100\n", "a sequence without contiguous storage")
        let big = [UInt8]((0..<70_000).map { UInt8($0 & 0xFF) })
        let text = row { $0.bytes(big) }
        #expect(text.utf8.count == 3 + 140_000 + 1 && text.hasPrefix("\\\\x000102") && text.hasSuffix("6f\n"), "grows the buffer past its capacity")
        let long = String(repeating: "x\ty", count: 10_000)
        #expect(row { $0.text(long) } == String(repeating: "x\\ty", count: 10_000) + "\n")
    }
}
