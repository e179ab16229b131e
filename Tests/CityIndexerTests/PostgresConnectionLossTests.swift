import CityPostgres
import CityTestSupport
import Logging
import NIOCore
import PostgresNIO
import Testing
@testable import CityIndexer

/// PostgreSQL going away in the middle of a write (a crash, a restart, a dropped link) must end the
/// write with a typed error, never leave it waiting: PostgresNIO 1.33 loses an operation handed to
/// a connection whose pipeline is already torn down ("copyFrom leaked its continuation", and
/// `withTransaction`'s ROLLBACK on the dead connection), which froze the indexer for good after a
/// crash of its database (found by `deploy/chaos --kinds crash-postgres`).
@Suite struct PostgresConnectionLossTests {
    private static func connect(_ db: TestDatabase) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: try db.settings.connectionConfiguration(), id: 1, logger: testLogger)
    }

    private static func backendPID(_ c: PostgresConnection) async throws -> Int {
        for try await pid in try await c.query("SELECT pg_backend_pid()", logger: testLogger).decode(Int.self) { return pid }
        Issue.record("no backend pid")
        return 0
    }

    /// The server ends the backend mid-transaction (as a crash does); the transaction's next step, a
    /// COPY, is handed to the closed connection. The guarded transaction returns
    /// `PostgresConnectionClosed` and nothing of it is committed.
    @Test(.timeLimit(.minutes(2))) func aTransactionWhoseServerGoesAwayReturnsATypedError() async throws {
        let db = try await TestPostgres.database()
        let cluster = try TestPostgres.shared.get()
        _ = try cluster.psql(db, "CREATE TABLE IF NOT EXISTS public.loss_probe (v int)", asService: true)
        let c = try await Self.connect(db)
        let pid = try await Self.backendPID(c)
        do {
            try await c.guardedTransaction("the probe's write", logger: testLogger) { c in
                try await c.query("INSERT INTO public.loss_probe VALUES (1)", logger: testLogger)
                _ = try cluster.psql(db, "SELECT pg_terminate_backend(\(pid))")
                try await c.closeFuture.get()
                try await c.copyFrom(table: "loss_probe", logger: testLogger) { w in try await w.write(ByteBuffer(string: "2\n")) }
            }
            Issue.record("the transaction returned normally on a connection the server ended")
        } catch let e as PostgresConnectionClosed {
            #expect(e.description.contains("closed during the probe's write"), "\(e)")
        }
        #expect(try cluster.psql(db, "SELECT count(*) FROM public.loss_probe") == "0", "nothing of the lost transaction was committed")
    }

    /// Whatever the operation waits on, the guard returns when the connection closes and cancels it.
    @Test(.timeLimit(.minutes(2))) func anOperationThatNeverReturnsIsLeftWhenTheConnectionCloses() async throws {
        let db = try await TestPostgres.database()
        let cluster = try TestPostgres.shared.get()
        let c = try await Self.connect(db)
        let pid = try await Self.backendPID(c)
        let (started, startedGo) = AsyncStream<Void>.makeStream()
        let (ended, endedGo) = AsyncStream<Bool>.makeStream()
        let (never, _) = AsyncStream<Void>.makeStream()
        async let outcome: String = {
            do {
                try await c.unlessClosed("a wait that never ends") {
                    startedGo.yield()
                    for await _ in never {}   // ends only when this task is cancelled
                    endedGo.yield(Task.isCancelled)
                }
                return "returned"
            } catch let e as PostgresConnectionClosed {
                return e.operation
            } catch {
                return "\(error)"
            }
        }()
        for await _ in started { break }
        _ = try cluster.psql(db, "SELECT pg_terminate_backend(\(pid))")
        #expect(await outcome == "a wait that never ends")
        var cancelled = false
        for await c in ended { cancelled = c; break }
        #expect(cancelled, "the abandoned operation's task was cancelled")
    }
}
