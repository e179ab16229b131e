import CityNode
import CityPostgres
import CityWire
import CoreMetrics
import Logging
import PostgresNIO
import Synchronization

/// Hot-standby replicas of the index database (`--postgres-read`, PostgreSQL's streaming
/// replication): they take the queries' reads off the primary. A read for an answer proven at
/// height H goes to a replica only when that replica's replayed index head is at least H — the
/// head and the rows of a batch commit in one transaction, and a standby replays transactions in
/// commit order, so every row at or below H is there. Otherwise (every replica behind, down, or
/// none configured) the read goes to the primary; a read a replica fails (a recovery conflict, a
/// lost connection) is retried on the primary.
///
/// Each replica's head is polled every `pollInterval`; a head that cannot be read marks the
/// replica unusable until it can.
package final class ReadReplicas: Sendable {
    struct Replica: Sendable {
        let client: PostgresClient
        /// `user@host:port/database`, for logs and metrics.
        let target: String
    }

    private struct State {
        /// Replayed index height of each replica; nil: unusable (not polled yet, or failing).
        var heights: [UInt64?]
        var next = 0
        /// Reads each replica answered.
        var served: [Int]
    }

    let replicas: [Replica]
    let pollInterval: Duration
    /// A head poll that takes longer marks the replica unusable (a stopped server leaves the pool
    /// waiting for a connection, not failing).
    let pollTimeout: Duration = .seconds(1)
    /// A read that takes longer on a replica is abandoned and run on the primary.
    let readTimeout: Duration
    private let state: Mutex<State>
    private let logger: Logger

    package init(_ settings: [PostgresSettings], pollInterval: Duration = .milliseconds(20), readTimeout: Duration = .seconds(5), logger: Logger) throws(PostgresURLError) {
        self.readTimeout = readTimeout
        var replicas: [Replica] = []
        for s in settings {
            replicas.append(Replica(client: PostgresClient(configuration: try s.indexerClient(), backgroundLogger: logger), target: s.target))
        }
        self.replicas = replicas
        self.pollInterval = pollInterval
        state = Mutex(State(heights: Array(repeating: nil, count: settings.count), served: Array(repeating: 0, count: settings.count)))
        self.logger = logger
    }

    package var isEmpty: Bool { replicas.isEmpty }

    /// The replayed index height of each replica as last polled (nil: unusable).
    package var heights: [UInt64?] { state.withLock { $0.heights } }

    /// Reads each replica answered since start.
    package var servedReads: [Int] { state.withLock { $0.served } }

    func served(_ i: Int) { state.withLock { $0.served[i] += 1 } }

    /// A replica whose replayed head is at least `height` (the next one in turn), or nil: read the primary.
    func pick(atLeast height: UInt64) -> Int? {
        state.withLock { s in
            let n = s.heights.count
            guard n > 0 else { return nil }
            for step in 0..<n {
                let i = (s.next + step) % n
                if let h = s.heights[i], h >= height {
                    s.next = (i + 1) % n
                    return i
                }
            }
            return nil
        }
    }

    /// Marks replica `i` unusable until its head is read again.
    func markDown(_ i: Int) { observed(i, height: nil) }

    /// Replica `i`'s head as just read (nil: unusable).
    func observed(_ i: Int, height: UInt64?) { state.withLock { $0.heights[i] = height } }

    /// Runs the replicas' pools and polls their heads until cancelled.
    package func run() async {
        guard !replicas.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for (i, r) in replicas.enumerated() {
                group.addTask { await r.client.run() }
                group.addTask { await self.poll(i) }
            }
        }
    }

    private func poll(_ i: Int) async {
        let r = replicas[i]
        var failing = false
        /// A head read that outlived its timeout and has not ended: no other is started beside it.
        var stuck: Timeout?
        while !Task.isCancelled {
            do {
                if let s = stuck, !s.ended() { throw s }
                stuck = nil
                let height = try await Self.within(pollTimeout, what: "reading the index head of \(r.target)") { [logger] in
                    var height: UInt64 = 0
                    let rows = try await r.client.query("SELECT height FROM citychain.index_head WHERE id = 1", logger: logger)
                    for try await h in rows.decode(Int64.self) { height = UInt64(h) }
                    return height
                }
                observed(i, height: height)
                Gauge(label: "citychain_indexer_replica_height", dimensions: [("replica", r.target)]).record(Int64(height))
                if failing {
                    failing = false
                    logger.info("read replica answers again", metadata: ["replica": "\(r.target)", "replica.height": "\(height)"])
                }
            } catch {
                if let timeout = error as? Timeout { stuck = timeout }
                markDown(i)
                Gauge(label: "citychain_indexer_replica_height", dimensions: [("replica", r.target)]).record(-1)
                if !failing && !Task.isCancelled {
                    failing = true
                    logger.warning("read replica unusable: its index head cannot be read; queries read the primary meanwhile",
                                   metadata: ["replica": "\(r.target)", "error": "\(String(reflecting: error).prefix(300))"])
                }
            }
            do { try await Task.sleep(for: pollInterval) } catch { return }
        }
    }
}

extension ReadReplicas {
    /// Whether a read has ended.
    final class EndFlag: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    /// A read that did not end in time; `ended()` tells whether it has ended since.
    struct Timeout: Error, CustomStringConvertible {
        var description: String
        var ended: @Sendable () -> Bool
    }

    /// `body`'s result, or `Timeout` once `limit` passed. On timeout `body` is cancelled but not
    /// waited for (a PostgreSQL read does not always stop when cancelled: one on a connection
    /// whose server stopped answering ends only with the connection), so the caller goes on at once.
    static func within<T: Sendable>(_ limit: Duration, what: @autoclosure () -> String,
                                    _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = OneShot<T>()
        let ended = EndFlag()
        let work = Task {
            do { outcome.complete(.success(try await body())) } catch { outcome.complete(.failure(error)) }
            ended.set()
        }
        let description = "\(what()) took more than \(limit)"
        let timer = Task {
            try? await Task.sleep(for: limit)
            if outcome.complete(.failure(Timeout(description: description, ended: { ended.isSet }))) { work.cancel() }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }
}

extension IndexStore {
    /// Runs `read` on a replica whose replayed index head is at least `height`, else (or when the
    /// replica fails it) on the primary. Counted in `citychain_indexer_reads_total{source}`.
    func reading<T: Sendable>(atLeast height: UInt64, _ read: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        if let i = replicas.pick(atLeast: height) {
            do {
                let replica = replicas.replicas[i]
                let out = try await ReadReplicas.within(replicas.readTimeout, what: "a read on \(replica.target)") { try await read(replica.client) }
                replicas.served(i)
                Counter(label: "citychain_indexer_reads_total", dimensions: [("source", "replica")]).increment()
                return out
            } catch let error as IndexerError {
                throw error
            } catch {
                replicas.markDown(i)
                Counter(label: "citychain_indexer_replica_failures_total").increment()
                logger.warning("a read on a replica failed; retried on the primary",
                               metadata: ["replica": "\(replicas.replicas[i].target)", "error": "\(String(reflecting: error).prefix(300))"])
            }
        }
        let out = try await read(client)
        Counter(label: "citychain_indexer_reads_total", dimensions: [("source", "primary")]).increment()
        return out
    }
}
