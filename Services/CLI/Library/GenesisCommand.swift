import ArgumentParser
import CityLedger
import CityNode
import CityPKI
import Foundation

/// `citychain genesis`: turn a spec (ids, names, key files) into the genesis file every validator starts from.
struct GenesisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Build and validate a genesis file from a spec.",
        discussion: """
        The spec is JSON: {"chainID", "genesisTimeMillis", "adminThreshold",
        "validators": [{"name", "keyFile", "power"}],
        "agencies": [{"id", "name", "admin", "signingKeyFile", "sealingKeyFile"}],
        "datasets": [{"id", "owner", "sensitivity": "public|internal|restricted", "schema", "writers"}]}.
        Key file paths are relative to the spec's directory. Agency keys get key id 1 (signing) and 2 (sealing).
        """)

    @Option(help: "The genesis spec (JSON).") var spec: String
    @Option(help: "Where to write the genesis file.") var out = "genesis.json"

    func run() throws {
        let specURL = URL(fileURLWithPath: spec)
        let data: Data
        do { data = try Data(contentsOf: specURL) } catch {
            throw ValidationError("cannot read the spec \(spec): \(error.localizedDescription)")
        }
        let parsed: GenesisSpec
        do { parsed = try JSONDecoder().decode(GenesisSpec.self, from: data) } catch {
            throw ValidationError("the spec \(spec) is not valid: \(error)")
        }
        let genesis = try parsed.genesis(baseDirectory: specURL.deletingLastPathComponent().path)
        try genesis.validate()
        try PEMFiles.write(String(decoding: try genesis.toJSON(), as: UTF8.self) + "\n", to: out, secret: false)
        let admins = genesis.agencies.filter(\.isAdmin).count
        print("genesis written: \(out)")
        print("  chain \(genesis.chainID), hash \(genesis.hash.hex)")
        print("  \(genesis.validators.count) validators, \(genesis.agencies.count) agencies (\(admins) admins, threshold \(genesis.adminThreshold)), \(genesis.datasets.count) datasets")
    }
}

/// The human-written input of `citychain genesis`.
struct GenesisSpec: Decodable {
    struct ValidatorSpec: Decodable { var name: String; var keyFile: String; var power: UInt64 }
    struct AgencySpec: Decodable {
        var id: String; var name: String; var admin: Bool?
        var signingKeyFile: String; var sealingKeyFile: String?
    }
    struct DatasetSpec: Decodable { var id: String; var owner: String; var sensitivity: String; var schema: String; var writers: [String] }

    var chainID: String
    var genesisTimeMillis: UInt64
    var adminThreshold: UInt32
    var validators: [ValidatorSpec]
    var agencies: [AgencySpec]
    var datasets: [DatasetSpec]

    /// Loads every key file and builds the ledger's genesis.
    func genesis(baseDirectory: String) throws -> Genesis {
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : "\(baseDirectory)/\(p)" }
        let vals = try validators.map { v in
            let key = try KeyFile.load(path(v.keyFile), expecting: .signing)
            return Validator(publicKey: try PublicKey(bytes: key.publicKeyBytes), power: v.power, name: v.name)
        }
        let ags = try agencies.map { a in
            var keys = [AgencyKey(keyID: KeyID(1), material: .signing(
                try PublicKey(bytes: try KeyFile.load(path(a.signingKeyFile), expecting: .signing).publicKeyBytes)))]
            if let sealing = a.sealingKeyFile {
                keys.append(AgencyKey(keyID: KeyID(2), material: .sealing(
                    try SealingPublicKey(bytes: try KeyFile.load(path(sealing), expecting: .sealing).publicKeyBytes))))
            }
            return GenesisAgency(id: try AgencyID(a.id), name: a.name, isAdmin: a.admin ?? false, keys: keys)
        }
        let sets = try datasets.map { d in
            guard let s = ["public": Sensitivity.public, "internal": .internal, "restricted": .restricted][d.sensitivity] else {
                throw ValidationError("dataset \(d.id): sensitivity '\(d.sensitivity)' must be public, internal or restricted")
            }
            return GenesisDataset(id: try DatasetID(d.id), owner: try AgencyID(d.owner), sensitivity: s, schema: d.schema,
                                  writers: try d.writers.map { try AgencyID($0) })
        }
        return Genesis(chainID: chainID, genesisTimeMillis: genesisTimeMillis, validators: vals,
                       adminThreshold: adminThreshold, agencies: ags, datasets: sets)
    }
}
