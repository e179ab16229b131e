import ArgumentParser
import CityNode
import CityPKI

/// `citychain-gateway`: the gateway service. It the front door for agencies: rate limits, cheap checks, fan-out to validators, receipts (issue 5).
///
/// Today it serves the shared protocol surface every service has (mutual TLS 1.3 with a
/// certificate whose role must be `gateway`, `node.info`, ping) so deployments, certificates
/// and health checks can be exercised; its own message kinds arrive with its issue.
package struct GatewayCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-gateway",
        abstract: "CityChain gateway service.")

    @OptionGroup package var node: NodeOptions

    package init() {}

    package func run() async throws {
        try await ServiceNode.main(role: .gateway, options: node)
    }
}
