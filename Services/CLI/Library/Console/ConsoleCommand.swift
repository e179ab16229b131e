import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityNode
import CityPKI
import CityWire
import Foundation
import Logging
@preconcurrency import Crypto

/// `citychain console`: a web console an agency runs on its own machine with its own certificate:
/// the chain's head and health, the datasets it may read, records and their history (each answer
/// with its proof status), a live view, writing a record (signed with the agency's key, sealed
/// where the dataset is restricted) with its receipt, grants given and held, and the audit trail
/// of reads of its records. It talks to a gateway only, over mutual TLS 1.3; the browser talks to
/// it on 127.0.0.1 (by default) with the token it prints (docs/CONSOLE.md).
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Serve a web console for one agency on this machine (127.0.0.1 by default); prints the URL to open.")

    @Option(help: "HOST:PORT of a gateway.") var gateway: String
    @Option(help: "Your agency's PEM certificate (the console acts as the agency it names).") var cert: String
    @Option(help: "Its PEM private key.") var key: String
    @Option(help: "The city CA certificate.") var ca: String
    @OptionGroup var trust: TrustOptions
    @Option(help: "HOST:PORT to serve the console on (port 0: any free port; the URL printed names it).") var listen: String = "127.0.0.1:8480"
    @Option(help: "Your agency's signing key file (citychain keys new --kind signing): without it the console only reads.") var signingKey: String?
    @Option(help: "Key id of the signing key on chain.") var keyID: UInt32 = 1
    @Option(help: "Your agency's sealing key file: payloads sealed to your agency are opened on the pages.") var openWith: String?

    func run() async throws {
        guard let gatewayAddress = HostPort(gateway) else { throw ValidationError("--gateway '\(gateway)' must be HOST:PORT") }
        guard let listenAddress = Self.listenAddress(listen) else {
            throw ValidationError("--listen '\(listen)' must be HOST:PORT (e.g. 127.0.0.1:8480; port 0: any free port)")
        }
        guard let genesisPath = trust.genesis else {
            throw ValidationError("give --genesis FILE: every answer the console shows is checked against the chain's validator sets, followed from the genesis")
        }
        let genesis = try Genesis.load(path: genesisPath, flag: "--genesis")
        let identity = try TLSIdentity(files: .init(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        guard case .agency(let id) = try PeerIdentity(certificate: identity.certificateChain[0]).role else {
            throw ValidationError("--cert is not an agency certificate: the console acts for one agency (citychain pki issue --role agency:ID)")
        }
        let agency = try AgencyID(id)
        let signer = try signingKey.map { path -> (Curve25519.Signing.PrivateKey, KeyID) in
            let file = try KeyFile.load(path, expecting: .signing)
            return (try Curve25519.Signing.PrivateKey(rawRepresentation: file.privateKeyBytes), KeyID(keyID))
        }
        let opener = try openWith.map { path in
            SealedOpener(agency: agency, key: try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: try KeyFile.load(path, expecting: .sealing).privateKeyBytes))
        }
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.console"))
        let backend = ConsoleBackend(gateway: gatewayAddress, client: client, agency: agency, trust: trust, genesis: genesis, genesisPath: genesisPath,
                                     signer: signer.map { (key: $0.0, keyID: $0.1) }, opener: opener)
        if !["127.0.0.1", "::1", "localhost"].contains(listenAddress.host) {
            FileHandle.standardError.write(Data("console: listening on \(listenAddress.host), not loopback: anyone who can reach it and learns the token acts as agency '\(agency)'\n".utf8))
        }
        let server = ConsoleServer(backend: backend, host: listenAddress.host, port: listenAddress.port)
        try await server.run { url in
            // Written straight to fd 1 (unbuffered): a script that started the console reads the URL at once.
            FileHandle.standardOutput.write(Data("""
                console: agency \(agency) on gateway \(gatewayAddress); open \(url)
                console: the token in that URL is the key to this console; stop it with Ctrl-C

                """.utf8))
        }
    }

    /// HOST:PORT with port 0 allowed (`[::1]:0` for IPv6).
    static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
