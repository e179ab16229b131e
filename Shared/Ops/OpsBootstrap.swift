import CoreMetrics
import Logging
import Prometheus
import Synchronization

/// How a process writes its logs (`--log-format`).
package enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's default stream handler: human-readable lines on stderr.
    case text
    /// One JSON object per line on stderr (`JSONLogHandler`).
    case json

    /// Parses a flag or config value, with an error that names `flag`.
    package static func parse(_ value: String, flag: String = "--log-format") throws(OpsError) -> LogFormat {
        guard let format = LogFormat(rawValue: value) else {
            throw OpsError("\(flag) '\(value)' must be text or json")
        }
        return format
    }
}

/// A configuration error of the ops settings (the message names the flag or key).
package struct OpsError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// The process-wide parts of ops: the logging and metrics backends. swift-log and swift-metrics
/// may be bootstrapped once per process, so only a service's main path calls `bootstrap`; later
/// calls (and in-process tests, which never call it) are harmless: they reuse what is installed.
package enum OpsBootstrap {
    private static let installed = Mutex<(registry: PrometheusCollectorRegistry?, logging: Bool)>((nil, false))

    /// Installs the log handler for `format` (once) and the Prometheus metrics backend (once),
    /// records `citychain_build_info{service,version} 1`, and returns the registry /metrics serves.
    @discardableResult
    package static func bootstrap(logFormat: LogFormat, service: String, version: String) -> PrometheusCollectorRegistry {
        let (registry, first) = installed.withLock { s -> (PrometheusCollectorRegistry, Bool) in
            if !s.logging {
                s.logging = true
                switch logFormat {
                case .text: break   // swift-log's default StreamLogHandler (stderr) stays
                case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
                }
            }
            if let r = s.registry { return (r, false) }
            let r = PrometheusCollectorRegistry()
            s.registry = r
            return (r, true)
        }
        if first {
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            Gauge(label: "citychain_build_info", dimensions: [("service", service), ("version", version)]).record(1)
        }
        return registry
    }

    /// The registry installed by `bootstrap`, or nil (in-process tests: metrics go nowhere).
    package static var registry: PrometheusCollectorRegistry? { installed.withLock { $0.registry } }
}
