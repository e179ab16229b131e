import CityChainAPI
import CityLedger
import CityNode
import CityPKI
import CityPostgres
import CityTestSupport
import Foundation
import Testing
@testable import CityIndexer

/// The database link secured (issue 17 item 4): the test cluster takes TCP connections only over
/// TLS 1.3 with SCRAM passwords, and the indexer verifies the server's certificate. A recording
/// relay between the indexer and PostgreSQL (a capture of that link) finds no SQL, no record ids,
/// no payloads and no role names; clear text, a wrong password, a server certificate from another
/// CA and a server that offers no TLS are each refused with an error that says what to do.
@Suite struct PostgresLinkTests {
    /// PostgreSQL's SSLRequest: length 8, code 80877103.
    static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    @Test(.timeLimit(.minutes(3))) func aCaptureOfTheIndexersLinkFindsNoSQLAndNoRecords() async throws {
        let db = try await TestPostgres.database()
        let capture = try TCPRecorder(forwardingTo: db.port)
        defer { capture.stop() }
        var viaCapture = db.settings
        viaCapture.port = capture.port

        var chain = IndexerChain()
        chain.parkingBlocks(30, perBlock: 10)
        chain.block([chain.medical("patient-9931", "diagnosis: canary-7f3e")])
        let (_, ca, validator) = try await ChainServer.serve(chain)
        let indexer = try await TestIndexer(db: viaCapture, validators: [validator.address], ca: ca)
        defer { Task { await indexer.stop(); await validator.stop() } }
        try await indexer.waitFor(height: 4)
        let answer = try await indexer.query(as: "parks-department") { c in
            try await c.ask(IndexerAPI.record, RecordQuery(dataset: F.parking, subject: F.subject("bay-7")), as: RecordAnswer.self)
        }
        #expect(answer.entry?.version == 1, "the index was written and read through the captured link")
        // The rows are in the database (read over the cluster's socket, not the captured link).
        #expect(try TestPostgres.shared.get().psql(db, "SELECT count(*) FROM citychain.transactions WHERE subject = 'bay-7'") == "1")

        let sent = capture.clientBytes, received = capture.serverBytes
        #expect(capture.connections >= 1 && sent.count > 10_000 && received.count > 1_000, "the capture saw the link's traffic")
        #expect(Array(sent.prefix(8)) == Self.sslRequest, "each connection opens with an SSLRequest")
        #expect(received.first == UInt8(ascii: "S"), "the server agreed to TLS")
        for secret in ["SELECT", "INSERT", "CREATE", "COPY", "citychain", "bay-7", "patient-9931", "CC-1007", "parking", db.user, db.password!] {
            #expect(!sent.contains(text: secret) && !received.contains(text: secret), "'\(secret)' crossed the link in clear text")
        }
    }

    @Test(.timeLimit(.minutes(2))) func clearTextIsRefusedByTheServer() async throws {
        var plain = try await TestPostgres.database().settings
        plain.sslMode = .disable
        let message = try await migrateError(plain)
        #expect(message.contains("refused user citychain_service"), "\(message)")
        #expect(message.contains("a secured server accepts only hostssl: use TLS"), "\(message)")
    }

    @Test(.timeLimit(.minutes(2))) func aWrongPasswordIsNamedAndNotRepeated() async throws {
        var wrong = try await TestPostgres.database().settings
        wrong.password = "not-the-password-41c"
        let message = try await migrateError(wrong)
        #expect(message.contains("refused the password of user citychain_service"), "\(message)")
        #expect(!message.contains("not-the-password-41c"))
        // /readyz after the password was rotated under a running service: the pool only says its
        // circuit breaker tripped; the check names the cause from a fresh connection.
        struct PoolSaysLittle: Error {}
        let ready = await wrong.notAnswering(after: PoolSaysLittle(), logger: testLogger)
        #expect(ready.hasPrefix("PostgreSQL does not answer: ") && ready.contains("refused the password of user citychain_service"), "\(ready)")
        let fine = await (try await TestPostgres.database().settings).notAnswering(after: PoolSaysLittle(), logger: testLogger)
        #expect(fine.hasPrefix("PostgreSQL takes new connections, but the query failed"), "\(fine)")
    }

    @Test(.timeLimit(.minutes(2))) func aServerCertificateFromAnotherCAIsRefused() async throws {
        let db = try await TestPostgres.database()
        let other = try CertificateAuthority.create(commonName: "Not the city CA")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("other-ca-\(UUID().uuidString).pem").path
        try other.certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var settings = db.settings
        settings.rootCertificate = path
        let message = try await migrateError(settings)
        #expect(message.contains("the TLS handshake with PostgreSQL at citychain_service@127.0.0.1:\(db.port)"), "\(message)")
        #expect(message.contains("must chain to \(path)"), "\(message)")
    }

    @Test(.timeLimit(.minutes(2))) func aServerThatOffersNoTLSIsNotSpokenToInClearText() async throws {
        let noTLS = try TCPRecorder(answering: Array("N".utf8))
        defer { noTLS.stop() }
        var settings = try await TestPostgres.database().settings
        settings.port = noTLS.port
        let message = try await migrateError(settings)
        #expect(message.contains("does not offer TLS, and sslmode=verify-full requires it"), "\(message)")
        #expect(message.contains("add ?sslmode=disable"), "\(message)")
        #expect(noTLS.clientBytes == Self.sslRequest, "nothing but the SSLRequest was sent: no startup message, no user name")
    }

    /// The message of the error `migrate` throws against `settings` (the indexer's first use of its database).
    func migrateError(_ settings: PostgresSettings) async throws -> String {
        let store = try IndexStore(settings: settings, logger: testLogger)
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await store.client.run() }
            defer { group.cancelAll() }
            do {
                try await store.migrate()
                Issue.record("\(settings) was accepted")
                return ""
            } catch { return "\(error)" }
        }
    }
}
