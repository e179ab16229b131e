import PostgresNIO

/// Where the registry's database is (`--postgres`). TLS to PostgreSQL is not configured yet: keep
/// the database on the registry's host or a private link. (The indexer has its own settings type:
/// services do not import each other.)
package struct RegistryDatabase: Sendable, Hashable {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    /// Pool size per registry process.
    package var maxConnections = 4

    package init(host: String = "127.0.0.1", port: Int = 5432, user: String = "citychain", password: String? = nil,
                 database: String = "citychain") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads `postgres://user[:password]@host[:port]/database`.
    package init(url: String) throws(RegistryError) {
        let usage = "must be postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        guard let scheme = ["postgres://", "postgresql://"].first(where: { url.hasPrefix($0) }) else {
            throw RegistryError(.config, "--postgres '\(url)' \(usage)")
        }
        let rest = url.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { String(rest[..<$0]) } ?? String(rest)
        let database = slash.map { String(rest[rest.index(after: $0)...]) } ?? "citychain"
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
        if let colon = hostPort.lastIndex(of: ":") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw RegistryError(.config, "--postgres '\(url)' has a bad port; it \(usage)")
            }
            host = String(hostPort[..<colon])
            port = p
        }
        guard !host.isEmpty, !database.isEmpty, !user.isEmpty else {
            throw RegistryError(.config, "--postgres '\(url)' must name a host, a user and a database; it \(usage)")
        }
        self.init(host: host, port: port, user: user, password: password, database: database)
    }

    var client: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.maximumConnections = maxConnections
        return c
    }
}
