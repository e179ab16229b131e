import Logging
import Synchronization

/// Keeps every log event of its `logger`, so a test can check that a warning was logged and why.
final class LogRecorder: Sendable {
    /// One logged event.
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let entries = Mutex<[Entry]>([])

    /// A logger that records into this recorder.
    var logger: Logger { Logger(label: "test.recorder") { _ in Handler(recorder: self) } }

    /// The warnings logged so far.
    var warnings: [Entry] { entries.withLock { $0.filter { $0.level == .warning } } }

    fileprivate func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.append(Entry(level: event.level, message: event.message.description,
                                  metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
