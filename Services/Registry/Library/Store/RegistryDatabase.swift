import CityNode

/// Where the registry's database is (`--postgres`): the shared `PostgresURL`, TLS to it as its
/// `sslmode` says (verify-full against the city CA by default).
package typealias RegistryDatabase = PostgresURL
