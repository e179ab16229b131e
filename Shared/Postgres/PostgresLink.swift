import CityNode
import Logging
import NIOSSL
import PostgresNIO

/// Why the database link cannot be used, in words an operator can act on (`PostgresURL.explain`).
package struct PostgresLinkError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var description: String { message }
}

/// The PostgreSQL link of the services that keep state there (indexer, registry) and of the
/// benches: a `PostgresURL` made into PostgresNIO's configurations (TLS as its `sslmode` says),
/// and a failed connection explained in words an operator can act on.
extension PostgresURL {
    /// A pool of at most `maximumConnections` connections to this database.
    package func clientConfiguration(maximumConnections: Int) throws(PostgresURLError) -> PostgresClient.Configuration {
        let tls = try tlsConfiguration()
        var c = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database,
                                             tls: tls.map { .require($0) } ?? .disable)
        c.options.maximumConnections = maximumConnections
        return c
    }

    /// One connection to this database (TLS `require`, never `prefer`: a server that offers no TLS
    /// is refused, not spoken to in clear).
    package func connectionConfiguration() throws(PostgresURLError) -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                         tls: try postgresTLS)
    }

    private var postgresTLS: PostgresConnection.Configuration.TLS {
        get throws(PostgresURLError) {
            guard let tls = try tlsConfiguration() else { return .disable }
            do { return .require(try NIOSSLContext(configuration: tls)) } catch {
                throw PostgresURLError("gives a TLS configuration that cannot be used (\(error))")
            }
        }
    }

    /// Connects and closes: a service checks its link at start with this, before its pool (whose
    /// circuit breaker would report a refused TLS handshake or password a minute later as
    /// "connection creation circuit breaker tripped"). A server that refuses a login or a
    /// certificate closes the connection at once, and the reset can reach the client before the
    /// refusal's words (or its own TLS error) do: such a bare reset is tried again, up to
    /// `attempts` times, so the error names the cause whenever the server or TLS stated one.
    package func checkLink(logger: Logger, attempts: Int = 5) async throws(PostgresLinkError) {
        let configuration: PostgresConnection.Configuration
        do { configuration = try connectionConfiguration() } catch { throw PostgresLinkError(message: "the URL \(error.message)") }
        var last: (any Error)?
        for attempt in 1...max(1, attempts) {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: attempt, logger: logger)
                try? await connection.close()
                return
            } catch {
                last = error
                guard Self.isBareReset(error), attempt < attempts else { break }
                try? await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
        throw PostgresLinkError(message: last.map(explain) ?? "PostgreSQL at \(target) could not be reached")
    }

    /// Why the database does not answer, for a readiness check whose query failed with `error`:
    /// the cause one fresh connection finds (a rotated password, an expired server certificate;
    /// the pool itself only says its circuit breaker tripped), else the query's own error.
    package func notAnswering(after error: any Error, logger: Logger) async -> String {
        do throws(PostgresLinkError) { try await checkLink(logger: logger, attempts: 1) } catch {
            return "PostgreSQL does not answer: \(error.message)"
        }
        return "PostgreSQL takes new connections, but the query failed: \(explain(error))"
    }

    /// A connection reset or closed with no word from the server or from TLS.
    static func isBareReset(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return false }
        switch e.code {
        case .serverClosedConnection, .uncleanShutdown: return true
        case .connectionError:
            if let io = e.underlying as? IOError { return io.errnoCode == ECONNRESET || io.errnoCode == EPIPE }
            if let ssl = e.underlying as? NIOSSLError, case .uncleanShutdown = ssl { return true }
            return String(describing: e.underlying.map { $0 } ?? e).contains("Connection reset by peer")
        default: return false
        }
    }

    /// Why connecting to or querying this database failed, and what to do (never the password).
    package func explain(_ error: any Error) -> String {
        let at = "PostgreSQL at \(target)"
        guard let e = error as? PSQLError else { return "\(at): \(String(reflecting: error))" }
        if Self.isBareReset(e) {
            return "\(at) closed the connection during TLS or login (\(e.underlying.map { String(describing: $0) } ?? "\(e.code)")): "
                + "its log says why — a certificate it did not accept, a password it refused, or no pg_hba.conf line for this host and user"
        }
        switch e.code {
        case .sslUnsupported:
            return "\(at) does not offer TLS, and sslmode=\(sslMode.rawValue) requires it: turn ssl on in its postgresql.conf "
                + "with a certificate from the city CA (docs/OPERATIONS.md, \"The database link\"), or, for a database reachable "
                + "only from this host, add ?sslmode=disable to the URL"
        case .connectionError, .failedToAddSSLHandler, .uncleanShutdown:
            let cause = e.underlying.map { String(describing: $0) } ?? "no cause given"
            if e.underlying is NIOSSLError || e.underlying is BoringSSLError || e.underlying is NIOSSLExtraError {
                return "the TLS handshake with \(at) failed (\(cause)): its certificate must chain to "
                    + "\(rootCertificate ?? "the CA") and, with sslmode=verify-full, name \(host) among its subject alternative names "
                    + "(citychain pki issue --role database --host \(host))"
            }
            return "cannot connect to \(at) (\(cause)): check that the server runs and listens there"
        case .server:
            let state = e.serverInfo?[.sqlState] ?? ""
            let message = e.serverInfo?[.message] ?? "no message"
            switch state {
            case "28P01":
                return "\(at) refused the password of user \(user) (\(message)): check the password in the URL (or CITYCHAIN_POSTGRES)"
            case "28000":
                return "\(at) refused user \(user) (\(message)): pg_hba.conf has no line for this host and user over "
                    + (sslMode == .disable ? "a clear-text link (a secured server accepts only hostssl: use TLS)" : "TLS")
            case "3D000":
                return "\(at): \(message); create it (CREATE DATABASE … OWNER \(user)) or fix the URL"
            default:
                return "\(at) answered an error (\(state)): \(message)"
            }
        case .saslError, .unsupportedAuthMechanism, .authMechanismRequiresPassword:
            return "\(at) could not authenticate user \(user) (\(String(reflecting: e))): with SCRAM, give the password in the URL (or CITYCHAIN_POSTGRES)"
        default:
            return "\(at): \(String(reflecting: e))"
        }
    }
}
