/// Why a snapshot file's bytes are refused (`SnapshotFile`, `SnapshotHeader`): too large to
/// write, or cut short, damaged or of another format to read. A validator's block store reports
/// it as its own `badSnapshot`/`tooLarge`; state sync names it as the reason a peer's file is refused.
package struct SnapshotFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Hashable, Sendable {
        /// Over `LedgerLimits.maxSnapshotFileBytes`.
        case tooLarge
        /// Cut short, damaged, of another format or version.
        case badSnapshot
    }

    package var code: Code
    /// The file concerned, if any.
    package var path: String?
    /// The snapshot's height, if known.
    package var height: UInt64?
    /// What was wrong and what to do.
    package var detail: String

    package init(_ code: Code, path: String? = nil, height: UInt64? = nil, _ detail: String) {
        self.code = code
        self.path = path
        self.height = height
        self.detail = detail
    }

    package var description: String {
        let place = [path, height.map { "height \($0)" }].compactMap { $0 }
        return "snapshot file \(code)\(place.isEmpty ? "" : " (" + place.joined(separator: ", ") + ")"): \(detail)"
    }
}
