import CityEncoding

/// State entry `dataset`: a dataset's owner, sensitivity, schema and writers.
package struct DatasetEntry: Hashable, Sendable, CanonicalCodable {
    /// Its id.
    package var id: DatasetID
    /// The owning agency (always allowed to write, grant and revoke).
    package var owner: AgencyID
    /// Who may read it.
    package var sensitivity: Sensitivity
    /// Schema name of its payloads.
    package var schema: String
    /// Agencies besides the owner that may put and delete records, sorted.
    package var writers: [AgencyID]
    /// Height it was defined at (0 = genesis).
    package var createdAtHeight: UInt64

    /// An entry from its parts.
    package init(id: DatasetID, owner: AgencyID, sensitivity: Sensitivity, schema: String, writers: [AgencyID],
                 createdAtHeight: UInt64) {
        self.id = id
        self.owner = owner
        self.sensitivity = sensitivity
        self.schema = schema
        self.writers = writers.sorted()
        self.createdAtHeight = createdAtHeight
    }

    /// True when `agency` may put and delete records: the owner or a listed writer.
    package func canWrite(_ agency: AgencyID) -> Bool { agency == owner || writers.contains(agency) }

    package func encode(to w: inout CanonicalWriter) {
        w.encode(id); w.encode(owner); w.encode(sensitivity); w.string(schema); w.array(writers); w.u64(createdAtHeight)
    }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        id = try DatasetID(from: &r)
        owner = try AgencyID(from: &r)
        sensitivity = try Sensitivity(from: &r)
        schema = try r.string(max: LedgerLimits.maxSchemaBytes, "DatasetEntry.schema")
        writers = try r.array(max: LedgerLimits.maxWritersPerDataset, "DatasetEntry.writers")
        createdAtHeight = try r.u64("DatasetEntry.createdAtHeight")
    }
}
