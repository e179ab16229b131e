import CityNode
import PostgresNIO

/// Where the registry's database is (`--postgres`): the shared `PostgresURL`. TLS to PostgreSQL is
/// not configured yet: keep the database on the registry's host or a private link.
package typealias RegistryDatabase = PostgresURL

extension PostgresURL {
    /// The registry's connection pool (4 connections per registry process).
    var registryClient: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        c.options.maximumConnections = 4
        return c
    }
}
