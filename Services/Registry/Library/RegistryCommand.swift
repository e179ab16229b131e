import ArgumentParser
import CityNode
import CityPKI

/// `citychain-registry`: the registry service. It the directory of running services with leases, backed by PostgreSQL (issue 5).
///
/// Today it serves the shared protocol surface every service has (mutual TLS 1.3 with a
/// certificate whose role must be `registry`, `node.info`, ping) so deployments, certificates
/// and health checks can be exercised; its own message kinds arrive with its issue.
package struct RegistryCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-registry",
        abstract: "CityChain registry service.")

    @OptionGroup package var node: NodeOptions

    package init() {}

    package func run() async throws {
        try await ServiceNode.main(role: .registry, options: node)
    }
}
