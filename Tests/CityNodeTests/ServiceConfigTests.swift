import CityPKI
import Configuration
import Foundation
import Testing
@testable import CityGateway
@testable import CityIndexer
@testable import CityNode
@testable import CityRegistry
@testable import CityValidator

/// The config loader (Shared/Node/Config, docs/CONFIG.md) without processes: YAML text, an
/// environment and a command line in, a command line or problems naming key, source and fix out.
@Suite struct ServiceConfigTests {
    /// The shared node keys plus one of each other kind.
    static let schema = ConfigSchema(service: "citychain-test", settings: ConfigSchema.nodeSettings + [
        ConfigSetting("genesis", .file(.readable), flag: "--genesis", required: true, help: "Genesis.", fix: "point it at the genesis"),
        ConfigSetting("dataDir", .directory, flag: "--data-dir", help: "Data.", fix: "point it at a directory"),
        ConfigSetting("peers", .hostPort(allowZero: false), list: .repeated, flag: "--peer", help: "Peers.", fix: "write HOST:PORT"),
        ConfigSetting("block.intervalMillis", .int(0...60_000), flag: "--block-interval-ms", help: "Interval.",
                      fix: "write milliseconds, e.g. block.intervalMillis: 500"),
        ConfigSetting("block.maxBytes", .int(1...Int(Int32.max)), flag: nil, help: "Bytes.", fix: "write bytes"),
        ConfigSetting("postgres", .string, flag: "--postgres", secret: true, help: "Database.", fix: "write postgres://…",
                      check: ConfigSchema.postgresURL),
        ConfigSetting("watchPollMillis", .int(50...5000), flag: "--watch-poll-millis", help: "Poll.", fix: "write 50 to 5000"),
    ])
    static let path = "/etc/citychain/test.yaml"
    static let tls = """
        tls:
          cert: tls/svc.pem
          key: /etc/citychain/tls/svc.key
          ca: /etc/citychain/tls/ca.pem
        genesis: genesis.json

        """

    func resolve(_ yaml: String?, env: [String: String] = [:], args: [String] = [],
                 paths: some ConfigPathChecks = AcceptAllPaths()) throws(ConfigErrors) -> ResolvedConfig {
        try ServiceConfig.resolve(Self.schema, arguments: args, environment: env,
                                  file: yaml.map { ServiceConfig.File(path: Self.path, text: $0) }, paths: paths)
    }

    func errors(_ yaml: String?, env: [String: String] = [:], args: [String] = [],
                paths: some ConfigPathChecks = AcceptAllPaths()) -> [ConfigError] {
        do throws(ConfigErrors) { _ = try resolve(yaml, env: env, args: args, paths: paths); return [] } catch { return error.errors }
    }

    @Test func flagsBeatEnvironmentBeatFileBeatDefaults() throws {
        let yaml = Self.tls + "listen: 10.0.0.5:7101\n"
        #expect(try resolve(yaml).arguments.contains("--listen=10.0.0.5:7101"))
        let env = ["CITYCHAIN_LISTEN": "10.0.0.6:7101"]
        let fromEnv = try resolve(yaml, env: env)
        #expect(fromEnv.arguments.contains("--listen=10.0.0.6:7101"))
        #expect(!fromEnv.arguments.contains("--listen=10.0.0.5:7101"))
        #expect(fromEnv.sources["listen"] == "CITYCHAIN_LISTEN")
        let fromFlag = try resolve(yaml, env: env, args: ["--listen", "127.0.0.1:9"])
        #expect(fromFlag.arguments.filter { $0.hasPrefix("--listen") } == ["--listen"], "the command line's own flag stays alone")
        #expect(fromFlag.arguments.first == "--listen" && fromFlag.arguments[1] == "127.0.0.1:9")
        #expect(try resolve(yaml, args: ["--listen=127.0.0.1:9"]).arguments.filter { $0.hasPrefix("--listen") } == ["--listen=127.0.0.1:9"])
        #expect(!(try resolve(Self.tls)).arguments.contains { $0.hasPrefix("--listen") }, "unset: the flag's own default applies")
    }

    @Test func relativePathsAreRelativeToTheFileAndListsBecomeFlags() throws {
        let yaml = Self.tls + """
            dataDir: data
            peers: [10.0.0.11:7101, "10.0.0.12:7101"]
            registry:
              addresses:
                - 10.0.0.2:7401
                - 10.0.0.3:7401
              leaseSeconds: 20
            block.intervalMillis: 250
            block:
              maxBytes: 4000000

            """
        let r = try resolve(yaml)
        #expect(r.arguments.contains("--cert=/etc/citychain/tls/svc.pem"))
        #expect(r.arguments.contains("--key=/etc/citychain/tls/svc.key"))
        #expect(r.arguments.contains("--genesis=/etc/citychain/genesis.json"))
        #expect(r.arguments.contains("--data-dir=/etc/citychain/data"))
        #expect(r.arguments.filter { $0.hasPrefix("--peer") } == ["--peer=10.0.0.11:7101", "--peer=10.0.0.12:7101"])
        #expect(r.arguments.contains("--registry=10.0.0.2:7401,10.0.0.3:7401"))
        #expect(r.arguments.contains("--registry-lease-seconds=20"))
        #expect(r.arguments.contains("--block-interval-ms=250"), "a dotted key and a section are the same key")
        #expect(r.int("block.maxBytes") == 4_000_000, "a key without a flag is handed over as a value")
        #expect(!r.arguments.contains { $0.contains("4000000") })
        // Environment paths are relative to the working directory; lists in the environment are comma-separated.
        let e = try resolve(Self.tls, env: ["CITYCHAIN_DATA_DIR": "rel/data", "CITYCHAIN_PEERS": "10.0.0.1:1, 10.0.0.2:2"])
        #expect(e.arguments.contains("--data-dir=rel/data"))
        #expect(e.arguments.filter { $0.hasPrefix("--peer") } == ["--peer=10.0.0.1:1", "--peer=10.0.0.2:2"])
        // A list on the command line replaces the file's list.
        let f = try resolve(yaml, args: ["--peer", "127.0.0.1:5"])
        #expect(f.arguments.filter { $0.hasPrefix("--peer") } == ["--peer"])
    }

    @Test func wrongTypesNameTheKeyTheSourceAndTheFix() throws {
        let e = try #require(errors(Self.tls + "block:\n  intervalMillis: fast\n").first)
        #expect(e.kind == .wrongType && e.key == "block.intervalMillis" && e.source == Self.path)
        #expect(e.description == "key 'block.intervalMillis' in /etc/citychain/test.yaml (line 7) must be an integer from 0 to 60000 (got \"fast\"); write milliseconds, e.g. block.intervalMillis: 500")
        let env = try #require(errors(Self.tls, env: ["CITYCHAIN_BLOCK_INTERVAL_MILLIS": "fast"]).first)
        #expect(env.source == "CITYCHAIN_BLOCK_INTERVAL_MILLIS")
        #expect(env.description.hasPrefix("CITYCHAIN_BLOCK_INTERVAL_MILLIS (key 'block.intervalMillis') must be an integer"))
        let list = try #require(errors(Self.tls + "listen: [a, b]\n").first)
        #expect(list.key == "listen" && list.description.contains("must be HOST:PORT (got a list: [a, b])"))
        let scalar = try #require(errors(Self.tls + "peers: 10.0.0.1:7101\n").first)
        #expect(scalar.key == "peers" && scalar.description.contains("must be a list of HOST:PORT"))
        let range = try #require(errors(Self.tls + "watchPollMillis: 10\n").first)
        #expect(range.kind == .invalidValue && range.description.contains("must be an integer from 50 to 5000 (got 10)"))
        let host = try #require(errors(Self.tls + "peers: [10.0.0.1]\n").first)
        #expect(host.key == "peers" && host.description.contains("(got \"10.0.0.1\" in the list)"))
        let level = try #require(errors(Self.tls + "log:\n  level: loud\n").first)
        #expect(level.key == "log.level" && level.description.contains("must be one of trace, debug"))
        let section = try #require(errors(Self.tls + "block:\n  intervalMillis:\n    fast: 1\n").first)
        #expect(section.key == "block.intervalMillis" && section.description.contains("(got a section)"))
    }

    @Test func secretsAreNeverPrinted() throws {
        let e = try #require(errors(Self.tls + "postgres: mysql://admin:hunter2@db/registry\n").first)
        #expect(e.key == "postgres" && e.kind == .invalidValue)
        #expect(!e.description.contains("hunter2"))
        #expect(e.description.hasPrefix("key 'postgres' in /etc/citychain/test.yaml (line 6) is not a postgres:// URL; write postgres://"))
        let ok = try resolve(Self.tls + "postgres: postgres://admin:hunter2@db/registry\n")
        #expect(ok.arguments.contains("--postgres=postgres://admin:hunter2@db/registry"))
    }

    @Test func missingRequiredKeysSayWhereToSetThem() throws {
        let yaml = "tls:\n  key: k.pem\n  ca: ca.pem\ngenesis: g.json\n"
        let e = try #require(errors(yaml).first)
        #expect(e.kind == .missing && e.key == "tls.cert")
        #expect(e.description.hasPrefix("missing 'tls.cert': set it in /etc/citychain/test.yaml, or CITYCHAIN_TLS_CERT, or pass --cert"))
        #expect(errors(yaml, args: ["--cert", "/x.pem"]).isEmpty)
        #expect(errors(yaml, env: ["CITYCHAIN_TLS_CERT": "/x.pem"]).isEmpty)
        #expect(errors(nil).isEmpty, "without a file the command line's own checks apply, unchanged")
    }

    @Test func unknownKeysNameTheClosestKnownKey() throws {
        let e = try #require(errors(Self.tls + "tls.crt: x.pem\n").first)
        #expect(e.kind == .unknownKey && e.key == "tls.crt")
        #expect(e.description == "unknown key 'tls.crt' in /etc/citychain/test.yaml (line 6); did you mean 'tls.cert'? (docs/CONFIG.md lists citychain-test's keys)")
        #expect(errors(Self.tls + "blok:\n  intervalMillis: 5\n").first?.description.contains("did you mean 'block.intervalMillis'") == true)
        #expect(errors(Self.tls + "cert: x.pem\n").first?.description.contains("did you mean 'tls.cert'") == true)
        #expect(errors(Self.tls + "tls.certificate: x.pem\n").first?.description.contains("did you mean 'tls.cert'") == true)
        #expect(errors(Self.tls + "colour: blue\n").first?.description.contains("remove it") == true)
        let section = try #require(errors("tls: /etc/citychain/tls\ngenesis: g.json\n").first)
        #expect(section.key == "tls" && section.description.contains("is a section, not a value; set its keys under it: tls.cert, tls.key, tls.ca"))
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let all = errors("tls:\n  key: k\n  ca: c\ngenesis: g\nlisten: nowhere\nwatchPollMillis: often\nfoo: 1\n")
        #expect(Set(all.compactMap(\.key)) == ["foo", "listen", "watchPollMillis", "tls.cert"])
    }

    @Test func badYAMLNamesTheFile() throws {
        let e = try #require(errors("tls: [unclosed\n").first)
        #expect(e.kind == .badFile && e.description.contains("/etc/citychain/test.yaml is not valid YAML"))
        #expect(errors("- a\n- b\n").first?.description.contains("is not a YAML mapping") == true)
        #expect(errors("").first?.kind == .missing, "an empty file sets nothing")
    }

    @Test func unreadableAndMalformedFilesNameTheKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try CertificateAuthority.create()
        let issued = try ca.issue(role: .gateway, name: "gw")
        try PEMFiles.write(issued.certificatePEM, to: dir + "/svc.pem", secret: false)
        try PEMFiles.write(issued.privateKeyPEM, to: dir + "/svc.key", secret: true)
        try PEMFiles.write(ca.certificatePEM, to: dir + "/ca.pem", secret: false)
        try PEMFiles.write("{}", to: dir + "/g.json", secret: false)
        try PEMFiles.write("not a certificate", to: dir + "/junk.pem", secret: false)
        func check(_ yaml: String) -> [ConfigError] {
            do throws(ConfigErrors) {
                _ = try ServiceConfig.resolve(Self.schema, arguments: [], environment: [:], file: .init(path: dir + "/svc.yaml", text: yaml))
                return []
            } catch { return error.errors }
        }
        let good = "tls:\n  cert: svc.pem\n  key: svc.key\n  ca: ca.pem\ngenesis: g.json\ndataDir: data/new\n"
        #expect(check(good).isEmpty)
        let missing = try #require(check(good.replacingOccurrences(of: "cert: svc.pem", with: "cert: nope.pem")).first)
        #expect(missing.kind == .badPath && missing.key == "tls.cert")
        #expect(missing.description == "key 'tls.cert' in \(dir)/svc.yaml (line 2) = \(dir)/nope.pem: cannot read it (No such file or directory); fix the path or the file's permissions")
        let junk = try #require(check(good.replacingOccurrences(of: "ca: ca.pem", with: "ca: junk.pem")).first)
        #expect(junk.key == "tls.ca" && junk.description.contains("is not a PEM certificate"))
        let key = try #require(check(good.replacingOccurrences(of: "key: svc.key", with: "key: svc.pem")).first)
        #expect(key.key == "tls.key" && key.description.contains("is not a PEM private key"))
        let notDir = try #require(check(good.replacingOccurrences(of: "dataDir: data/new", with: "dataDir: g.json")).first)
        #expect(notDir.key == "dataDir" && notDir.description.contains("is a file, not a directory"))
        var envErrors: [ConfigError] = []
        do throws(ConfigErrors) {
            _ = try ServiceConfig.resolve(Self.schema, arguments: [], environment: ["CITYCHAIN_GENESIS": dir + "/none.json"],
                                          file: .init(path: dir + "/svc.yaml", text: good))
        } catch { envErrors = error.errors }
        let fromEnv = try #require(envErrors.first)
        #expect(fromEnv.description.hasPrefix("key 'genesis' from CITYCHAIN_GENESIS = \(dir)/none.json: cannot read it"))
    }

    @Test func environmentNamesAreSwiftConfigurationsEncoding() throws {
        #expect(ConfigSchema.environmentVariable(for: "tls.cert") == "CITYCHAIN_TLS_CERT")
        #expect(ConfigSchema.environmentVariable(for: "block.intervalMillis") == "CITYCHAIN_BLOCK_INTERVAL_MILLIS")
        #expect(ConfigSchema.environmentVariable(for: "dataDir") == "CITYCHAIN_DATA_DIR")
        let all = Self.schema.settings + ValidatorCommand.configSchema.settings + IndexerCommand.configSchema.settings
            + GatewayCommand.configSchema.settings + RegistryCommand.configSchema.settings
        for s in all {
            let provider = EnvironmentVariablesProvider(environmentVariables: [s.environmentVariable: "x"])
            let found = try provider.value(forKey: AbsoluteConfigKey(["citychain"] + s.components), type: .string).value?.content
            #expect(found == .string("x"), "\(s.key) → \(s.environmentVariable)")
        }
    }

    @Test func theProcessEdgeFindsTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data((Self.tls + "listen: 0.0.0.0:7101\n").utf8).write(to: URL(fileURLWithPath: dir + "/svc.yml"))
        let viaEnv = try ServiceConfig.load(Self.schema, arguments: [], environment: ["CITYCHAIN_CONFIG": dir + "/svc.yml"], paths: AcceptAllPaths())
        #expect(viaEnv.arguments.contains("--listen=0.0.0.0:7101") && viaEnv.arguments.last == "--config=\(dir)/svc.yml")
        let viaFlag = try ServiceConfig.load(Self.schema, arguments: ["--config", dir + "/svc.yml"], environment: [:], paths: AcceptAllPaths())
        #expect(viaFlag.arguments.first == "--config" && viaFlag.arguments.contains("--cert=/etc/citychain/tls/svc.pem") == false)
        #expect(viaFlag.arguments.contains("--cert=\(dir)/tls/svc.pem"))
        #expect(throws: ConfigErrors.self) { try ServiceConfig.load(Self.schema, arguments: ["--config", dir + "/none.yaml"], environment: [:]) }
        do throws(ConfigErrors) { _ = try ServiceConfig.load(Self.schema, arguments: ["--config=\(dir)/none.yaml"], environment: [:]); Issue.record("no error") } catch {
            #expect(error.description == "cannot read the config file \(dir)/none.yaml (No such file or directory); fix --config or the file's permissions")
        }
        do throws(ConfigErrors) { _ = try ServiceConfig.load(Self.schema, arguments: ["--config=x.json"], environment: [:]); Issue.record("no error") } catch {
            #expect(error.description.contains("is JSON; citychain-test reads YAML"))
        }
        let help = try ServiceConfig.load(Self.schema, arguments: ["--help"], environment: ["CITYCHAIN_CONFIG": dir + "/none.yaml"])
        #expect(help.arguments == ["--help"], "help works whatever the config")
        // The validator's older JSON file is retired: refused with where to read how to convert it.
        do throws(ConfigErrors) {
            _ = try ServiceConfig.load(ValidatorCommand.configSchema, arguments: ["--config", "v.json"], environment: [:]); Issue.record("no error")
        } catch {
            #expect(error.description.contains("is JSON; citychain-validator reads YAML") && error.description.contains("docs/OPERATIONS.md"))
        }
    }

    // MARK: - The services' schemas and example configs

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static let services: [(file: String, schema: ConfigSchema)] = [
        ("validator.yaml", ValidatorCommand.configSchema), ("indexer.yaml", IndexerCommand.configSchema),
        ("gateway.yaml", GatewayCommand.configSchema), ("registry.yaml", RegistryCommand.configSchema),
    ]

    @Test(arguments: ServiceConfigTests.services.map(\.file))
    func exampleConfigsLoadThroughTheirSchema(file: String) throws {
        let schema = try #require(Self.services.first { $0.file == file }?.schema)
        let path = Self.root.appendingPathComponent("deploy/config/" + file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let r = try ServiceConfig.resolve(schema, arguments: [], environment: [:], file: .init(path: path, text: text), paths: AcceptAllPaths())
        for s in schema.settings where s.required { #expect(r.values[s.key] != nil, "\(file) sets \(s.key)") }
        #expect(r.values.count >= schema.settings.filter(\.required).count + 3, "\(file) shows more than the required keys")
    }

    @Test func docsListEveryKeyOfEveryService() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        for (_, schema) in Self.services {
            for s in schema.settings {
                #expect(doc.contains("`\(s.key)`"), "docs/CONFIG.md lists \(schema.service)'s \(s.key)")
                #expect(doc.contains(s.environmentVariable), "docs/CONFIG.md names \(s.environmentVariable)")
            }
        }
    }

    @Test func theValidatorReadsItsTuningKeysFromYAMLAndTheEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("block:\n  maxTransactions: 100\n  heartbeatMillis: 4000\nconsensus:\n  proposeBaseMillis: 1500\nmempool.maxPerSigner: 7\ndataDir: d\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/v.yaml"))
        func command(_ environment: [String: String]) throws -> ValidatorCommand {
            let flags = ["--config", dir + "/v.yaml", "--genesis", "g.json", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem"]
            let r = try ServiceConfig.load(ValidatorCommand.configSchema, arguments: flags, environment: environment, paths: AcceptAllPaths())
            return try ValidatorCommand.parse(r.arguments)
        }
        let c = try command(["CITYCHAIN_CONSENSUS_REBROADCAST_MILLIS": "900", "CITYCHAIN_BLOCK_HEARTBEAT_MILLIS": "6000"])
        #expect(c.dataDir == dir + "/d", "relative paths are relative to the file")
        let policy = try c.tuning.blockPolicy()
        #expect(policy.maxTransactionsPerBlock == 100)
        #expect(policy.heartbeatIntervalMillis == 6000, "the environment over the file")
        let consensus = try c.tuning.consensusConfig(chainID: "c")
        #expect(consensus.proposeBaseMillis == 1500 && consensus.rebroadcastMillis == 900)
        #expect(try c.tuning.mempoolLimits().maxPerSigner == 7)
        #expect { try command(["CITYCHAIN_BLOCK_MAX_BYTES": "big"]) } throws: {
            "\($0)".contains("CITYCHAIN_BLOCK_MAX_BYTES (key 'block.maxBytes') must be an integer")
        }
    }
}
