import ArgumentParser
import CityOps
import CityPKI
import CityWire
import Foundation
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

    /// Registries to register with (comma-separated); nil: the process does not register.
    @Option(name: .customLong("registry"), help: "HOST:PORT[,HOST:PORT...] of registries to register this service with (omit: do not register).")
    package var registry: String?

    /// The address advertised in the registry.
    @Option(help: "HOST:PORT others dial to reach this service, as advertised in the registry (default: --listen, port 0 replaced by the bound port).")
    package var advertise: String?

    /// The registry lease asked for.
    @Option(help: "Seconds the registry keeps this service without a heartbeat (1-300; heartbeats every third of it).")
    package var registryLeaseSeconds: Double = 15

    /// Where the ops HTTP server listens (nil: no ops server).
    @Option(help: "HOST:PORT of the ops HTTP server: GET /healthz, /readyz, /metrics (docs/METRICS.md; omit: no ops server).")
    package var opsListen: String?

    /// Log output format.
    @Option(help: "Log format on stderr: text, or json (one JSON object per line).")
    package var logFormat: String = "text"

    /// The wire server's bound on a frame's arrival.
    @Option(help: "Seconds a frame may take to arrive whole from its first byte before the connection is closed (1-3600).")
    package var frameReadTimeoutSeconds: Double = 30

    /// The wire server's caps on connections.
    @Option(help: "Connections one peer certificate may hold open to this service at once (1-100000).")
    package var maxConnectionsPerPeer: Int = 256
    @Option(help: "Connections this service holds open at once in total (1-1000000).")
    package var maxConnections: Int = 4096
    /// The wire server's budget of unfinished frames.
    @Option(help: "MiB of frames not yet whole this service holds across all connections (1-65536).")
    package var maxUnfinishedFrameMib: Int = 256

    package init() {}

    /// The wire server's limits of these options, each checked with an error that names its option.
    package func wireConfiguration() throws -> WireConfiguration {
        try Self.check(Double(frameReadTimeoutSeconds), "wire.frameReadTimeoutSeconds")
        try Self.check(Double(maxConnectionsPerPeer), "wire.maxConnectionsPerPeer")
        try Self.check(Double(maxConnections), "wire.maxConnections")
        try Self.check(Double(maxUnfinishedFrameMib), "wire.maxUnfinishedFrameMib")
        var wire = WireConfiguration()
        wire.frameReadTimeout = .milliseconds(Int64(frameReadTimeoutSeconds * 1000))
        wire.maxConnectionsPerPeer = maxConnectionsPerPeer
        wire.maxConnections = maxConnections
        wire.maxUnfinishedFrameBytes = maxUnfinishedFrameMib * 1_048_576
        return wire
    }

    /// Refuses `value` outside the range ConfigSchema gives the setting `key` (the one place the
    /// wire settings' ranges are written), naming its flag.
    static func check(_ value: Double, _ key: String) throws {
        guard let setting = ConfigSchema.nodeSettings.first(where: { $0.key == key }) else {
            preconditionFailure("\(key) is not a node setting")
        }
        let range: ClosedRange<Double>?
        switch setting.kind {
        case .int(let r): range = r.map { Double($0.lowerBound)...Double($0.upperBound) }
        case .double(let r): range = r
        default: range = nil
        }
        guard let range, !range.contains(value) else { return }
        let shown = { (d: Double) in d == d.rounded() ? String(Int(d)) : String(d) }
        throw ValidationError("\(setting.flag ?? key) must be from \(shown(range.lowerBound)) to \(shown(range.upperBound)) (got \(shown(value)))")
    }

    /// The ops listen address of `--ops-listen` (nil when omitted), with an error that names the option.
    package func opsAddress() throws -> HostPort? {
        try Self.opsAddress(opsListen, flag: "--ops-listen")
    }

    /// Parses an ops listen address (`HOST:PORT`, port 0 allowed), with an error that names `flag`.
    package static func opsAddress(_ text: String?, flag: String) throws -> HostPort? {
        guard let text else { return nil }
        guard let hp = HostPort(text, allowZero: true) else {
            throw ValidationError("\(flag) '\(text)' must be HOST:PORT, e.g. 127.0.0.1:9101 (port 0 picks a free port)")
        }
        return hp
    }

    /// The log format of `--log-format`, with an error that names the option.
    package func format() throws -> LogFormat {
        do { return try LogFormat.parse(logFormat, flag: "--log-format") } catch { throw ValidationError(error.message) }
    }

    /// The registries of `--registry` (empty when it is omitted), with an error that names the option.
    package func registryAddresses() throws -> [HostPort] {
        guard let registry else { return [] }
        return try Self.registryAddresses(registry)
    }

    /// Parses `HOST:PORT[,HOST:PORT…]` (1 to 16), with an error that names `--registry`.
    package static func registryAddresses(_ registry: String) throws -> [HostPort] {
        let parts = registry.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let hosts = try parts.map { part in
            guard let hp = HostPort(part) else {
                throw ValidationError("--registry '\(part)' must be HOST:PORT (comma-separated for several), e.g. 127.0.0.1:7401,127.0.0.1:7402")
            }
            return hp
        }
        guard !hosts.isEmpty, hosts.count <= 16 else { throw ValidationError("--registry names \(hosts.count) registries; name 1 to 16") }
        return hosts
    }

    /// The registry lease in milliseconds, with an error that names the option.
    package func registryLeaseMillis() throws -> UInt64 {
        guard (1...300).contains(registryLeaseSeconds) else {
            throw ValidationError("--registry-lease-seconds \(registryLeaseSeconds) must be 1 to 300")
        }
        return UInt64(registryLeaseSeconds * 1000)
    }

    /// The address to advertise: `--advertise`, else the listen address with port 0 replaced by
    /// `boundPort` (the port the server actually bound).
    package func advertiseAddress(boundPort: Int) throws -> HostPort {
        if let advertise {
            guard let hp = HostPort(advertise) else { throw ValidationError("--advertise '\(advertise)' must be HOST:PORT, e.g. 10.0.0.5:7201") }
            return hp
        }
        let (host, port) = try listenAddress()
        return HostPort(host: host, port: port == 0 ? boundPort : port)
    }

    /// The listen address split into host and port, with an error that names the option.
    package func listenAddress() throws -> (host: String, port: Int) {
        guard let hp = HostPort(listen, allowZero: true) else {
            throw ValidationError("--listen '\(listen)' must be HOST:PORT (port 0-65535, [IPv6]:PORT for IPv6), e.g. 127.0.0.1:7101 or 0.0.0.0:7101")
        }
        return (hp.host, hp.port)
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
