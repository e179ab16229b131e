/// The 4-byte checksum of a block-log or snapshot record: the first 4 bytes of SHA-256, read
/// big-endian. Chosen over CRC32C because swift-crypto's SHA-256 runs on the CPU's SHA
/// instructions (faster than a table CRC in Swift, and as fast in debug builds) and gives the
/// same 2^-32 chance of missing random damage; integrity against an attacker comes from the
/// block hash chain and the commit certificates, not from this checksum.
package enum RecordChecksum {
    /// The checksum of `parts` concatenated.
    package static func of(_ parts: [[UInt8]]) -> UInt32 {
        let digest = Hash32.sha256(parts: parts).bytes
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// The checksum of one byte string.
    package static func of(_ bytes: some Collection<UInt8>) -> UInt32 { of([Array(bytes)]) }
}
