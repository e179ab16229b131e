import CityPKI
import Foundation

/// What the benches that drive a second process share: a scratch directory, an identity written
/// there as PEM files (with `PEMFiles.write`, the key at mode 0600), and a child run to its end
/// without blocking a thread (its stdout and stderr kept in files).
struct BenchChild {
    /// A fresh scratch directory, removed by `remove()`.
    let directory: URL

    init(prefix: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Writes `identity` as `<name>.pem`, `<name>.key` and `ca.pem`.
    func write(_ identity: IssuedIdentity, as name: String) throws -> TLSIdentityFiles {
        let files = TLSIdentityFiles(certificatePath: path("\(name).pem"), privateKeyPath: path("\(name).key"), caCertificatePath: path("ca.pem"))
        try PEMFiles.write(identity.certificatePEM, to: files.certificatePath, secret: false)
        try PEMFiles.write(identity.privateKeyPEM, to: files.privateKeyPath, secret: true)
        try PEMFiles.write(identity.caCertificatePEM, to: files.caCertificatePath, secret: false)
        return files
    }

    /// Starts `executable` with `arguments`; `started` runs once it is running (e.g. to watch it),
    /// and the call returns its exit status with its stdout and stderr.
    func run(_ executable: String, _ arguments: [String], while started: (Process) async throws -> Void = { _ in })
        async throws -> (status: Int32, stdout: String, stderr: String) {
        let out = path("stdout.txt"), err = path("stderr.txt")
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = arguments
        child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        child.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        let (exit, exited) = AsyncStream.makeStream(of: Int32.self, bufferingPolicy: .bufferingNewest(1))
        child.terminationHandler = { exited.yield($0.terminationStatus); exited.finish() }
        try child.run()
        try await started(child)
        var status: Int32 = -1
        for await s in exit { status = s }
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
