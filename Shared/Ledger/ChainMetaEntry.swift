import CityEncoding

/// State entry `chainMeta`: which chain this is and the last applied height.
@MemberwiseInit
package struct ChainMetaEntry: Hashable, Sendable, CanonicalCodable {
    /// The chain id.
    package var chainID: String
    /// Last applied block height (0 = genesis).
    package var height: UInt64
    /// Hash of the genesis this state started from.
    package var genesisHash: Hash32

    package func encode(to w: inout CanonicalWriter) { w.string(chainID); w.u64(height); w.encode(genesisHash) }

    package init(from r: inout CanonicalReader) throws(CodecError) {
        chainID = try IdentifierRules.readChainID(&r, field: "ChainMetaEntry.chainID")
        height = try r.u64("ChainMetaEntry.height")
        genesisHash = try Hash32(from: &r)
    }
}
