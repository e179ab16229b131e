import CityChainAPI
import CityGateway
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging

/// The gateway's figures in the index bench (issue 14): how long a gateway takes from start until
/// it follows the head and knows the agencies' keys — near the head (the indexer's proven starting
/// state, item 5) and, for comparison, by replaying the chain from block 1 — and the same point
/// queries as the indexer's, relayed through the gateway.
struct IndexBenchGateway {
    struct Figures {
        /// Seconds from start to following the head, near the head; nil: not measured.
        var nearHeadSeconds: Double?
        /// The height it started at (the indexer's proven height then).
        var startedAt: UInt64 = 0
        /// The same by replay from block 1; nil: not measured, or not done within the limit.
        var replaySeconds: Double?
        var replayLimitSeconds = 0.0
        var headHeight: UInt64 = 0
        var queries = IndexBenchQueries.Figures()
        var queryRate = 0.0
    }

    let chain: IndexBenchChain
    let feed: HostPort
    let indexerPort: Int
    let ca: CertificateAuthority
    let logger: Logger

    /// Starts a gateway and waits until it follows `target` (or `limit` seconds pass): seconds taken
    /// and the running gateway (nil when the limit passed; it is stopped then).
    func start(nearHead: Bool, target: UInt64, limit: Double) async throws -> (Double, GatewayRuntime, Task<Void, any Error>)? {
        var settings = GatewaySettings(genesis: chain.genesis, validators: [feed], indexers: [HostPort(host: "127.0.0.1", port: indexerPort)],
                                       queryRate: AgencyRate(perSecond: 1_000_000, burst: 1_000_000))
        settings.startNearHead = nearHead
        let started = LoadClock.now()
        let gateway = try GatewayRuntime.assemble(settings: settings, tls: try TLSIdentity(issued: ca.issue(role: .gateway, name: "gateway-bench")),
                                                  host: "127.0.0.1", port: 0, logger: logger)
        let task = Task { try await gateway.run() }
        let deadline = started + UInt64(limit * 1e9)
        while LoadClock.now() < deadline {   // bounded by `limit`
            if await gateway.watch.caughtUp, await gateway.watch.height >= target {
                return (Double(LoadClock.now() - started) / 1e9, gateway, task)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        task.cancel()
        _ = try? await task.value
        return nil
    }

    /// Stops a gateway `start` returned.
    func stop(_ task: Task<Void, any Error>) async {
        task.cancel()
        _ = try? await task.value
    }
}
