import CityChainAPI
import CityNode
import CityWire
import Logging
import ServiceLifecycle

/// Keeps the gateway's upstream pools equal to the addresses named by flags plus the live entries
/// of the registry (a `RegistryDirectory` watch, failing over between registries): a validator or
/// indexer that registers is routed to within half a second; one whose lease expires (stopped,
/// crashed, cut off) is dropped and gets nothing more.
package struct Discovery: Service {
    let directory: RegistryDirectory
    let validators: UpstreamPool
    let indexers: UpstreamPool
    let staticValidators: Set<HostPort>
    let staticIndexers: Set<HostPort>
    let logger: Logger

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await directory.run() }
                group.addTask {
                    while !Task.isCancelled {
                        await apply()
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// One sync of both pools with the directory (pure set arithmetic on the pools' side).
    package func apply() async {
        let live = await directory.entries(.validator).compactMap(\.hostPort)
        let liveIndexers = await directory.entries(.indexer).compactMap(\.hostPort)
        validators.setAddresses(staticValidators.union(live))
        indexers.setAddresses(staticIndexers.union(liveIndexers))
    }
}
