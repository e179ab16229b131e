import CityChainAPI
import CityWire
import Synchronization

/// Opens a raw watch on a registry and records every event (a task reads until cancelled).
final class WatchRecorder: Sendable {
    final class Log: Sendable {
        let events = Mutex<[WatchEvent]>([])
        let failure = Mutex<String?>(nil)
    }
    let log = Log()
    let task: Task<Void, Never>

    init(registry: HostPort, identity: TestIdentity, kind: ServiceKind? = nil) throws {
        let client = try identity.client()
        let log = self.log
        task = Task {
            do {
                try await client.withConnection(host: registry.host, port: registry.port, expecting: .registry) { wire in
                    for try await bytes in wire.stream(RegistryAPI.watch, LookupRequest(kind: kind).canonicalBytes) {
                        let e = try WatchEvent(canonicalBytes: bytes)
                        log.events.withLock { $0.append(e) }
                    }
                }
            } catch {
                log.failure.withLock { $0 = "\(error)" }
            }
        }
    }

    var recorded: [WatchEvent] { log.events.withLock { $0 } }

    /// Why the watch ended, if it did.
    var failure: String? { log.failure.withLock { $0 } }

    /// Whether an event matching `match` was recorded.
    func saw(_ match: (WatchEvent) -> Bool) -> Bool { recorded.contains(where: match) }

    func stop() async {
        task.cancel()
        await task.value
    }
}

extension WatchEvent {
    /// The event adds `id`.
    func adds(_ id: String) -> Bool { if case .added(let e) = self { e.id == id } else { false } }
    /// The event removes `id` for `reason`.
    func removes(_ id: String, _ reason: RemovalReason) -> Bool {
        if case .removed(let k, let r) = self { k.id == id && r == reason } else { false }
    }
}
