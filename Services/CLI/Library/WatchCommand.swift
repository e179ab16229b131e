import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging

/// `citychain watch DATASET[,DATASET…]`: follows a feed (docs/FEEDS.md) and prints each committed
/// change with its cursor as it comes; reconnects from its last cursor (failing over between the
/// addresses given) on any disconnect, `tooSlow` or indexer stop, so what it prints is every
/// matching change in chain order, each once.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print committed changes of datasets as they come, with their cursors; resumable (--cursor-file).")

    @Argument(help: "Datasets to follow, comma-separated (1-16).") var datasets: String
    @Option(name: .customLong("indexer"), help: "HOST:PORT of an indexer (repeat for failover; or use --gateway).") var indexers: [String] = []
    @Option(name: .customLong("gateway"), help: "HOST:PORT of a gateway (repeat for failover; or use --indexer).") var gateways: [String] = []
    @Option(help: "Your agency's PEM certificate (the reader is the agency it names).") var cert: String
    @Option(help: "Its PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @Option(help: "Where to start: beginning, now, or a cursor HEIGHT.INDEX (start after it). A --cursor-file that exists wins.")
    var from: String = "now"
    @Option(name: .customLong("where"), help: "A JSON field condition: zone=\"B\", minutes>=30, paid? (repeat; all must hold).")
    var conditions: [String] = []
    @Option(help: "Only changes of this subject.") var subject: String?
    @Option(help: "Why you read (required for internal and restricted datasets; recorded in the audit trail).") var purpose = ""
    @Option(help: "Output: table or json (one JSON object a line: changes, heartbeats, end).") var output: String = "table"
    @OptionGroup var trust: TrustOptions
    @Option(help: "Keep the cursor in FILE: read it at start (resume), rewrite it after every event.") var cursorFile: String?
    @Option(help: "Stop after N changes.") var limit: Int?
    @Option(help: "Stop once every change up to block H is printed.") var untilHeight: UInt64?
    @Option(help: "Give up after this many seconds without a working connection.") var giveUpSeconds: Double = 300

    func run() async throws {
        let request = try makeRequest()
        let (addresses, role) = try upstreams()
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        // Room for a burst (a subscriber resumed after a pause reads what its socket held at once).
        var wire = WireConfiguration()
        wire.maxBufferedStreamItems = 8192
        let client = try WireClient(tls: TLSSetup.client(identity), configuration: wire, logger: Logger(label: "citychain.watch"))
        var tracker = FeedTracker(initial: try startPoint())
        var printer = WatchPrinter(json: output == "json", sets: try trust.offline(), cursorFile: cursorFile)
        var attempt = 0
        var backoff = Backoff(first: .milliseconds(100), cap: .seconds(5))
        var lastGood = ContinuousClock.now
        while true {
            let address = addresses[attempt % addresses.count]
            attempt += 1
            var q = request
            q.start = tracker.start
            do {
                let outcome = try await client.withConnection(host: address.host, port: address.port, expecting: role) { conn in
                    try await follow(conn, q, &tracker, &printer, lastGood: &lastGood)
                }
                switch outcome {
                case .done: return
                case .ended(let end):
                    guard end.reason.resumable else { throw WatchFailure("the feed ended: \(end)") }
                    printer.notice("feed ended (\(end.reason)) at \(end.resumeAfter); resuming")
                    backoff.reset()
                    continue
                case .closed:
                    printer.notice("the stream from \(address) closed; resuming after \(tracker.cursor.map { "\($0)" } ?? "the start")")
                }
            } catch let e as WireError where [.forbidden, .notFound, .invalidRequest, .unknownKind].contains(e.code) {
                throw WatchFailure("\(address) refused the feed: \(e)")
            } catch let e as WatchFailure {
                throw e
            } catch {
                printer.notice("\(address): \(error); reconnecting from \(tracker.cursor.map { "\($0)" } ?? "the start")")
            }
            if ContinuousClock.now - lastGood > .milliseconds(Int64(giveUpSeconds * 1000)) {
                throw WatchFailure("no working connection to \(addresses.map(\.description).joined(separator: ", ")) for \(giveUpSeconds) s; giving up")
            }
            if attempt % addresses.count == 0 {
                _ = try await backoff.wait()
            }
        }
    }

    enum Outcome: Sendable { case done, ended(FeedEnd), closed }

    /// Reads one stream until it ends, the limit is reached or it fails.
    private func follow(_ conn: WireConnection, _ q: FeedRequest, _ tracker: inout FeedTracker, _ printer: inout WatchPrinter,
                        lastGood: inout ContinuousClock.Instant) async throws -> Outcome {
        for try await payload in conn.stream(IndexerAPI.feed, q.canonicalBytes) {
            lastGood = .now
            let event = try FeedEvent(canonicalBytes: payload)
            if case .change(let p) = event, let h = untilHeight, p.height > h { return .done }
            if case .change(let p) = event, let sets = printer.sets, p.height > sets.knownThrough {
                // A change newer than the validator sets known here: follow the set changes up to it
                // (before the tracker takes the change, so a failure resumes with it).
                printer.sets = try await trust.online(fetch: TrustOptions.fetch(on: conn))
                if let known = printer.sets?.knownThrough, p.height > known {
                    throw SetsBehind(description: "the validator sets up to block \(p.height) cannot be proven yet (known through \(known))")
                }
            }
            switch tracker.accept(event) {
            case .deliver(let p):
                try printer.change(p)
                if let limit, tracker.delivered >= limit { return .done }
            case .advanced(let c):
                try printer.heartbeat(c)
                if let h = untilHeight, c >= .endOf(height: h) { return .done }
            case .duplicate:
                continue
            case .ended(let end):
                printer.end(end)
                return .ended(end)
            }
        }
        return .closed
    }

    func makeRequest() throws -> FeedRequest {
        let ids = try datasets.split(separator: ",").map { try DatasetID(String($0)) }
        guard (1...IndexerAPI.maxFeedDatasets).contains(ids.count), Set(ids).count == ids.count else {
            throw ValidationError("DATASET: name 1-\(IndexerAPI.maxFeedDatasets) different datasets, comma-separated")
        }
        let predicates = try conditions.map { c in
            guard let p = FieldPredicate(text: c) else {
                throw ValidationError("--where '\(c)' must be PATH OP VALUE with OP one of = != < <= > >= (or PATH? for exists), e.g. zone=\"B\"")
            }
            return p
        }
        return FeedRequest(datasets: ids, subject: try subject.map { try SubjectKey($0) }, predicates: predicates, start: .now, purpose: purpose)
    }

    func startPoint() throws -> FeedStart {
        if let cursorFile, let text = try? String(contentsOfFile: cursorFile, encoding: .utf8) {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let c = ChainCursor(text: t) else { throw ValidationError("--cursor-file \(cursorFile) holds '\(t)', not a cursor HEIGHT.INDEX") }
            return .after(c)
        }
        guard let s = FeedStart(text: from) else { throw ValidationError("--from '\(from)' must be beginning, now or HEIGHT.INDEX") }
        return s
    }

    func upstreams() throws -> ([HostPort], Role) {
        let (texts, role): ([String], Role) = switch (indexers.isEmpty, gateways.isEmpty) {
        case (false, true): (indexers, .indexer)
        case (true, false): (gateways, .gateway)
        default: throw ValidationError("name --indexer HOST:PORT or --gateway HOST:PORT (repeat either for failover), not both")
        }
        return (try texts.map { t in
            guard let hp = HostPort(t) else { throw ValidationError("--\(role) '\(t)' must be HOST:PORT") }
            return hp
        }, role)
    }
}

/// The server could not yet prove the validator sets a change needs; the watch resumes.
struct SetsBehind: Error, CustomStringConvertible { let description: String }

/// A watch that cannot go on (refused, access ended, no connection); the message says why.
struct WatchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints a watch's events and keeps its cursor file.
struct WatchPrinter {
    let json: Bool
    /// The validator sets proofs are checked with (nil: not checked).
    var sets: TrustedValidatorSets?
    let cursorFile: String?
    var headerPrinted = false
    /// Each block's certificate is checked once, not once per change it carries.
    var verified = VerifiedHeaders()

    mutating func change(_ p: ProvenTransaction) throws {
        if let sets { try verified.verify(p, validatorSet: sets) }
        let d = Dictionary(QueryCommand.describe(p), uniquingKeysWith: { x, _ in x })
        if json {
            var o: [String: Any] = d
            o["type"] = "change"
            o["cursor"] = "\(p.cursor)"
            o["verified"] = sets == nil ? "not checked" : "yes"
            line(o)
        } else {
            if !headerPrinted {
                Swift.print("cursor        signer               record                          payload")
                headerPrinted = true
            }
            Swift.print(StatusCommand.pad("\(p.cursor)", 13) + " " + StatusCommand.pad(d["signer"] ?? "", 20) + " "
                        + StatusCommand.pad(d["record"] ?? "", 31) + " " + (d["payload"] ?? d["deleted"] ?? ""))
        }
        fflush(nil)
        try save(p.cursor)
    }

    func heartbeat(_ c: ChainCursor) throws {
        if json { line(["type": "heartbeat", "cursor": "\(c)"]); fflush(nil) }
        try save(c)
    }

    func end(_ e: FeedEnd) {
        if json { line(["type": "end", "reason": "\(e.reason)", "resumeAfter": "\(e.resumeAfter)", "message": e.message]); fflush(nil) }
    }

    func notice(_ text: String) {
        FileHandle.standardError.write(Data(("watch: " + text + "\n").utf8))
    }

    private func line(_ o: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) else { return }
        Swift.print(String(decoding: data, as: UTF8.self))
    }

    /// Rewrites the cursor file atomically (a crash leaves the old cursor or the new one).
    private func save(_ c: ChainCursor) throws {
        guard let cursorFile else { return }
        try Data("\(c)\n".utf8).write(to: URL(fileURLWithPath: cursorFile), options: .atomic)
    }
}
