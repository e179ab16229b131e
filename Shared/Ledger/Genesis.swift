import CityEncoding
import Foundation

/// The chain's starting point: validators, admins and their threshold, agencies and datasets.
/// Read from a JSON file (keys as hex); its canonical encoding is hashed into block 1's `previousHash`.
package struct Genesis: Hashable, Sendable, Codable, CanonicalCodable {
    /// The chain id every transaction and vote names.
    package var chainID: String
    /// Genesis time, milliseconds since the Unix epoch.
    package var genesisTimeMillis: UInt64
    /// The first validator set.
    package var validators: [Validator]
    /// M of the M-of-N admin quorum (N = agencies with `isAdmin`).
    package var adminThreshold: UInt32
    /// Agencies registered from the start.
    package var agencies: [GenesisAgency]
    /// Datasets defined from the start.
    package var datasets: [GenesisDataset]

    /// A genesis from its parts (call `validate()`).
    package init(chainID: String, genesisTimeMillis: UInt64, validators: [Validator], adminThreshold: UInt32,
                 agencies: [GenesisAgency], datasets: [GenesisDataset]) {
        self.chainID = chainID
        self.genesisTimeMillis = genesisTimeMillis
        self.validators = validators
        self.adminThreshold = adminThreshold
        self.agencies = agencies
        self.datasets = datasets
    }

    /// SHA-256(domain "citychain/genesis/v1" || canonical genesis).
    package var hash: Hash32 { LedgerDomain.hash(LedgerDomain.genesis, canonicalBytes) }

    /// Parses and validates a genesis JSON file's contents.
    package static func fromJSON(_ data: Data) throws -> Genesis {
        let g = try JSONDecoder().decode(Genesis.self, from: data)
        try g.validate()
        return g
    }

    /// Pretty, key-sorted JSON for the genesis file.
    package func toJSON() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    package func encode(to w: inout CanonicalWriter) {
        w.string(chainID)
        w.u64(genesisTimeMillis)
        w.array(validators)
        w.u32(adminThreshold)
        w.array(agencies)
        w.array(datasets)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try IdentifierRules.readChainID(&r, field: "Genesis.chainID")
        genesisTimeMillis = try r.u64("Genesis.genesisTimeMillis")
        validators = try r.array(max: LedgerLimits.maxValidators, "Genesis.validators")
        adminThreshold = try r.u32("Genesis.adminThreshold")
        agencies = try r.array(max: LedgerLimits.maxGenesisEntries, "Genesis.agencies")
        datasets = try r.array(max: LedgerLimits.maxGenesisEntries, "Genesis.datasets")
    }
}
