import CityWire
import Foundation
import NIOSSL

/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&sslrootcert=FILE]`:
/// the one parser the indexer, the registry and the benches use. The user and password may be
/// percent-encoded (`%40` for `@`); an IPv6 host is written in brackets (`[::1]:5432`). Errors
/// never repeat the password.
///
/// The link is TLS 1.3 with the server's certificate verified unless the URL says otherwise
/// (`sslmode`, libpq's names): `verify-full` (the default) checks the chain against `sslrootcert`
/// (by default the service's own `--ca`, the city CA) and the host name or IP address against the
/// certificate's subject alternative names; `verify-ca` the chain only; `require` encrypts without
/// checking who answers; `disable` sends everything, SQL and subject ids included, in clear text,
/// and is for a database reachable only from this host.
package struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// How the link to PostgreSQL is protected (libpq's `sslmode` names; `prefer` and `allow`,
    /// which fall back to clear text when the server offers no TLS, are not offered).
    package enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Clear text: only for a database on this host or a private link.
        case disable
        /// TLS without checking the server's certificate (an eavesdropper is kept out, an impostor is not).
        case require
        /// TLS; the server's certificate chains to `sslrootcert`.
        case verifyCA = "verify-ca"
        /// TLS; the certificate chains to `sslrootcert` and names the host connected to (the default).
        case verifyFull = "verify-full"
    }

    /// How the link is protected (`?sslmode=`; `verify-full` when the URL does not say).
    package var sslMode: SSLMode = .verifyFull
    /// PEM file of the CA(s) the server's certificate must chain to (`?sslrootcert=`); nil: the
    /// service's own CA (`withDefaultRootCertificate`).
    package var rootCertificate: String?
    /// Host name or address (IPv6 without brackets).
    package var host: String
    /// TCP port (default 5432).
    package var port: Int
    /// Role to connect as (default `citychain`).
    package var user: String
    /// Password, if the URL has one.
    package var password: String?
    /// Database name (default `citychain`).
    package var database: String

    /// The usage line errors end with.
    package static let usage = "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=verify-full&sslrootcert=CA.pem]"

    /// A URL from its parts.
    package init(host: String = "127.0.0.1", port: Int = 5432, user: String = "citychain", password: String? = nil,
                 database: String = "citychain", sslMode: SSLMode = .verifyFull, rootCertificate: String? = nil) {
        precondition((1...65535).contains(port), "a PostgreSQL port is 1...65535")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.rootCertificate = rootCertificate
    }

    /// Parses `text`; the error says what is wrong and how to write it, without the password.
    package init(_ text: String) throws(PostgresURLError) {
        guard let scheme = ["postgres://", "postgresql://"].first(where: { text.hasPrefix($0) }) else {
            throw PostgresURLError("is not a postgres:// URL")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var sslMode = SSLMode.verifyFull, rootCertificate: String?
        if let query = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: query)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = try Self.decode(parts.count == 2 ? parts[1] : "", String(parts[0]))
                switch parts[0] {
                case "sslmode":
                    guard let mode = SSLMode(rawValue: value) else {
                        throw PostgresURLError("has sslmode=\(value), which is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")) (prefer and allow, which fall back to clear text, are not offered)")
                    }
                    sslMode = mode
                case "sslrootcert":
                    guard !value.isEmpty else { throw PostgresURLError("has an empty sslrootcert; name the PEM file of the CA that issued the server's certificate") }
                    rootCertificate = value
                default:
                    throw PostgresURLError("has the parameter '\(parts[0])', which CityChain does not read (it reads sslmode and sslrootcert)")
                }
            }
            rest = rest[..<query]
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[..<$0] } ?? rest
        let database = slash.map { String(rest[rest.index(after: $0)...]) } ?? "citychain"
        var user = "citychain", password: String?, hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let colon = credentials.firstIndex(of: ":")
            user = try Self.decode(colon.map { credentials[..<$0] } ?? credentials, "user")
            if let colon { password = try Self.decode(credentials[credentials.index(after: colon)...], "password") }
        }
        guard let (host, port) = Self.hostPort(hostPort) else {
            throw PostgresURLError("has a bad host or port (HOST, HOST:PORT with a port 1-65535, or [IPv6]:PORT)")
        }
        guard !user.isEmpty, !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError("must name a user and one database")
        }
        self.init(host: host, port: port, user: user, password: password, database: database, sslMode: sslMode,
                  rootCertificate: rootCertificate)
    }

    /// The URL with the password replaced by `***` (for logs and errors).
    package var description: String { text(password: password == nil ? nil : "***") }

    /// The URL that parses back to this one, password included (to hand to a process it starts;
    /// never log it).
    package var urlWithPassword: String { text(password: password.map { Self.encode($0) }) }

    private func text(password: String?) -> String {
        let h = host.contains(":") ? "[\(host)]" : host
        var query: [String] = []
        if sslMode != .verifyFull { query.append("sslmode=\(sslMode.rawValue)") }
        if let rootCertificate { query.append("sslrootcert=\(Self.encode(rootCertificate, keeping: "/"))") }
        return "postgres://\(Self.encode(user))\(password.map { ":" + $0 } ?? "")@\(h):\(port)/\(database)"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// Percent-encodes what would end a part of the URL (`:@/?&=%#` and spaces, but `keeping`).
    private static func encode(_ text: String, keeping: String = "") -> String {
        var allowed = CharacterSet.urlUserAllowed
        allowed.remove(charactersIn: ":@/?&=%# ")
        allowed.insert(charactersIn: keeping)
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `user@host:port/database` (for errors and logs).
    package var target: String { "\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// This URL with `path` (a service's `--ca`) as the CA when the URL names none.
    package func withDefaultRootCertificate(_ path: String) -> PostgresURL {
        var url = self
        if url.rootCertificate == nil { url.rootCertificate = path }
        return url
    }

    /// The client TLS configuration for `sslMode` (nil for `disable`): TLS 1.3, the CA read now so
    /// a missing or unreadable file is said at start, not at the first query.
    package func tlsConfiguration() throws(PostgresURLError) -> TLSConfiguration? {
        guard sslMode != .disable else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        switch sslMode {
        case .disable: return nil
        case .require: tls.certificateVerification = .none
        case .verifyCA, .verifyFull:
            tls.certificateVerification = sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            guard let rootCertificate else {
                throw PostgresURLError("has sslmode=\(sslMode.rawValue) but no CA to check the server's certificate against; add sslrootcert=FILE (the CA that issued it)")
            }
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(rootCertificate)
                guard !roots.isEmpty else { throw PostgresURLError("has sslrootcert=\(rootCertificate), which holds no PEM certificate") }
                tls.trustRoots = .certificates(roots)
            } catch let error as PostgresURLError {
                throw error
            } catch {
                throw PostgresURLError("has sslrootcert=\(rootCertificate), which cannot be read as PEM certificates (\(error)); name the CA file that issued the server's certificate")
            }
        }
        return tls
    }

    /// `HOST`, `HOST:PORT` or `[IPv6]:PORT` (port 5432 when omitted).
    static func hostPort(_ text: Substring) -> (String, Int)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if after.isEmpty { return host.isEmpty ? nil : (host, 5432) }
            guard after.hasPrefix(":"), let hp = HostPort("[\(host)]" + after) else { return nil }
            return (hp.host, hp.port)
        }
        guard !text.isEmpty else { return nil }
        guard text.contains(":") else { return (String(text), 5432) }
        guard let hp = HostPort(String(text)), !hp.host.contains(":") else { return nil }
        return (hp.host, hp.port)
    }

    /// Percent-decodes a user or password.
    static func decode(_ text: Substring, _ part: String) throws(PostgresURLError) -> String {
        guard text.contains("%") else { return String(text) }
        guard let decoded = String(text).removingPercentEncoding else {
            throw PostgresURLError("has a badly percent-encoded \(part); encode each reserved character as %XX")
        }
        return decoded
    }
}

/// Why a PostgreSQL URL cannot be used; it never holds the password.
package struct PostgresURLError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong ("has a bad host or port …").
    package var problem: String
    /// An error.
    package init(_ problem: String) { self.problem = problem }
    /// What is wrong and how to write it.
    package var message: String { "\(problem); \(PostgresURL.usage)" }
    package var description: String { message }
}
