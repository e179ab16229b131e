import CityEncoding

/// A dataset present from genesis.
@MemberwiseInit
package struct GenesisDataset: Hashable, Sendable, Codable, CanonicalCodable {
    /// Its id.
    package var id: DatasetID
    /// The owning agency.
    package var owner: AgencyID
    /// Who may read it.
    package var sensitivity: Sensitivity
    /// Schema name of its payloads.
    package var schema: String
    /// Agencies besides the owner that may write, sorted.
    package var writers: [AgencyID]

    package func encode(to w: inout CanonicalWriter) {
        w.encode(id); w.encode(owner); w.encode(sensitivity); w.string(schema); w.array(writers)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try DatasetID(from: &r)
        owner = try AgencyID(from: &r)
        sensitivity = try Sensitivity(from: &r)
        schema = try r.string(max: LedgerLimits.maxSchemaBytes, "GenesisDataset.schema")
        writers = try r.array(max: LedgerLimits.maxWritersPerDataset, "GenesisDataset.writers")
    }
}
