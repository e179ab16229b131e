import Testing
@testable import CityNode

/// The one PostgreSQL URL parser (indexer, registry, benches, config checks).
@Suite struct PostgresURLTests {
    @Test func partsDefaultsAndEncodings() throws {
        let full = try PostgresURL("postgres://idx:s3cr%40t@db.city:6432/index")
        #expect(full == PostgresURL(host: "db.city", port: 6432, user: "idx", password: "s3cr@t", database: "index"))
        let bare = try PostgresURL("postgresql://db.city")
        #expect(bare.port == 5432 && bare.user == "citychain" && bare.database == "citychain" && bare.password == nil)
        let v6 = try PostgresURL("postgres://u@[::1]:5433/d")
        #expect(v6.host == "::1" && v6.port == 5433)
        #expect(try PostgresURL("postgres://u@[fd00::5]/d").port == 5432)
        #expect(try PostgresURL("postgres://u@h:5432/d?sslmode=require").database == "d", "query parameters are not part of the name")
    }

    @Test func errorsSayWhatIsWrongAndNeverTheSecret() {
        let cases: [(String, String)] = [
            ("mysql://u:hunter2@h/d", "is not a postgres:// URL"),
            ("postgres://u:hunter2@h:0/d", "bad host or port"),
            ("postgres://u:hunter2@h:99999/d", "bad host or port"),
            ("postgres://u:hunter2@/d", "bad host or port"),
            ("postgres://u:hunter2@::1:5432/d", "bad host or port"),
            ("postgres://u:hunter2@h:5432/", "must name a user and one database"),
            ("postgres://u:hunter2@h/a/b", "must name a user and one database"),
        ]
        for (url, problem) in cases {
            do { _ = try PostgresURL(url); Issue.record("\(url) was accepted") } catch {
                #expect(error.problem.contains(problem), "\(url): \(error)")
                #expect(error.message.hasSuffix(PostgresURL.usage))
                #expect(!error.message.contains("hunter2"))
            }
        }
        #expect(ConfigSchema.postgresURL("postgres://u:hunter2@h:0/d")?.contains("hunter2") == false)
        #expect(ConfigSchema.postgresURL("postgres://u@h/d") == nil)
    }

    @Test func descriptionHidesThePassword() throws {
        #expect(try PostgresURL("postgres://u:pw@[::1]:5433/d").description == "postgres://u:***@[::1]:5433/d")
        #expect(try PostgresURL("postgres://u@h/d").description == "postgres://u@h:5432/d")
    }
}
