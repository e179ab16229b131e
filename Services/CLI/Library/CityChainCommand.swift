import ArgumentParser

/// The `citychain` command: keys and certificates, genesis, submit, query, verify, status, watch,
/// admin and the meters demo. The benches are `citychain-bench` (Services/Bench).
package struct CityChainCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "citychain",
        abstract: "CityChain: keys, certificates and genesis for a city's permissioned ledger.",
        subcommands: [PKICommand.self, ConsoleCommand.self, KeysCommand.self, GenesisCommand.self, PingCommand.self, SubmitCommand.self, ShareKeysCommand.self, StatusCommand.self,
                      RegistryCLICommand.self, QueryCommand.self, VerifyCommand.self, MetersCommand.self, WatchCommand.self, AdminCommand.self,
                      BlockCommand.self])

    package init() {}
}
