import CityNode
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

    /// Reads `postgres://user[:password]@host[:port]/database` (`PostgresURL`, the shared parser).
    package init(url: String) throws(IndexerError) {
        let u: PostgresURL
        do { u = try PostgresURL(url) } catch { throw IndexerError(.config, "postgres URL \(error.message)") }
        self.init(host: u.host, port: u.port, user: u.user, password: u.password, database: u.database)
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
