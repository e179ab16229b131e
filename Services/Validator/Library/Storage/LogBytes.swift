/// Random read access to a log's bytes: a file in the process, a byte array in tests. Lets the
/// recovery scan be tested without a disk.
package protocol LogBytes {
    /// The number of bytes.
    var count: Int { get }
    /// `count` bytes from `offset`; the caller keeps `offset + count` within `self.count`.
    func read(offset: Int, count: Int) throws(BlockStoreError) -> [UInt8]
}

extension Array: LogBytes where Element == UInt8 {
    /// A copy of the bytes at `offset..<offset+count`.
    package func read(offset: Int, count: Int) throws(BlockStoreError) -> [UInt8] {
        Array(self[offset..<(offset + count)])
    }
}
