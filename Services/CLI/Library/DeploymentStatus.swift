import CityChainAPI
import CityEncoding
import CityNode
import CityWire
import Foundation

/// `citychain status --registry`: probes every registered service (node.info round trip, and
/// the validator's or indexer's own status) with short timeouts, a few at a time.
enum DeploymentStatus {
    /// Probes at once.
    static let maxConcurrentProbes = 16

    struct Probe: Sendable {
        var entry: ServiceEntry
        var up: Bool
        var latencyMicros: Int
        /// Height, lag or the failure, in words.
        var note: String
    }

    /// Every registered service probed, in key order.
    static func probeAll(_ answer: LookupAnswer, client: WireClient, timeout: Duration) async -> [Probe] {
        var probes: [Probe] = []
        for chunk in stride(from: 0, to: answer.entries.count, by: maxConcurrentProbes) {
            let slice = answer.entries[chunk..<min(chunk + maxConcurrentProbes, answer.entries.count)]
            await withTaskGroup(of: Probe.self) { group in
                for e in slice { group.addTask { await probe(e, client: client, timeout: timeout) } }
                for await p in group { probes.append(p) }
            }
        }
        return probes.sorted { $0.entry.key < $1.entry.key }
    }

    /// The probes as a table, with a summary line.
    static func table(_ probes: [Probe], revision: UInt64) -> String {
        var lines = ["kind       id                        address                state  latency   status"]
        for p in probes {
            let latency = p.up ? String(format: "%.1f ms", Double(p.latencyMicros) / 1000) : "-"
            lines.append(StatusCommand.pad(p.entry.kind.description, 10) + " " + StatusCommand.pad(p.entry.id, 25) + " "
                         + StatusCommand.pad(p.entry.address, 22) + " " + StatusCommand.pad(p.up ? "up" : "down", 5) + "  "
                         + StatusCommand.pad(latency, 8, right: true) + "  " + p.note)
        }
        let down = probes.filter { !$0.up }.count
        lines.append("\(probes.count) service(s) registered, \(down) down (registry revision \(revision))")
        return lines.joined(separator: "\n")
    }

    /// The probes as JSON values: `services` (kind, id, address, up, latencyMicros, status), the
    /// counts and the registry revision.
    static func json(_ probes: [Probe], revision: UInt64) -> [String: Any] {
        let services: [[String: Any]] = probes.map { p in
            ["kind": p.entry.kind.description, "id": p.entry.id, "address": p.entry.address, "up": p.up,
             "latencyMicros": p.latencyMicros, "status": p.note]
        }
        return ["services": services, "registered": probes.count, "down": probes.filter { !$0.up }.count, "revision": revision]
    }

    static func probe(_ e: ServiceEntry, client: WireClient, timeout: Duration) async -> Probe {
        guard let hp = e.hostPort else { return Probe(entry: e, up: false, latencyMicros: 0, note: "bad address") }
        do {
            return try await client.withConnection(host: hp.host, port: hp.port, expecting: e.kind.role) { conn in
                let start = ContinuousClock.now
                let info = try NodeInfo(canonicalBytes: try await conn.request(NodeInfo.kind, [], timeout: timeout))
                let rtt = ContinuousClock.now - start
                let micros = Int(rtt.components.seconds) * 1_000_000 + Int(rtt.components.attoseconds / 1_000_000_000_000)
                var note = "\(info.name) \(info.version), up \(info.uptimeMillis / 1000) s"
                switch e.kind {
                case .validator:
                    let s = try ValidatorStatus(canonicalBytes: try await conn.request(ValidatorAPI.status, [], timeout: timeout))
                    note = "height \(s.height) round \(s.round) \(s.voting ? "voting" : "observer"); " + note
                case .indexer:
                    let s = try IndexerStatus(canonicalBytes: try await conn.request(IndexerAPI.status, [], timeout: timeout))
                    let lag = s.chainHeight > s.indexedHeight ? s.chainHeight - s.indexedHeight : 0
                    note = "indexed \(s.indexedHeight) proven \(s.provenHeight) chain \(s.chainHeight) lag \(lag); " + note
                case .gateway:
                    let s = try GatewayStatus(canonicalBytes: try await conn.request(GatewayAPI.status, [], timeout: timeout))
                    let v = s.validators.filter(\.healthy).count, i = s.indexers.filter(\.healthy).count
                    note = "head \(s.headHeight), validators \(v)/\(s.validators.count) healthy, indexers \(i)/\(s.indexers.count) healthy; " + note
                case .registry: break
                }
                return Probe(entry: e, up: true, latencyMicros: micros, note: note)
            }
        } catch {
            return Probe(entry: e, up: false, latencyMicros: 0, note: "\(error)")
        }
    }
}
