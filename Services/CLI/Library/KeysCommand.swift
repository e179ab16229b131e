import ArgumentParser
import CityNode
import CityPKI
import Foundation

/// `citychain keys`: agency and validator keys.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create and inspect signing (Ed25519) and sealing (X25519) keys.",
        subcommands: [New.self, Show.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new key file (mode 0600) and print its public key.")

        @Option(help: "signing (Ed25519: transactions, votes) or sealing (X25519: receives restricted payloads).")
        var kind: KeyFile.Kind = .signing
        @Option(help: "Output file.") var out: String
        @Flag(help: "Replace an existing file.") var force = false

        func run() throws {
            if FileManager.default.fileExists(atPath: out) && !force {
                throw ValidationError("\(out) already exists; pass --force to replace it (the old key is lost)")
            }
            let file = KeyFile.generate(kind)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try PEMFiles.write(String(decoding: try encoder.encode(file), as: UTF8.self) + "\n", to: out, secret: true)
            print(file.publicKey)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a key file and print its kind and public key.")

        @Argument(help: "A key file.") var file: String

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let kind = try JSONDecoder().decode(KeyFile.self, from: data).kind
            let key = try KeyFile.load(file, expecting: kind)
            print("\(key.kind.rawValue) \(key.publicKey)")
        }
    }
}

extension KeyFile.Kind: ExpressibleByArgument {}
