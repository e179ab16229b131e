import CityTestSupport
@testable import CityIndexer

/// The indexer's view of a CityTestSupport database (the support library knows no service types).
extension TestDatabase {
    var settings: PostgresSettings {
        PostgresSettings(host: host, port: port, user: user, password: password, database: database, rootCertificate: rootCertificate)
    }
}

extension TestPostgres {
    /// Runs `sql` with psql in the indexer's database `db`.
    func psql(_ db: PostgresSettings, _ sql: String) throws -> String {
        try psql(TestDatabase(host: db.host, port: db.port, user: db.user, database: db.database, password: db.password, rootCertificate: db.rootCertificate), sql)
    }
}
