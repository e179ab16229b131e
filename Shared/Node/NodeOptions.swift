import ArgumentParser
import CityPKI
import Logging

/// Command-line options every service process takes: where to listen, its TLS identity, logging.
package struct NodeOptions: ParsableArguments, Sendable {
    /// `HOST:PORT` to serve the wire protocol on.
    @Option(help: "HOST:PORT to serve the wire protocol on (port 0 picks a free port).")
    package var listen: String = "127.0.0.1:0"

    /// The service's certificate.
    @Option(help: "PEM certificate issued by the city CA with this service's role.")
    package var cert: String

    /// The service's private key.
    @Option(help: "PEM private key of the certificate.")
    package var key: String

    /// The city CA certificate.
    @Option(help: "PEM certificate of the city CA (the only trust root).")
    package var ca: String

    /// Log level.
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    package var logLevel: String = "info"

    package init() {}

    /// The listen address split into host and port, with an error that names the option.
    package func listenAddress() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ValidationError("--listen '\(listen)' must be HOST:PORT, e.g. 127.0.0.1:7101")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen '\(listen)' has no host; use e.g. 0.0.0.0:7101") }
        return (host, port)
    }

    /// The TLS identity files.
    package var identityFiles: TLSIdentityFiles {
        TLSIdentityFiles(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca)
    }

    /// The parsed log level, with an error that names the option.
    package func level() throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level '\(logLevel)' must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }
}
