import CityPKI
import Foundation
import Testing
@testable import CityWire

/// An independent TLS implementation (`openssl s_client`) against a running `WireServer`: TLS 1.3
/// with a client certificate works; without one the server refuses the handshake.
@Suite(.timeLimit(.minutes(1))) struct OpenSSLTests {
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs s_client and returns stdout + stderr (stdin is empty; `-ign_eof` keeps reading until the server closes).
    static func sClient(_ openssl: String, port: Int, extra: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-ign_eof"] + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func sClientSeesTLS13AndIsRefusedWithoutCertificate() async throws {
        guard let openssl = Self.openssl else {
            print("OpenSSLTests skipped: no openssl binary on this machine (install openssl to run this check)")
            return
        }
        let pki = try TestPKI()
        let issued = try pki.ca.issue(role: .gateway, name: "openssl-client")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("citywire-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = dir.appendingPathComponent("ca.pem").path
        let cert = dir.appendingPathComponent("client.pem").path
        let key = dir.appendingPathComponent("client.key").path
        try issued.caCertificatePEM.write(toFile: ca, atomically: true, encoding: .utf8)
        try issued.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        try issued.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)

        var configuration = WireConfiguration()
        configuration.idleTimeout = .seconds(1)   // so the accepted s_client session ends on its own
        try await withServer(pki: pki, configuration: configuration) { server async throws in
            let good = try Self.sClient(openssl, port: server.port, extra: ["-CAfile", ca, "-cert", cert, "-key", key])
            #expect(good.contains("TLSv1.3"), "s_client output:\n\(good)")
            #expect(good.contains("Verify return code: 0 (ok)"), "s_client output:\n\(good)")
            let refused = try Self.sClient(openssl, port: server.port, extra: ["-CAfile", ca])
            #expect(refused.contains("alert") && refused.contains("certificate required"), "s_client output:\n\(refused)")
        }
    }
}
