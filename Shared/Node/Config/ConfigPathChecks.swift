import Foundation
import NIOSSL

/// Checks that the files and directories a config names are usable, before the service starts.
/// The resolver takes one so that its tests (and the example configs' test) can relax them.
package protocol ConfigPathChecks: Sendable {
    /// Nil when `path` can be used as `kind`, else what is wrong and what to do.
    func problem(path: String, kind: ConfigSetting.Kind) -> (problem: String, fix: String)?
}

/// The real checks: open and read the file, parse PEM, look at the directory.
package struct LocalPathChecks: ConfigPathChecks {
    /// The real checks.
    package init() {}

    package func problem(path: String, kind: ConfigSetting.Kind) -> (problem: String, fix: String)? {
        switch kind {
        case .file(let fileKind): return fileProblem(path, fileKind)
        case .directory: return directoryProblem(path)
        default: return nil
        }
    }

    private func fileProblem(_ path: String, _ kind: ConfigSetting.FileKind) -> (problem: String, fix: String)? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return ("cannot read it (\(String(cString: strerror(errno))))", "fix the path or the file's permissions") }
        close(fd)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return ("is a directory, not a file", "point it at the file itself")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return ("cannot read it", "fix the path or the file's permissions")
        }
        switch kind {
        case .readable:
            return nil
        case .certificate:
            do {
                guard !(try NIOSSLCertificate.fromPEMBytes(Array(data))).isEmpty else { throw NIOSSLError.failedToLoadCertificate }
                return nil
            } catch {
                return ("is not a PEM certificate (\(error))", "point it at a PEM file that begins with -----BEGIN CERTIFICATE-----")
            }
        case .privateKey:
            do {
                _ = try NIOSSLPrivateKey(bytes: Array(data), format: .pem)
                return nil
            } catch {
                return ("is not a PEM private key (\(error))", "point it at the PEM private key written with the certificate")
            }
        }
    }

    private func directoryProblem(_ path: String) -> (problem: String, fix: String)? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return ("is a file, not a directory", "point it at a directory (it is created when missing)") }
            guard fm.isWritableFile(atPath: path) else { return ("is not writable by this user", "fix the directory's owner or permissions") }
            return nil
        }
        // Missing is fine if the service can create it: the nearest existing ancestor must be a writable directory.
        var ancestor = (path as NSString).deletingLastPathComponent
        for _ in 0..<64 where !ancestor.isEmpty && !fm.fileExists(atPath: ancestor) {
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        if ancestor.isEmpty { ancestor = "." }
        guard fm.fileExists(atPath: ancestor, isDirectory: &isDirectory), isDirectory.boolValue, fm.isWritableFile(atPath: ancestor) else {
            return ("does not exist and cannot be created under \(ancestor)", "create it, or fix the permissions of \(ancestor)")
        }
        return nil
    }
}

/// Accepts every path (for checking a config's shape without its files: the example configs).
package struct AcceptAllPaths: ConfigPathChecks {
    /// Accepts every path.
    package init() {}

    package func problem(path: String, kind: ConfigSetting.Kind) -> (problem: String, fix: String)? { nil }
}
