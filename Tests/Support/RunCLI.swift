import Foundation

/// Runs the `citychain` CLI to completion (at most `seconds`) and returns its exit status and output.
public func runCLI(_ args: [String], seconds: Double = 30) async throws -> (status: Int32, output: String) {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    let p = Process()
    p.executableURL = root.appendingPathComponent(".build/debug/citychain")
    p.arguments = args
    let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).out").path
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    let out = FileHandle(forWritingAtPath: outPath)
    p.standardOutput = out
    p.standardError = out
    try p.run()
    if !(await waitForExit(p, seconds: seconds)) {
        await stopProcess(p)
        throw TestFailure("citychain \(args.joined(separator: " ")) did not finish within \(seconds) s")
    }
    return (p.terminationStatus, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "")
}
