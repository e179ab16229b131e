import ArgumentParser
import CityNode
import CityPKI

/// `citychain-indexer`: the indexer service. It follows the committed chain into PostgreSQL and answers agency queries with proofs (issue 4).
///
/// Today it serves the shared protocol surface every service has (mutual TLS 1.3 with a
/// certificate whose role must be `indexer`, `node.info`, ping) so deployments, certificates
/// and health checks can be exercised; its own message kinds arrive with its issue.
package struct IndexerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain-indexer",
        abstract: "CityChain indexer service.")

    @OptionGroup package var node: NodeOptions

    package init() {}

    package func run() async throws {
        try await ServiceNode.main(role: .indexer, options: node)
    }
}
