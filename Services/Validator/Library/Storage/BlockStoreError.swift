import CityLedger

/// Why the block log, chain recovery or a storage file refused. Typed by `code`; the message
/// names the file, byte offset and height where known, what was wrong and what to do
/// (docs/STORAGE.md, "Errors and what the operator does").
package struct BlockStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: UInt16, Hashable, Sendable {
        /// A system call failed (open, read, write, fsync, rename); `detail` carries errno's text.
        case io = 1
        /// Another process holds the file's lock.
        case locked = 2
        /// The file header is missing, damaged, of another format or version.
        case badHeader = 3
        /// The file belongs to another chain or genesis.
        case wrongChain = 4
        /// A damaged record is followed by valid ones: corruption in the middle of the log.
        case corruptRecord = 5
        /// A record with a valid checksum breaks the chain (height gap, wrong parent, wrong chain id, undecodable).
        case chainBreak = 6
        /// An append does not extend the log (wrong height or parent) or its certificate does not match.
        case outOfOrder = 7
        /// A record or batch above `StorageLimits`.
        case tooLarge = 8
        /// A height that is not in the log.
        case notFound = 9
        /// Replay produced a state root other than the block header's.
        case stateRootMismatch = 10
        /// A stored block fails a ledger check during replay (transactions root, certificate, validator set).
        case invalidBlock = 11
        /// The log is closed.
        case closed = 12
        /// A snapshot file is cut short, damaged, of another format, or not on the certified chain.
        /// Recovery never sees it as an error: it skips the snapshot and uses an older one or genesis.
        case badSnapshot = 13
        /// The sign record is missing although the block log shows this validator has signed on this chain.
        case missingSignRecord = 14
    }

    /// The kind of failure.
    package var code: Code
    /// The file concerned, if any.
    package var path: String?
    /// The byte offset in `path` where the problem starts, if known.
    package var offset: Int?
    /// The block height concerned, if known.
    package var height: UInt64?
    /// What was wrong and what to do.
    package var detail: String

    /// An error with its code, location and detail.
    package init(_ code: Code, path: String? = nil, offset: Int? = nil, height: UInt64? = nil, _ detail: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.height = height
        self.detail = detail
    }

    package var description: String {
        var place: [String] = []
        if let path { place.append(path) }
        if let offset { place.append("byte offset \(offset)") }
        if let height { place.append("height \(height)") }
        let at = place.isEmpty ? "" : " (" + place.joined(separator: ", ") + ")"
        return "block store \(code)\(at): \(detail)"
    }
}

extension BlockStoreError {
    /// A snapshot file's refusal as the block store reports it.
    package init(_ e: SnapshotFileError) {
        self.init(e.code == .tooLarge ? .tooLarge : .badSnapshot, path: e.path, height: e.height, e.detail)
    }
}
