import PostgresNIO

/// Where the index database is (TLS to PostgreSQL is not configured yet: keep the database on the
/// indexer's host or a private link).
package struct PostgresSettings: Sendable, Hashable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String

    package init(host: String = "127.0.0.1", port: Int = 5432, user: String = "citychain", password: String? = nil,
                 database: String = "citychain") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads `postgres://user[:password]@host[:port]/database`.
    package init(url: String) throws(IndexerError) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw IndexerError(.config, "postgres '\(url)' must be postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        let rest = url.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2).joined(separator: "/")
        let (authority, database) = rest.firstIndex(of: "/").map { (String(rest[..<$0]), String(rest[rest.index(after: $0)...])) } ?? (rest, "citychain")
        var user = "citychain", password: String?, hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let creds = authority[..<at]
            hostPort = String(authority[authority.index(after: at)...])
            if let colon = creds.firstIndex(of: ":") {
                user = String(creds[..<colon])
                password = String(creds[creds.index(after: colon)...])
            } else {
                user = String(creds)
            }
        }
        var host = hostPort, port = 5432
        if let colon = hostPort.lastIndex(of: ":"), let p = Int(hostPort[hostPort.index(after: colon)...]) {
            host = String(hostPort[..<colon])
            port = p
        }
        guard !host.isEmpty, !database.isEmpty, !user.isEmpty else {
            throw IndexerError(.config, "postgres '\(url)' must name a host, a user and a database")
        }
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    var connection: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                         tls: .disable)
    }

    var client: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.maximumConnections = 8
        return c
    }
}
