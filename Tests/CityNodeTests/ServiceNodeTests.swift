import CityTestSupport
import CityEncoding
import CityPKI
import CityWire
import Foundation
import Logging
import Testing
@testable import CityNode

let quietLogger: Logger = {
    var l = Logger(label: "citynode.test")
    l.logLevel = .critical
    return l
}()

@Suite struct ServiceNodeTests {
    @Test func nodeInfoAnswersOverMutualTLS() async throws {
        let ca = try CertificateAuthority.create()
        let node = try ServiceNode(role: .validator, host: "127.0.0.1", port: 0,
                                   tls: TLSIdentity(issued: ca.issue(role: .validator, name: "validator-7")), logger: quietLogger)
        let client = try WireClient(tls: TLSSetup.client(TLSIdentity(issued: ca.issue(role: .agency("tax-office"), name: "tax"))),
                                    logger: quietLogger)
        let info = try await withTimeout {
            try await withThrowingTaskGroup(of: NodeInfo?.self) { group in
                group.addTask { try await node.server.run(); return nil }
                let port = try await node.server.listeningAddress.port!
                let info = try await client.withConnection(host: "127.0.0.1", port: port, expecting: .validator) { conn in
                    try await conn.ping()
                    return try NodeInfo(canonicalBytes: try await conn.request(NodeInfo.kind, []))
                }
                group.cancelAll()
                return info
            }
        }
        #expect(info.service == "validator")
        #expect(info.name == "validator-7")
        #expect(info.version == CityChainVersion.current)
        #expect(info.kinds == [NodeInfo.kind.rawValue])
    }

    @Test func certificateOfAnotherRoleIsRefusedAtStart() throws {
        let ca = try CertificateAuthority.create()
        do {
            _ = try ServiceNode(role: .indexer, host: "127.0.0.1", port: 0,
                                tls: TLSIdentity(issued: ca.issue(role: .gateway, name: "gw")), logger: quietLogger)
            Issue.record("expected the gateway certificate to be refused by the indexer")
        } catch let error as PKIError {
            #expect(error.code == .invalidRole)
            #expect(error.message.contains("--role indexer"))
        }
    }

    @Test func listenOptionIsValidatedWithTheOptionNamed() throws {
        var options = try NodeOptions.parse(["--cert", "c", "--key", "k", "--ca", "a", "--listen", "[::1]:7101"])
        #expect(try options.listenAddress() == ("::1", 7101))
        for bad in ["7101", "host:", ":7101", "host:99999", "host:x"] {
            options.listen = bad
            #expect(throws: (any Error).self) { _ = try options.listenAddress() }
        }
        options.logLevel = "loud"
        #expect(throws: (any Error).self) { _ = try options.level() }
    }

    @Test func wireLimitsComeFromTheOptions() throws {
        let defaults = try NodeOptions.parse(["--cert", "c", "--key", "k", "--ca", "a"]).wireConfiguration()
        #expect(defaults.frameReadTimeout == .seconds(30) && defaults.maxConnectionsPerPeer == 256)
        #expect(defaults.maxConnections == 4096 && defaults.maxUnfinishedFrameBytes == 256 * 1_048_576)
        let set = try NodeOptions.parse(["--cert", "c", "--key", "k", "--ca", "a", "--frame-read-timeout-seconds", "2.5",
                                         "--max-connections-per-peer", "3", "--max-connections", "40", "--max-unfinished-frame-mib", "8"])
            .wireConfiguration()
        #expect(set.frameReadTimeout == .milliseconds(2500) && set.maxConnectionsPerPeer == 3)
        #expect(set.maxConnections == 40 && set.maxUnfinishedFrameBytes == 8 * 1_048_576)
        for bad in [["--max-connections-per-peer", "0"], ["--frame-read-timeout-seconds", "0.5"], ["--max-unfinished-frame-mib", "70000"]] {
            let options = try NodeOptions.parse(["--cert", "c", "--key", "k", "--ca", "a"] + bad)
            let error = #expect(throws: (any Error).self) { _ = try options.wireConfiguration() }
            #expect("\(error.map { "\($0)" } ?? "")".contains(bad[0]), "the error names \(bad[0])")
        }
        // The config file's keys fill in the same flags.
        for key in ["wire.frameReadTimeoutSeconds", "wire.maxConnectionsPerPeer", "wire.maxConnections", "wire.maxUnfinishedFrameMib"] {
            #expect(ConfigSchema.nodeSettings.contains { $0.key == key && $0.flag != nil })
        }
    }

    @Test func nodeInfoEncodingIsCanonical() throws {
        let info = NodeInfo(service: "registry", name: "registry-1", version: "0.1.0", uptimeMillis: 42, kinds: [1, 0x0401])
        #expect(try NodeInfo(canonicalBytes: info.canonicalBytes) == info)
        // The vector of docs/protocol/wire.md ("NodeInfo").
        #expect(Hex.encode(info.canonicalBytes) == "000000087265676973747279" + "0000000a72656769737472792d31" + "00000005302e312e30"
                + "000000000000002a" + "00000002" + "0001" + "0401")
        var unsorted = info
        unsorted.kinds = [0x0401, 1]
        do { _ = try NodeInfo(canonicalBytes: unsorted.canonicalBytes); Issue.record("expected refusal") } catch {
            #expect(error.code == .nonCanonical)
        }
        #expect(throws: CodecError.self) { _ = try NodeInfo(canonicalBytes: info.canonicalBytes + [0]) }
    }
}
