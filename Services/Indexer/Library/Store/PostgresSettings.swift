import CityNode
import PostgresNIO

/// Where the index database is: the shared `PostgresURL` (parsed from `--postgres` /
/// `postgres.url`). TLS to PostgreSQL is not configured yet: keep the database on the indexer's
/// host or a private link.
package typealias PostgresSettings = PostgresURL

extension PostgresURL {
    /// The indexer's connection pool (8 connections).
    var indexerClient: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.maximumConnections = 8
        return c
    }
}
