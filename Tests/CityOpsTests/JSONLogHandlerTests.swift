import CityOps
import Foundation
import Logging
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        func append(_ line: String) { all.withLock { $0.append(line) } }
    }

    @Test func eachLineIsOneJSONObjectWithTheFieldsAndFlattenedMetadata() throws {
        let lines = Lines()
        var logger = Logger(label: "citychain.test") { label in JSONLogHandler(label: label, sink: lines.append) }
        logger.logLevel = .debug
        logger[metadataKey: "node.name"] = "validator-0"
        logger.info("committed \"block\"\nnext", metadata: [
            "chain.height": "42",
            "peer": .dictionary(["address": "127.0.0.1:7101", "role": "validator"]),
            "level": "shadowed",
            "list": .array(["a", "b"]),
        ])
        logger.trace("not logged: below the level")
        let all = lines.all.withLock { $0 }
        #expect(all.count == 1)
        let line = try #require(all.first)
        #expect(!line.contains("\n"), "one line per event")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "info")
        #expect(object["label"] == "citychain.test")
        #expect(object["message"] == "committed \"block\"\nnext")
        #expect(object["source"] == "CityOpsTests")
        #expect(object["node.name"] == "validator-0")
        #expect(object["chain.height"] == "42")
        #expect(object["peer.address"] == "127.0.0.1:7101")
        #expect(object["peer.role"] == "validator")
        #expect(object["meta.level"] == "shadowed", "a metadata key never overwrites a fixed field")
        #expect(object["list"] == "[a, b]")
        let ts = try #require(object["ts"])
        #expect(ts.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil, "RFC 3339 UTC with ms: \(ts)")
    }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() {
        #expect(JSONLogHandler.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.rfc3339(Date(timeIntervalSince1970: 1_796_148_245.123_9)) == "2026-12-01T18:04:05.123Z")
    }

    @Test func controlCharactersAreEscaped() throws {
        let line = JSONLogHandler.line(ts: Date(timeIntervalSince1970: 0), level: .error, label: "l", message: "a\u{01}b\tc\\",
                                       source: "s", metadata: [:])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "a\u{01}b\tc\\")
        #expect(line.contains(#"\u0001"#))
    }

    @Test func logFormatNamesTheFlagWhenWrong() {
        #expect(throws: OpsError.self) { try LogFormat.parse("yaml", flag: "--log-format") }
        do { _ = try LogFormat.parse("yaml", flag: "logFormat") } catch { #expect(error.message.contains("logFormat")) }
        #expect((try? LogFormat.parse("json")) == .json)
    }
}
