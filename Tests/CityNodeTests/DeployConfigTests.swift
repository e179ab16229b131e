import Foundation
import Testing
@testable import CityGateway
@testable import CityIndexer
@testable import CityNode
@testable import CityRegistry
@testable import CityValidator

/// The deployment files speak the services' config language: every service YAML embedded in the
/// Kubernetes ConfigMaps resolves through that service's schema, and every `CITYCHAIN_*` variable
/// set by a systemd env file or a Kubernetes workload names a real key of that service (a
/// misspelt variable would otherwise be ignored silently).
@Suite struct DeployConfigTests {
    static let root: URL = { var u = URL(fileURLWithPath: #filePath); for _ in 0..<3 { u.deleteLastPathComponent() }; return u }()
    static let schemas: [String: ConfigSchema] = [
        "validator": ValidatorCommand.configSchema, "indexer": IndexerCommand.configSchema,
        "gateway": GatewayCommand.configSchema, "registry": RegistryCommand.configSchema,
    ]

    static func text(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }

    /// `name.yaml: |` blocks of a ConfigMap file, dedented.
    static func embeddedConfigs(_ text: String) -> [(service: String, yaml: String)] {
        var out: [(String, String)] = []
        var current: (String, [String], Int)?
        func flush() { if let c = current { out.append((c.0, c.1.joined(separator: "\n"))) }; current = nil }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasSuffix(".yaml: |") {
                flush()
                let indent = line.prefix { $0 == " " }.count
                current = (String(trimmed.dropLast(".yaml: |".count)), [], indent + 2)
                continue
            }
            guard var c = current else { continue }
            if trimmed.isEmpty { c.1.append(""); current = c; continue }
            guard line.prefix(while: { $0 == " " }).count >= c.2 else { flush(); continue }
            c.1.append(String(line.dropFirst(c.2)))
            current = c
        }
        flush()
        return out
    }

    @Test func everyConfigMapResolvesThroughItsServicesSchema() throws {
        let configs = Self.embeddedConfigs(try Self.text("deploy/k8s/configmaps.yaml"))
        #expect(Set(configs.map(\.service)) == Set(Self.schemas.keys), "one config per service: \(configs.map(\.service))")
        for (service, yaml) in configs {
            let schema = try #require(Self.schemas[service])
            // Per-pod values come from the workload's environment; stand in for them.
            let env = ["CITYCHAIN_ADVERTISE": "10.1.2.3:7000", "CITYCHAIN_TLS_CERT": "/x.pem", "CITYCHAIN_TLS_KEY": "/x.key",
                       "CITYCHAIN_VALIDATOR_KEY": "/k.json", "CITYCHAIN_POSTGRES": "postgres://u@db:5432/citychain"]
            do throws(ConfigErrors) {
                _ = try ServiceConfig.resolve(schema, arguments: [], environment: env,
                                              file: .init(path: "/etc/citychain/\(service).yaml", text: yaml), paths: AcceptAllPaths())
            } catch {
                Issue.record("deploy/k8s/configmaps.yaml, \(service).yaml: \(error.errors.map { "\($0)" }.joined(separator: "; "))")
            }
        }
    }

    @Test func everyEnvironmentVariableNamesAKey() throws {
        var files: [(service: String, path: String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("deploy/systemd/env").path) where name.hasSuffix(".env") {
            files.append((String(name.split(separator: "-")[0].split(separator: ".")[0]), "deploy/systemd/env/" + name))
        }
        for service in Self.schemas.keys { files.append((service, "deploy/k8s/\(service == "validator" ? "validators" : service).yaml")) }
        #expect(files.count >= 8)
        for (service, path) in files {
            let schema = try #require(Self.schemas[service], "\(path): no service '\(service)'")
            let known = Set(schema.settings.map(\.environmentVariable) + [ConfigSchema.configFileVariable])
            let text = try Self.text(path)
            let pattern = try NSRegularExpression(pattern: "\\bCITYCHAIN_[A-Z0-9_]+")
            let used = Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } })
            for v in used.sorted() where !known.contains(v) {
                Issue.record("\(path) sets \(v), which is not a key of \(schema.service) (docs/CONFIG.md lists its variables)")
            }
        }
    }
}
