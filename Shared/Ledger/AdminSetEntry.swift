import CityEncoding

/// State entry `adminSet`: the admin agencies (sorted) and how many must sign an admin operation.
package struct AdminSetEntry: Hashable, Sendable, CanonicalCodable {
    /// Admin agencies, sorted.
    package var admins: [AgencyID]
    /// M of M-of-N.
    package var threshold: UInt32

    /// An entry from its parts; admins are sorted.
    package init(admins: [AgencyID], threshold: UInt32) {
        self.admins = admins.sorted()
        self.threshold = threshold
    }

    package func encode(to w: inout CanonicalWriter) { w.array(admins); w.u32(threshold) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        admins = try r.array(max: LedgerLimits.maxGenesisEntries, "AdminSetEntry.admins")
        threshold = try r.u32("AdminSetEntry.threshold")
    }
}
