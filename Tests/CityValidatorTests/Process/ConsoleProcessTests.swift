import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityTestSupport
import Foundation
import Testing
@testable import CityValidator

/// `citychain console` (issue 16 item 3) in headless Chromium against real processes: four
/// `citychain-validator`s, a `citychain-indexer` on a private PostgreSQL and a `citychain-gateway`;
/// the console runs as the tax office with its certificate and signing key. The browser driver
/// (Tests/Browser/console_browser.py, the DevTools protocol) loads every page, writes a parking
/// session through the form, sees it appear in the live view (another tab) and reads it back, each
/// answer with its proof verified; a request without the token, a form post without the CSRF token
/// and a foreign Host are refused. Screenshots are kept under .build/console-screenshots/.
@Suite(.serialized) struct ConsoleProcessTests {
    typealias F = MempoolFixture

    static var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    @Test(.timeLimit(.minutes(4))) func theConsoleWritesAndShowsVerifiedAnswersInABrowser() async throws {
        let city = try await CityProcesses.start(genesis: F.genesis)
        let (cluster, genesisPath, gateway) = (city.cluster, city.genesisPath, city.gateway)
        let console = Process()
        defer {
            if console.isRunning { console.terminate() }
            Task { await city.stop() }
        }
        // The tax office's certificate and keys; the land bureau's, to give it a grant.
        for agency in ["tax-office", "land-bureau"] {
            try city.issueAgency(agency)
            let k = F.key(agency)
            let file = KeyFileJSON(kind: "signing", publicKey: Hex.encode(Array(k.publicKey.rawRepresentation)), privateKey: Hex.encode(Array(k.rawRepresentation)))
            try PEMFiles.write(String(decoding: try JSONEncoder().encode(file), as: UTF8.self), to: cluster.root + "/\(agency).signing.json", secret: true)
        }
        let seal = F.sealKey("tax-office")
        let sealFile = KeyFileJSON(kind: "sealing", publicKey: Hex.encode(Array(seal.publicKey.rawRepresentation)), privateKey: Hex.encode(Array(seal.rawRepresentation)))
        try PEMFiles.write(String(decoding: try JSONEncoder().encode(sealFile), as: UTF8.self), to: cluster.root + "/tax-office.sealing.json", secret: true)
        let tls = city.tls
        let grant = cluster.root + "/grant.json"
        try #"{"op": "grantAccess", "dataset": "land.parcels", "grantee": "tax-office", "expiresAtHeight": 100000, "purpose": "parcel checks"}"#
            .write(toFile: grant, atomically: true, encoding: .utf8)
        let granted = try await runCLI(["submit", "--gateway", gateway.address, "--agency", "land-bureau", "--signing-key", cluster.root + "/land-bureau.signing.json",
                                        "--tx-file", grant, "--genesis", genesisPath, "--trust-cache", cluster.root + "/sets-grant.bin"] + tls("land-bureau"))
        #expect(granted.status == 0 && granted.output.contains("committed"), "the grant: \(granted.output)")
        // A restricted dataset of the tax office: the console seals what it writes there.
        let define = cluster.root + "/define.json"
        try #"{"op": "defineDataset", "dataset": "tax.audits", "sensitivity": "restricted", "schema": "audit/v1", "writers": []}"#
            .write(toFile: define, atomically: true, encoding: .utf8)
        let defined = try await runCLI(["submit", "--gateway", gateway.address, "--agency", "tax-office", "--signing-key", cluster.root + "/tax-office.signing.json",
                                        "--tx-file", define, "--genesis", genesisPath, "--trust-cache", cluster.root + "/sets-define.bin"] + tls("tax-office"))
        #expect(defined.status == 0 && defined.output.contains("committed"), "the restricted dataset: \(defined.output)")

        // The console, on a free port; the URL it prints carries the token.
        console.executableURL = Self.root.appendingPathComponent(".build/debug/citychain")
        console.arguments = ["console", "--gateway", gateway.address, "--genesis", genesisPath, "--listen", "127.0.0.1:0",
                             "--signing-key", cluster.root + "/tax-office.signing.json", "--open-with", cluster.root + "/tax-office.sealing.json",
                             "--trust-cache", cluster.root + "/sets-console.bin"] + tls("tax-office")
        let out = Pipe()
        console.standardOutput = out
        console.standardError = out
        try console.run()
        var printed = ""
        while !printed.contains("?token=") {
            let chunk = out.fileHandleForReading.availableData   // blocks until the console writes (the test's time limit bounds it)
            guard !chunk.isEmpty else { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let url = try #require(printed.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("http://") }, "the console printed: \(printed)")
        #expect(url.hasPrefix("http://127.0.0.1:"))

        let shots = Self.root.appendingPathComponent(".build/console-screenshots").path
        let (exit, output) = try PythonClientProcessTests.python([Self.root.appendingPathComponent("Tests/Browser/console_browser.py").path, url,
                                                                  "--dataset", "parking.sessions", "--subject", "bay-console-1",
                                                                  "--held", "land.parcels", "--sealed-dataset", "tax.audits", "--screenshots", shots])
        #expect(exit == 0, "the browser driver: \(output)")
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        let r = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        #expect(r["no_token"] as? Int == 401 && r["wrong_token"] as? Int == 401 && r["post_without_token"] as? Int == 401, "\(output)")
        #expect(r["post_without_csrf"] as? Int == 403 && r["foreign_host"] as? Int == 403, "\(output)")
        #expect(r["overview"] as? Bool == true && r["overview_proof"] as? Bool == true, "\(output)")
        #expect(r["datasets"] as? Bool == true && r["datasets_list"] as? Bool == true && r["datasets_proof"] as? String == "verified", "\(output)")
        #expect(r["grants"] as? Bool == true && r["grant_held"] as? Bool == true && r["audit"] as? Bool == true, "\(output)")
        #expect(r["live_started"] as? Bool == true, "\(output)")
        #expect(r["write_status"] as? String == "committed" && r["receipt_proof"] as? String == "verified", "\(output)")
        #expect(r["live_shows_write"] as? Bool == true && r["live_proof"] as? String == "proof ok", "\(output)")
        #expect(r["read_back"] as? Bool == true && r["record_proof"] as? String == "verified", "\(output)")
        #expect(r["sealed_write"] as? String == "committed" && r["sealed_opened"] as? Bool == true && r["purpose_asked"] as? Bool == true, "the sealed write: \(output)")
        // On chain and in the index it is ciphertext: without the sealing key it is not opened.
        let sealed = try await runCLI(["query", "record", "--gateway", gateway.address, "--dataset", "tax.audits", "--subject", "audit-1",
                                       "--purpose", "console test", "--genesis", genesisPath, "--trust-cache", cluster.root + "/sets-check.bin"] + tls("tax-office"))
        #expect(sealed.output.contains("sealed for") && !sealed.output.contains("SEALED-CANARY") && sealed.output.contains("proofs: verified"), "\(sealed.output)")
        for name in ["overview", "datasets", "grants", "audit", "live-before", "write", "receipt", "live-after", "record", "sealed-record"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/\(name).png"), "screenshot \(name)")
        }
        // The never-written record of the refused post is nowhere.
        let absent = try await runCLI(["query", "record", "--gateway", gateway.address, "--dataset", "parking.sessions", "--subject", "never-written",
                                       "--genesis", genesisPath, "--trust-cache", cluster.root + "/sets-check.bin"] + tls("tax-office"))
        #expect(absent.output.contains("absent"), "\(absent.output)")
    }

    struct KeyFileJSON: Encodable {
        var kind: String
        var publicKey: String
        var privateKey: String
    }
}
