// swift-tools-version: 6.1
// CityChain: a permissioned ledger for city data sharing.
// Layout: Shared/<Module> libraries, Services/<Name>/{Library,Main} per executable,
// Tests/<Module>Tests mirroring them. See docs/ARCHITECTURE.md.
import CompilerPluginSupport
import PackageDescription
import Foundation

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOExtras", package: "swift-nio-extras"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
]
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let x509: Target.Dependency = .product(name: "X509", package: "swift-certificates")
let postgres: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
// Service config files (YAML) and environment variables: Shared/Node/Config (docs/CONFIG.md).
let configuration: Target.Dependency = .product(name: "Configuration", package: "swift-configuration")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")

/// A service: a testable library target plus a thin executable that only parses
/// arguments and runs the library's ServiceGroup.
func service(_ name: String, executable: String, dependencies: [Target.Dependency]) -> [Target] {
    [
        .target(name: "City\(name)", dependencies: dependencies, path: "Services/\(name)/Library", swiftSettings: settings),
        .executableTarget(name: executable, dependencies: [.target(name: "City\(name)")],
                          path: "Services/\(name)/Main", swiftSettings: settings),
    ]
}

let serviceDeps: [Target.Dependency] = [crypto, "CityNode", "CityOps", "CityChainAPI", "CityConsensus", "CityLedger", "CityWire", "CityPKI", lifecycle, logging, metrics, argumentParser] + nio

var targets: [Target] = [
    // Pure libraries: no networking, no database, no clock.
    .target(name: "CityEncoding", dependencies: [crypto, "CityMacros"], path: "Shared/Encoding", swiftSettings: settings),
    // Compiler plugin: @MemberwiseInit (a package memberwise initializer), declared in CityEncoding.
    .macro(name: "CityMacros", dependencies: [.product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                                              .product(name: "SwiftCompilerPlugin", package: "swift-syntax")],
           path: "Shared/Macros", swiftSettings: settings),
    .target(name: "CityMerkle", dependencies: ["CityEncoding", crypto], path: "Shared/Merkle", swiftSettings: settings),
    // Ed25519 verification against per-key precomputed tables (C; same verdict as BoringSSL's).
    .target(name: "CEd25519", path: "Shared/CEd25519", cSettings: [.unsafeFlags(["-O3"])]),
    .target(name: "CityLedger", dependencies: ["CityEncoding", "CityMerkle", "CEd25519", crypto], path: "Shared/Ledger", swiftSettings: settings),
    // Tendermint consensus as a pure state machine (events in, actions out).
    .target(name: "CityConsensus", dependencies: ["CityEncoding", "CityLedger", crypto], path: "Shared/Consensus", swiftSettings: settings),
    // Certificates and the wire (frames, mutual TLS, server and client).
    .target(name: "CityPKI", dependencies: ["CityEncoding", crypto, x509, .product(name: "SwiftASN1", package: "swift-asn1"),
                                        .product(name: "NIOSSL", package: "swift-nio-ssl")],
            path: "Shared/PKI", swiftSettings: settings),
    .target(name: "CityWire", dependencies: ["CityEncoding", "CityPKI", lifecycle, logging, metrics, x509,
                                         .product(name: "NIOTLS", package: "swift-nio")] + nio,
            path: "Shared/Wire", swiftSettings: settings),
    // The validators' message payloads (submit, status, gossip, block sync, commit stream), shared
    // by the validator and its clients (indexer, gateway, CLI).
    .target(name: "CityChainAPI", dependencies: ["CityEncoding", "CityLedger", "CityConsensus", "CityWire", "CityPKI"],
            path: "Shared/API", swiftSettings: settings),
    // Ops endpoints of every service: /healthz, /readyz, /metrics (Hummingbird, Prometheus), JSON logs.
    .target(name: "CityOps", dependencies: ["CityEncoding", logging, lifecycle, metrics, .product(name: "Prometheus", package: "swift-prometheus"),
                                        .product(name: "Hummingbird", package: "hummingbird")],
            path: "Shared/Ops", swiftSettings: settings),
    // What every service process shares: options, identity, key files, the node-info route, the run loop.
    // CityNode uses CityChainAPI's registry payloads (RegistryAgent, RegistryDirectory); CityChainAPI never imports CityNode.
    .target(name: "CityNode", dependencies: ["CityLedger", "CityWire", "CityPKI", "CityChainAPI", "CityOps", crypto, lifecycle, logging, metrics,
                                         .product(name: "Prometheus", package: "swift-prometheus"),
                                         .product(name: "UnixSignals", package: "swift-service-lifecycle"), argumentParser, configuration, yams] + nio,
            path: "Shared/Node", swiftSettings: settings),

    .testTarget(name: "CityMacrosTests", dependencies: ["CityMacros", .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
                                                     .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax")],
                path: "Tests/CityMacrosTests", swiftSettings: settings),
    .testTarget(name: "CityEncodingTests", dependencies: ["CityEncoding"], path: "Tests/CityEncodingTests", swiftSettings: settings),
    .testTarget(name: "CityMerkleTests", dependencies: ["CityMerkle", "CityEncoding", "CityTestSupport"], path: "Tests/CityMerkleTests", swiftSettings: settings),
    .testTarget(name: "CityLedgerTests", dependencies: ["CityLedger", "CityTestSupport", "CityMerkle", "CityEncoding", crypto],
                path: "Tests/CityLedgerTests", swiftSettings: settings),
    .testTarget(name: "CityConsensusTests", dependencies: ["CityConsensus", "CityLedger", "CityEncoding", crypto],
                path: "Tests/CityConsensusTests", swiftSettings: settings),
    .testTarget(name: "CityChainAPITests", dependencies: ["CityChainAPI", "CityTestSupport", "CityLedger", "CityConsensus", "CityEncoding", "CityMerkle", crypto],
                path: "Tests/CityChainAPITests", swiftSettings: settings),
    .testTarget(name: "CityValidatorTests", dependencies: ["CityValidator", "CityTestSupport", "CityChainAPI", "CityLedger", "CityEncoding", "CityConsensus", "CityMerkle",
                                                           "CityNode", "CityPKI", "CityWire", crypto, logging, lifecycle] + nio,
                path: "Tests/CityValidatorTests", swiftSettings: settings),
    .testTarget(name: "CityPKITests", dependencies: ["CityPKI", x509, crypto, .product(name: "NIOSSL", package: "swift-nio-ssl")], path: "Tests/CityPKITests", swiftSettings: settings),
    .testTarget(name: "CityWireTests", dependencies: ["CityWire", "CityTestSupport", "CityPKI", "CityEncoding", x509, logging, lifecycle,
                                                 .product(name: "NIOEmbedded", package: "swift-nio")] + nio,
                path: "Tests/CityWireTests", swiftSettings: settings),
    // CityNodeTests also checks each service's config schema against deploy/config/ and docs/CONFIG.md.
    .testTarget(name: "CityNodeTests", dependencies: ["CityNode", "CityTestSupport", "CityWire", "CityPKI", "CityLedger", crypto, logging, lifecycle, configuration,
                                                      "CityValidator", "CityIndexer", "CityGateway", "CityRegistry"] + nio,
                path: "Tests/CityNodeTests", swiftSettings: settings),
    .testTarget(name: "CityOpsTests", dependencies: ["CityOps", "CityTestSupport", logging, lifecycle, metrics,
                                                     .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"), .product(name: "Prometheus", package: "swift-prometheus")] + nio,
                path: "Tests/CityOpsTests", swiftSettings: settings),
    .testTarget(name: "CityCLITests", dependencies: ["CityCLI", "CityLedger", "CityEncoding", "CityPKI", "CityNode", argumentParser], path: "Tests/CityCLITests", swiftSettings: settings),
]
targets += service("Validator", executable: "citychain-validator", dependencies: serviceDeps)
// The PostgreSQL link (TLS per the URL's sslmode, errors explained) of the services that keep state there.
targets.append(.target(name: "CityPostgres", dependencies: ["CityNode", postgres, .product(name: "NIOSSL", package: "swift-nio-ssl")],
                       path: "Shared/Postgres", swiftSettings: settings))
targets += service("Indexer", executable: "citychain-indexer", dependencies: serviceDeps + ["CityMerkle", "CityEncoding", "CityPostgres", postgres])
// Test-only support shared by the PostgreSQL-backed services' tests: a private PostgreSQL cluster
// (initdb as the postgres user into a temporary directory). A plain library so test targets share it.
targets.append(.target(name: "CityTestSupport", dependencies: ["CityLedger", "CityEncoding", "CityWire", "CityPKI", crypto], path: "Tests/Support", swiftSettings: settings))
// Indexer tests start their own PostgreSQL (see CityTestSupport).
targets.append(.testTarget(name: "CityIndexerTests", dependencies: ["CityIndexer", "CityGateway", "CityRegistry", "CityTestSupport", "CityValidator", "CityChainAPI", "CityLedger", "CityMerkle", "CityPostgres",
                                                                    "CityEncoding", "CityConsensus", "CityNode", "CityPKI", "CityWire",
                                                                    crypto, logging, lifecycle, postgres] + nio,
                           path: "Tests/CityIndexerTests", swiftSettings: settings))
targets += service("Gateway", executable: "citychain-gateway", dependencies: serviceDeps)
targets.append(.testTarget(name: "CityGatewayTests", dependencies: ["CityGateway", "CityChainAPI", "CityLedger", "CityMerkle", "CityEncoding", "CityWire", crypto],
                           path: "Tests/CityGatewayTests", swiftSettings: settings))
targets += service("Registry", executable: "citychain-registry", dependencies: serviceDeps + ["CityEncoding", "CityPostgres", postgres])
// Registry tests start their own PostgreSQL (CityTestSupport) and real citychain-registry processes.
targets.append(.testTarget(name: "CityRegistryTests", dependencies: ["CityRegistry", "CityTestSupport", "CityChainAPI", "CityNode", "CityPKI", "CityLedger",
                                                                     "CityWire", "CityEncoding", crypto, logging, lifecycle, postgres] + nio,
                           path: "Tests/CityRegistryTests", swiftSettings: settings))
// The CLI depends on Shared modules only (deploy/check-imports: no service imports another).
targets += service("CLI", executable: "citychain", dependencies: serviceDeps + [x509, .product(name: "Hummingbird", package: "hummingbird")])
// The benches: a measuring harness like the tests, not a service. It may import services to run
// them in its own process (`citychain-bench index` and `feed` run a real indexer); docs/ARCHITECTURE.md.
targets += service("Bench", executable: "citychain-bench", dependencies: serviceDeps + ["CityIndexer", "CityGateway", "CityValidator", "CityMerkle", "CityEncoding", "CityPostgres", postgres])
// Starts the `citychain` binary (CityTestSupport's runCLI) to make genesis and key files.
targets.append(.testTarget(name: "CityBenchTests", dependencies: ["CityBench", "CityTestSupport", "CityChainAPI", "CityLedger", "CityEncoding"],
                           path: "Tests/CityBenchTests", swiftSettings: settings))

var products: [Product] = [
    .executable(name: "citychain-validator", targets: ["citychain-validator"]),
    .executable(name: "citychain-indexer", targets: ["citychain-indexer"]),
    .executable(name: "citychain-gateway", targets: ["citychain-gateway"]),
    .executable(name: "citychain-registry", targets: ["citychain-registry"]),
    .executable(name: "citychain", targets: ["citychain"]),
    .executable(name: "citychain-bench", targets: ["citychain-bench"]),
]

// The libFuzzer target links only with `-sanitize=fuzzer`, so it exists only when asked for:
// CITYCHAIN_FUZZ=1 swift build --product FrameFuzzer (docs/protocol/fuzzing.md). Only our own
// modules are instrumented (per-target flags): the dependencies compile exactly as in the normal
// debug build, so a fuzz build in the same scratch path reuses them and recompiles only City*.
if ProcessInfo.processInfo.environment["CITYCHAIN_FUZZ"] == "1" {
    let fuzz: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer"])]
    for target in targets where target.type == .regular && target.name.hasPrefix("City") {
        target.swiftSettings = (target.swiftSettings ?? []) + fuzz
    }
    for target in targets where target.name == "CEd25519" {
        target.cSettings = (target.cSettings ?? []) + [.unsafeFlags(["-fsanitize=fuzzer-no-link"])]
    }
    targets.append(.executableTarget(name: "FrameFuzzer", dependencies: ["CityChainAPI", "CityConsensus", "CityWire", "CityLedger",
                                                                       "CityMerkle", "CityEncoding", crypto],
                                     path: "Tests/Fuzz/FrameFuzzer", swiftSettings: settings + fuzz,
                                     linkerSettings: [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=lld"])]))
    products.append(.executable(name: "FrameFuzzer", targets: ["FrameFuzzer"]))
}

let package = Package(
    name: "CityChain",
    platforms: [.macOS(.v15)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
    ],
    targets: targets
)
