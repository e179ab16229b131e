import ArgumentParser

/// The `citychain` command: keys and certificates, genesis, and (as the services land) submit,
/// query, verify, status and bench.
package struct CityChainCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain",
        abstract: "CityChain: keys, certificates and genesis for a city's permissioned ledger.",
        subcommands: [PKICommand.self, KeysCommand.self, GenesisCommand.self, PingCommand.self, SubmitCommand.self, StatusCommand.self,
                      RegistryCLICommand.self, QueryCommand.self, VerifyCommand.self, BenchCommand.self, MetersCommand.self, WatchCommand.self, AdminCommand.self])

    package init() {}
}
