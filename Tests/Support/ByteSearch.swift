extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes (tests that look for a payload in files and dumps).
    package func containsSlice(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first && self[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
