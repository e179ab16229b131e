import ArgumentParser
import CityNode
import CityPKI

/// `citychain-validator`: the validator service. It holds the authoritative chain: BFT consensus, mempool, block store, block sync and the commit stream (issue 3).
///
/// Today it serves the shared protocol surface every service has (mutual TLS 1.3 with a
/// certificate whose role must be `validator`, `node.info`, ping) so deployments, certificates
/// and health checks can be exercised; its own message kinds arrive with its issue.
package struct ValidatorCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-validator",
        abstract: "CityChain validator service.")

    @OptionGroup package var node: NodeOptions

    package init() {}

    package func run() async throws {
        try await ServiceNode.main(role: .validator, options: node)
    }
}
