import CityNode
import CityPostgres
import PostgresNIO

/// Where the index database is: the shared `PostgresURL` (parsed from `--postgres` /
/// `postgres`), TLS to it as its `sslmode` says (verify-full against the city CA by default).
package typealias PostgresSettings = PostgresURL

extension PostgresURL {
    /// The indexer's connection pool (8 connections).
    func indexerClient() throws(PostgresURLError) -> PostgresClient.Configuration {
        try clientConfiguration(maximumConnections: 8)
    }
}
