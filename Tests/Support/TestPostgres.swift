import CityPKI
import Foundation
import Synchronization

/// Where a test database is: enough for any service's settings type (`url`) or psql.
public struct TestDatabase: Sendable, Hashable {
    public let host: String
    public let port: Int
    public let user: String
    public let database: String
    /// The service role's SCRAM password.
    public let password: String?
    /// The PEM file of the CA that issued the server's certificate (the URL's sslrootcert).
    public let rootCertificate: String?

    public init(host: String, port: Int, user: String, database: String, password: String? = nil, rootCertificate: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.rootCertificate = rootCertificate
    }

    /// `postgres://user:password@host:port/database?sslrootcert=CA`, the form every service's
    /// `--postgres` flag reads: TLS 1.3 with the server's certificate verified (sslmode's default,
    /// verify-full) and SCRAM authentication.
    public var url: String {
        "postgres://\(user)\(password.map { ":" + $0 } ?? "")@\(host):\(port)/\(database)" + (rootCertificate.map { "?sslrootcert=" + $0 } ?? "")
    }

    /// The same database on `cluster` (e.g. a hot standby of this one: same roles and passwords).
    public func on(_ cluster: TestPostgres) -> TestDatabase {
        TestDatabase(host: host, port: cluster.port, user: user, database: database, password: password, rootCertificate: rootCertificate)
    }
}

/// A private PostgreSQL for the test process: `initdb` into a temporary directory (as the
/// `postgres` user when the tests run as root, since PostgreSQL refuses root), started on a free
/// loopback port, stopped when the process exits. Each test gets its own database.
///
/// Secured as docs/OPERATIONS.md asks of production (issue 17 item 4): over TCP only TLS 1.3
/// (`hostssl`, a server certificate from the cluster's own CA, role `database`) with SCRAM-SHA-256
/// passwords; clear-text TCP is refused. The tests' psql (the superuser, tampering and inspecting)
/// uses the cluster's Unix socket in its private directory.
public final class TestPostgres: Sendable {
    public let port: Int
    public let dir: String
    /// The CA that issued the server's certificate (PEM), the services' sslrootcert.
    public let caFile: String
    /// The service role's password (random per cluster; a replica shares its primary's).
    public let servicePassword: String

    /// The one cluster of this test process.
    public static let shared: Result<TestPostgres, any Error> = Result { try TestPostgres() }

    public static func database() async throws -> TestDatabase {
        try await offThePool { try shared.get() }.createDatabase()
    }

    /// Runs blocking work (initdb, pg_ctl, psql: posix_spawn and waitpid) on a Dispatch thread, so
    /// it never holds one of the few threads of Swift's cooperative pool (two on this box) that
    /// every other test's tasks, timeouts and readers run on.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// A cluster of the test's own (e.g. the primary of a replication test, whose base backup
    /// should not copy every other test's databases); stopped when the process exits, or by `stop()`.
    public static func cluster() throws -> TestPostgres { try TestPostgres() }

    private init() throws {
        dir = "/tmp/citychain-pg-test-\(UUID().uuidString.prefix(8))"
        let asRoot = try Self.makeDirectory(dir)
        try Self.run(Self.binDir() + "/initdb", ["-D", dir + "/data", "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "citychain", "--no-sync"],
                     asPostgres: asRoot)
        try Self.hostsOnlyOverTLS(dataDir: dir + "/data")
        caFile = try Self.issueServerCertificate(dir: dir, asRoot: asRoot)
        port = try Self.startServer(dir: dir, tlsDir: dir + "/tls", asRoot: asRoot)
        servicePassword = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try Self.run(Self.binDir() + "/psql", ["-h", dir, "-p", "\(port)", "-U", Self.adminRole, "-d", "postgres", "-q", "-c",
                                               "CREATE ROLE \(Self.serviceRole) LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD '\(servicePassword)'"])
    }

    /// pg_hba.conf: the Unix socket for the tests' own psql (trust: the socket is in the cluster's
    /// private directory), and over TCP TLS with SCRAM only — a clear-text TCP connection finds no line.
    private static func hostsOnlyOverTLS(dataDir: String) throws {
        try """
            # CityChain test cluster (Tests/Support/TestPostgres.swift): TLS and SCRAM over TCP, nothing in clear text.
            local all all trust
            local replication all trust
            hostssl all all 127.0.0.1/32 scram-sha-256
            hostssl all all ::1/128 scram-sha-256

            """.write(toFile: dataDir + "/pg_hba.conf", atomically: false, encoding: .utf8)
    }

    /// A CA of the cluster's own and a `database` certificate for localhost, 127.0.0.1 and ::1 in
    /// `dir`/tls (the key 0600, owned by postgres as PostgreSQL requires); returns the CA's file.
    private static func issueServerCertificate(dir: String, asRoot: Bool) throws -> String {
        let tls = dir + "/tls"
        try FileManager.default.createDirectory(atPath: tls, withIntermediateDirectories: true)
        let ca = try CertificateAuthority.create(commonName: "CityChain test PostgreSQL CA")
        let server = try ca.issue(role: .database, name: "postgres")
        try PEMFiles.write(ca.certificatePEM, to: tls + "/ca.pem", secret: false)
        try PEMFiles.write(server.certificatePEM, to: tls + "/server.pem", secret: false)
        try PEMFiles.write(server.privateKeyPEM, to: tls + "/server.key", secret: true)
        if asRoot { try Self.run("/bin/chown", ["-R", "postgres", tls]) }
        return tls + "/ca.pem"
    }

    /// A hot standby of this cluster: `pg_basebackup -R` (streaming replication, as docs/OPERATIONS.md
    /// describes for read replicas), started on its own port. Same roles and databases, read-only.
    public func startReplica() throws -> TestPostgres { try TestPostgres(replicaOf: self) }

    private init(replicaOf primary: TestPostgres) throws {
        dir = "/tmp/citychain-pg-replica-\(UUID().uuidString.prefix(8))"
        let asRoot = try Self.makeDirectory(dir)
        try Self.run(Self.binDir() + "/pg_basebackup", ["-h", primary.dir, "-p", "\(primary.port)", "-U", Self.adminRole, "-D", dir + "/data",
                                                        "-R", "-X", "stream", "--no-sync", "-c", "fast"], asPostgres: asRoot)
        caFile = primary.caFile
        servicePassword = primary.servicePassword
        port = try Self.startServer(dir: dir, tlsDir: primary.dir + "/tls", asRoot: asRoot)
    }

    /// Creates `dir`, owned by `postgres` when running as root (PostgreSQL refuses root); returns whether we are root.
    private static func makeDirectory(_ dir: String) throws -> Bool {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot { try Self.run("/bin/chown", ["postgres", dir]) }
        return asRoot
    }

    /// Starts the cluster in `dir`/data on a free loopback port (stopped at exit), TLS 1.3 with the
    /// certificate in `tlsDir`; returns the port.
    private static func startServer(dir: String, tlsDir: String, asRoot: Bool) throws -> Int {
        let bin = Self.binDir()
        var lastError: (any Error)?
        for _ in 0..<5 {
            let p = Int.random(in: 20_000...60_000)
            do {
                try Self.run(bin + "/pg_ctl", ["-D", dir + "/data", "-o",
                                               "-p \(p) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 "
                                                + "-c ssl=on -c ssl_cert_file=\(tlsDir)/server.pem -c ssl_key_file=\(tlsDir)/server.key -c ssl_min_protocol_version=TLSv1.3",
                                               "-l", dir + "/log", "-w", "start"], asPostgres: asRoot)
                stopCommands.withLock { $0.append((bin + "/pg_ctl", dir + "/data", asRoot)) }
                if !atExitInstalled.withLock({ installed in defer { installed = true }; return installed }) {
                    atexit {
                        for (ctl, data, root) in TestPostgres.stopCommands.withLock({ $0 }) {
                            _ = try? TestPostgres.run(ctl, ["-D", data, "-m", "immediate", "-w", "stop"], asPostgres: root)
                        }
                    }
                }
                return p
            } catch { lastError = error }
        }
        throw lastError ?? TestFailure("PostgreSQL did not start")
    }

    /// Stops this cluster now (`-m immediate`: as a crash would).
    public func stop() throws {
        try Self.run(Self.binDir() + "/pg_ctl", ["-D", dir + "/data", "-m", "immediate", "-w", "stop"], asPostgres: getuid() == 0)
    }

    static let stopCommands = Mutex<[(String, String, Bool)]>([])
    static let atExitInstalled = Mutex(false)

    public static func binDir() -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for candidate in ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/pgsql/bin"] + path
        where FileManager.default.fileExists(atPath: candidate + "/pg_ctl") && FileManager.default.fileExists(atPath: candidate + "/psql") {
            return candidate
        }
        return "/usr/bin"
    }

    /// Runs a command to completion with posix_spawn and waitpid (Foundation's `Process` never
    /// sees `pg_ctl start` exit: the server it leaves running inherits Process's exit-watch pipe).
    @discardableResult
    public static func run(_ path: String, _ args: [String], asPostgres: Bool = false) throws -> String {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + args : [path] + args
        let outPath = "/tmp/cc-pg-out-\(UUID().uuidString)"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw TestFailure("cannot start \(argv[0]): errno \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exited else { throw TestFailure("\(argv.joined(separator: " ")) failed (status \(status)): \(text)") }
        return text
    }

    /// The role the services connect as: it owns the test databases and may create roles (the
    /// indexer's analyst roles), and is neither superuser nor BYPASSRLS, as docs/OPERATIONS.md asks
    /// of production (issue 14 item 7).
    public static let serviceRole = "citychain_service"
    /// The cluster's superuser (initdb's bootstrap user): tests inspect and tamper with it.
    public static let adminRole = "citychain"

    /// A new empty database, owned by `serviceRole`.
    public func createDatabase() async throws -> TestDatabase {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let (dir, port) = (self.dir, self.port)
        try await Self.offThePool {
            try Self.run(Self.binDir() + "/psql", ["-h", dir, "-p", "\(port)", "-U", Self.adminRole, "-d", "postgres", "-q",
                                                   "-c", "CREATE DATABASE \(name) OWNER \(Self.serviceRole)"])
        }
        return TestDatabase(host: "127.0.0.1", port: port, user: Self.serviceRole, database: name, password: servicePassword, rootCertificate: caFile)
    }

    /// Runs `sql` with psql in `db` as the superuser (or as `db.user` with `asService`), over the
    /// cluster's Unix socket, and returns the unaligned output.
    public func psql(_ db: TestDatabase, _ sql: String, asService: Bool = false) throws -> String {
        try Self.run(Self.binDir() + "/psql", ["-h", dir, "-p", "\(port)", "-U", asService ? db.user : Self.adminRole, "-d", db.database,
                                               "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A test's own failure with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
