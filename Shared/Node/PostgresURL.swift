import CityWire
import Foundation

/// A PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`: the one parser
/// the indexer, the registry and the benches use. The user and password may be percent-encoded
/// (`%40` for `@`); an IPv6 host is written in brackets (`[::1]:5432`). Errors never repeat the
/// password.
package struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
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
    package static let usage = "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"

    /// A URL from its parts.
    package init(host: String = "127.0.0.1", port: Int = 5432, user: String = "citychain", password: String? = nil,
                 database: String = "citychain") {
        precondition((1...65535).contains(port), "a PostgreSQL port is 1...65535")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `text`; the error says what is wrong and how to write it, without the password.
    package init(_ text: String) throws(PostgresURLError) {
        guard let scheme = ["postgres://", "postgresql://"].first(where: { text.hasPrefix($0) }) else {
            throw PostgresURLError("is not a postgres:// URL")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
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
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    /// The URL with the password replaced by `***` (for logs and errors).
    package var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(h):\(port)/\(database)"
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
