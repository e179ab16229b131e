import CityPKI
import Foundation
import NIOSSL
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
        #expect(try PostgresURL("postgres://u:hunter2@[::1]/d").target == "u@[::1]:5432/d", "errors name the target without the password")
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

/// The link's TLS settings (issue 17 item 4): verify-full against the CA unless the URL says otherwise.
@Suite struct PostgresURLTLSTests {
    @Test func sslModeAndRootCertificateAreRead() throws {
        let plain = try PostgresURL("postgres://u@h/d")
        #expect(plain.sslMode == .verifyFull && plain.rootCertificate == nil, "verify-full unless the URL says otherwise")
        let named = try PostgresURL("postgres://u:p%26w@h/d?sslmode=verify-ca&sslrootcert=/etc/city/ca%20file.pem")
        #expect(named.sslMode == .verifyCA && named.rootCertificate == "/etc/city/ca file.pem" && named.password == "p&w")
        #expect(try PostgresURL("postgres://u@h/d?sslmode=disable").sslMode == .disable)
        #expect(try PostgresURL("postgres://u@h/d?sslmode=require").sslMode == .require)
        #expect(named.withDefaultRootCertificate("/other.pem").rootCertificate == "/etc/city/ca file.pem", "the URL's own CA wins")
        #expect(plain.withDefaultRootCertificate("/city/ca.pem").rootCertificate == "/city/ca.pem")
        // What a service hands to a process it starts parses back to the same URL.
        #expect(try PostgresURL(named.urlWithPassword) == named)
        #expect(named.description == "postgres://u:***@h:5432/d?sslmode=verify-ca&sslrootcert=/etc/city/ca%20file.pem")
    }

    @Test func badParametersAreRefusedWithTheFix() {
        for (url, problem) in [("postgres://u:hunter2@h/d?sslmode=prefer", "prefer and allow, which fall back to clear text, are not offered"),
                               ("postgres://u:hunter2@h/d?sslmode=bogus", "is not one of disable, require, verify-ca, verify-full"),
                               ("postgres://u:hunter2@h/d?sslrootcert=", "empty sslrootcert"),
                               ("postgres://u:hunter2@h/d?connect_timeout=3", "'connect_timeout', which CityChain does not read")] {
            do { _ = try PostgresURL(url); Issue.record("\(url) was accepted") } catch {
                #expect(error.problem.contains(problem), "\(url): \(error)")
                #expect(!error.message.contains("hunter2"))
            }
        }
    }

    @Test func tlsConfigurationFollowsTheMode() throws {
        #expect(try PostgresURL("postgres://u@h/d?sslmode=disable").tlsConfiguration() == nil, "disable: clear text")
        let require = try #require(try PostgresURL("postgres://u@h/d?sslmode=require").tlsConfiguration())
        #expect(require.certificateVerification == .none && require.minimumTLSVersion == .tlsv13)
        // verify-full with no CA anywhere: said at start, with the fix.
        do { _ = try PostgresURL("postgres://u@h/d").tlsConfiguration(); Issue.record("verify-full without a CA was accepted") } catch {
            #expect(error.problem.contains("no CA to check the server's certificate against; add sslrootcert=FILE"))
        }
        do { _ = try PostgresURL("postgres://u@h/d?sslrootcert=/nonexistent/ca.pem").tlsConfiguration(); Issue.record("a missing CA file was accepted") } catch {
            #expect(error.problem.contains("/nonexistent/ca.pem, which cannot be read as PEM certificates"))
        }
        let ca = try CertificateAuthority.create()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pg-ca-\(UUID().uuidString).pem").path
        try ca.certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let full = try #require(try PostgresURL("postgres://u@h/d").withDefaultRootCertificate(path).tlsConfiguration())
        #expect(full.certificateVerification == .fullVerification && full.minimumTLSVersion == .tlsv13)
        let caOnly = try #require(try PostgresURL("postgres://u@h/d?sslmode=verify-ca&sslrootcert=\(path)").tlsConfiguration())
        #expect(caOnly.certificateVerification == .noHostnameVerification)
    }
}
