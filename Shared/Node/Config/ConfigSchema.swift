/// One setting of a service's config: its key in the YAML file, its type, the flag it fills in, and
/// what to tell an operator who gets it wrong (docs/CONFIG.md).
package struct ConfigSetting: Sendable {
    /// The type of a value (of each element, for a list).
    package enum Kind: Sendable, Equatable {
        /// Any text.
        case string
        /// A whole number, optionally within a range.
        case int(ClosedRange<Int>?)
        /// A number, optionally within a range.
        case double(ClosedRange<Double>?)
        /// `true` or `false`.
        case bool
        /// `HOST:PORT`; port 0 allowed only for listeners.
        case hostPort(allowZero: Bool)
        /// One of a fixed set of words.
        case choice([String])
        /// A file the service reads (relative paths are relative to the config file).
        case file(FileKind)
        /// A directory the service writes (created when missing).
        case directory
    }

    /// What a file setting must hold.
    package enum FileKind: Sendable, Equatable {
        /// Any readable file.
        case readable
        /// A PEM certificate (or chain).
        case certificate
        /// A PEM private key.
        case privateKey
    }

    /// How a list becomes flags.
    package enum ListForm: Sendable, Equatable {
        /// `--peer A --peer B`.
        case repeated
        /// `--registry A,B`.
        case commaJoined
    }

    /// The key path, dot-separated: `tls.cert`, `block.intervalMillis`.
    package var key: String
    /// The value's type.
    package var kind: Kind
    /// Set for a list of `kind` values.
    package var list: ListForm?
    /// The flag this key fills in (`--cert`); nil: the service reads it from `ResolvedConfig.values`.
    package var flag: String?
    /// Whether the service cannot start without it.
    package var required: Bool
    /// Whether its value must never be printed (a PostgreSQL URL with a password).
    package var secret: Bool
    /// The default, as docs/CONFIG.md shows it ("" when there is none).
    package var defaultText: String
    /// What it is, one line.
    package var help: String
    /// What a wrong value should be replaced with, one line (e.g. "write HOST:PORT, e.g. 0.0.0.0:7101").
    package var fix: String
    /// Further checks of a well-typed value: nil when fine, else what is wrong with it.
    package var check: (@Sendable (String) -> String?)?

    /// A setting (see the properties).
    package init(_ key: String, _ kind: Kind, list: ListForm? = nil, flag: String?, required: Bool = false, secret: Bool = false,
                 default defaultText: String = "", help: String, fix: String, check: (@Sendable (String) -> String?)? = nil) {
        self.key = key
        self.kind = kind
        self.list = list
        self.flag = flag
        self.required = required
        self.secret = secret
        self.defaultText = defaultText
        self.help = help
        self.fix = fix
        self.check = check
    }

    /// The environment variable that sets it: `CITYCHAIN_` then each dot-separated part with a `_`
    /// before every capital that follows a lowercase letter, upper-cased, every other
    /// non-alphanumeric character as `_`, parts joined by `_` (`block.intervalMillis` →
    /// `CITYCHAIN_BLOCK_INTERVAL_MILLIS`). This is swift-configuration's environment key encoding of
    /// the key `citychain.<key>`; `ConfigSchemaTests` checks the two agree.
    package var environmentVariable: String { ConfigSchema.environmentVariable(for: key) }

    /// The key's parts.
    package var components: [String] { key.split(separator: ".").map(String.init) }

    /// The type as a phrase: "an integer from 50 to 5000", "a list of HOST:PORT".
    package var typeDescription: String {
        let one: String
        switch kind {
        case .string: one = list == nil ? "a string" : "strings"
        case .int(let r): one = (list == nil ? "an integer" : "integers") + (r.map { " from \($0.lowerBound) to \($0.upperBound)" } ?? "")
        case .double(let r): one = (list == nil ? "a number" : "numbers") + (r.map { " from \(Self.text($0.lowerBound)) to \(Self.text($0.upperBound))" } ?? "")
        case .bool: one = "true or false"
        case .hostPort: one = "HOST:PORT"
        case .choice(let words): one = "one of " + words.joined(separator: ", ")
        case .file(.readable): one = list == nil ? "a path to a readable file" : "paths to readable files"
        case .file(.certificate): one = "a path to a PEM certificate"
        case .file(.privateKey): one = "a path to a PEM private key"
        case .directory: one = "a directory path"
        }
        return list == nil ? one : "a list of " + one
    }

    /// A number as the docs and flags write it (15, not 15.0, when whole).
    static func text(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}

/// A service's settings: every key its YAML file may hold (docs/CONFIG.md lists them per service).
package struct ConfigSchema: Sendable {
    /// The executable's name, used in messages (`citychain-validator`).
    package var service: String
    /// The settings, in the order docs/CONFIG.md lists them.
    package var settings: [ConfigSetting]

    /// A schema; keys must be unique and no key may be a section of another.
    package init(service: String, settings: [ConfigSetting]) {
        let keys = settings.map(\.key)
        precondition(Set(keys).count == keys.count, "duplicate config keys in \(service)'s schema")
        for k in keys { precondition(!keys.contains { $0.hasPrefix(k + ".") }, "\(k) is both a key and a section") }
        self.service = service
        self.settings = settings
    }

    /// The setting with `key`.
    package func setting(_ key: String) -> ConfigSetting? { settings.first { $0.key == key } }

    /// The environment variable for `key` (see `ConfigSetting.environmentVariable`).
    package static func environmentVariable(for key: String) -> String {
        (["citychain"] + key.split(separator: ".").map(String.init)).map { part -> String in
            var out = ""
            var previous: Character?
            for c in part {
                if let p = previous, p.isLowercase, c.isUppercase { out.append("_") }
                out.append(c)
                previous = c
            }
            return out.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        }.joined(separator: "_")
    }

    /// The environment variable naming the config file when `--config` is not given.
    package static let configFileVariable = "CITYCHAIN_CONFIG"

    /// The keys every service process shares (`NodeOptions`' flags), the ops endpoint and log format included.
    package static let nodeSettings: [ConfigSetting] = [
        ConfigSetting("listen", .hostPort(allowZero: true), flag: "--listen", default: "127.0.0.1:0",
                      help: "HOST:PORT to serve the wire protocol on (port 0: any free port).",
                      fix: "write HOST:PORT, e.g. listen: 0.0.0.0:7101"),
        ConfigSetting("advertise", .hostPort(allowZero: false), flag: "--advertise", default: "listen, port 0 replaced by the bound port",
                      help: "HOST:PORT others dial to reach this service (registered in the registry).",
                      fix: "write the address peers dial, e.g. advertise: 10.0.0.5:7101"),
        ConfigSetting("tls.cert", .file(.certificate), flag: "--cert", required: true,
                      help: "PEM certificate issued by the city CA with this service's role.",
                      fix: "point it at the service's certificate (citychain pki issue writes one)"),
        ConfigSetting("tls.key", .file(.privateKey), flag: "--key", required: true,
                      help: "PEM private key of that certificate.",
                      fix: "point it at the private key written with the certificate"),
        ConfigSetting("tls.ca", .file(.certificate), flag: "--ca", required: true,
                      help: "PEM certificate of the city CA (the only trust root).",
                      fix: "point it at the city CA's certificate (ca.pem)"),
        ConfigSetting("log.level", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]), flag: "--log-level",
                      default: "info", help: "Least severe log level printed.",
                      fix: "write one of trace, debug, info, notice, warning, error, critical"),
        ConfigSetting("log.format", .string, flag: "--log-format", default: "the service's default",
                      help: "Log line format (see the service's --help).",
                      fix: "write a format the service's --help lists for --log-format"),
        ConfigSetting("ops.listen", .hostPort(allowZero: true), flag: "--ops-listen", default: "no ops endpoint",
                      help: "HOST:PORT of the HTTP ops endpoint (metrics, health).",
                      fix: "write HOST:PORT, e.g. ops.listen: 127.0.0.1:9101"),
        ConfigSetting("registry.addresses", .hostPort(allowZero: false), list: .commaJoined, flag: "--registry", default: "do not register",
                      help: "Registries to register this service with (1 to 16).",
                      fix: "write a list of HOST:PORT, e.g. registry.addresses: [10.0.0.2:7401, 10.0.0.3:7401]"),
        ConfigSetting("registry.leaseSeconds", .double(1...300), flag: "--registry-lease-seconds", default: "15",
                      help: "Seconds the registry keeps this service without a heartbeat (heartbeats every third of it).",
                      fix: "write a number of seconds from 1 to 300, e.g. registry.leaseSeconds: 15"),
        ConfigSetting("wire.frameReadTimeoutSeconds", .double(1...3600), flag: "--frame-read-timeout-seconds", default: "30",
                      help: "Seconds a frame may take to arrive whole from its first byte; then the connection is closed.",
                      fix: "write a number of seconds from 1 to 3600, e.g. wire.frameReadTimeoutSeconds: 30"),
        ConfigSetting("wire.maxConnectionsPerPeer", .int(1...100_000), flag: "--max-connections-per-peer", default: "256",
                      help: "Connections one peer certificate may hold open to this service at once.",
                      fix: "write a whole number from 1 to 100000, e.g. wire.maxConnectionsPerPeer: 256"),
        ConfigSetting("wire.maxConnections", .int(1...1_000_000), flag: "--max-connections", default: "4096",
                      help: "Connections this service holds open at once in total.",
                      fix: "write a whole number from 1 to 1000000, e.g. wire.maxConnections: 4096"),
        ConfigSetting("wire.maxUnfinishedFrameMib", .int(1...65_536), flag: "--max-unfinished-frame-mib", default: "256",
                      help: "MiB of frames not yet whole this service holds across all connections; the connection that would pass it is closed.",
                      fix: "write a whole number of MiB from 1 to 65536, e.g. wire.maxUnfinishedFrameMib: 256"),
    ]

    /// Checks a PostgreSQL URL with the shared parser (the value itself is never printed).
    package static let postgresURL: @Sendable (String) -> String? = { url in
        do throws(PostgresURLError) { _ = try PostgresURL(url); return nil } catch { return error.problem }
    }
}
