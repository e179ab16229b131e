import CityEncoding
import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line: `ts` (RFC 3339, UTC, milliseconds),
/// `level`, `label`, `message`, `source`, then the metadata flattened into top-level keys (nested
/// dictionaries as `outer.inner`; a metadata key that collides with a fixed field is prefixed
/// with `meta.`). For log shippers: `--log-format json`.
package struct JSONLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: @Sendable (String) -> Void

    /// A handler writing to standard error.
    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, sink: JSONLogHandler.standardError)
    }

    /// A handler writing each line (without its newline) to `sink` (tests).
    package init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        sink(Self.line(ts: Date(), level: event.level, label: label, message: "\(event.message)", source: event.source, metadata: merged))
    }

    /// The JSON line for one event (keys sorted, so lines are stable for tests and diffing).
    package static func line(ts: Date, level: Logger.Level, label: String, message: String, source: String,
                             metadata: Logger.Metadata) -> String {
        var fields: [String: String] = [:]
        flatten(metadata, prefix: "", into: &fields)
        var object: [String: String] = [:]
        for (key, value) in fields {
            let fixed = ["ts", "level", "label", "message", "source"].contains(key)
            object[fixed ? "meta.\(key)" : key] = value
        }
        object["ts"] = rfc3339(ts)
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message
        object["source"] = source
        return "{" + object.keys.sorted().map { "\(quote($0)):\(quote(object[$0]!))" }.joined(separator: ",") + "}"
    }

    private static func flatten(_ metadata: Logger.Metadata, prefix: String, into fields: inout [String: String]) {
        for (key, value) in metadata {
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch value {
            case .dictionary(let nested): flatten(nested, prefix: name, into: &fields)
            case .array(let items): fields[name] = "[" + items.map { "\($0)" }.joined(separator: ", ") + "]"
            case .string(let s): fields[name] = s
            case .stringConvertible(let c): fields[name] = c.description
            }
        }
    }

    /// `2026-12-01T18:04:05.123Z`.
    package static func rfc3339(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let ms = millis - seconds * 1000
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }

    /// A JSON string literal (RFC 8259 escaping).
    package static func quote(_ s: String) -> String { JSONString.quote(s) }

    private static let stderrLock = Mutex(())

    @Sendable private static func standardError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        stderrLock.withLock { _ in
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }
}
