import Foundation

/// Reading and writing the PEM files of the PKI, with errors that name the file.
package enum PEMFiles {
    /// Reads a text file.
    package static func read(_ path: String) throws(PKIError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError(.unreadableFile, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a text file; private keys (`secret`) are created with mode 0600.
    package static func write(_ text: String, to path: String, secret: Bool) throws(PKIError) {
        let fm = FileManager.default
        let dir = (path as NSString).deletingLastPathComponent
        do {
            if !dir.isEmpty { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            guard fm.createFile(atPath: path, contents: Data(text.utf8),
                                attributes: [.posixPermissions: secret ? 0o600 : 0o644]) else {
                throw PKIError(.unreadableFile, "cannot write \(path); check the directory is writable")
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.unreadableFile, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
