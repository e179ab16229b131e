import ArgumentParser
import CityChainAPI
import CityEncoding
import CityLedger
import CityPKI
import CityWire
import Foundation
import Logging

/// The point-query client of `citychain-bench index` in a process of its own, so the bench's
/// process CPU during the paced window is the indexer's alone (issue 14 item 4 counts the indexer
/// and its PostgreSQL backends; the agency's client is its own cost). It re-executes this binary
/// as `citychain-bench index-queries` with the reader's identity in PEM files, and reads back the
/// figures (JSON, stdout's last line) and the answers (a file), which the bench verifies.
struct IndexBenchQueryProcess {
    let reader: IssuedIdentity
    let port: Int
    let subjects: Int
    let role: Role

    /// Runs the paced window in the child; returns its figures, the answers and its CPU seconds.
    func run(rate: Double, seconds: Double, connections: Int) async throws
        -> (IndexBenchQueries.Figures, [(SubjectKey, [UInt8])], Double) {
        let scratch = try BenchChild(prefix: "citychain-bench-queries")
        defer { scratch.remove() }
        let files = try scratch.write(reader, as: "reader")
        let answers = scratch.path("answers.bin")
        let (status, stdout, stderr) = try await scratch.run(
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            ["index-queries", "--port", "\(port)", "--cert", files.certificatePath, "--key", files.privateKeyPath,
             "--ca", files.caCertificatePath, "--role", role.description, "--subjects", "\(subjects)", "--rate", "\(rate)",
             "--seconds", "\(seconds)", "--connections", "\(connections)", "--answers", answers])
        guard status == 0, let last = stdout.split(separator: "\n").last,
              let report = try? JSONDecoder().decode(IndexQueryClientCommand.Report.self, from: Data(last.utf8)) else {
            throw BenchFailure("the query client (citychain-bench index-queries) exited with \(status): \(stderr.suffix(2000))\(stdout.suffix(500))")
        }
        return (report.figures, try IndexQueryClientCommand.readAnswers(answers), report.cpuSeconds)
    }
}

/// `citychain-bench index-queries`: the paced point-query client of `citychain-bench index`, run
/// by it in a process of its own (see `IndexBenchQueryProcess`). Not meant to be run by hand.
struct IndexQueryClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-queries",
        abstract: "The point-query client of `citychain-bench index` (run by it in a process of its own).",
        shouldDisplay: false)

    struct Report: Codable {
        var figures: IndexBenchQueries.Figures
        var cpuSeconds: Double
    }

    @Option(help: "The indexer's (or gateway's) port on 127.0.0.1.") var port: Int
    @Option(help: "The agency's certificate (PEM).") var cert: String
    @Option(help: "The agency's private key (PEM).") var key: String
    @Option(help: "The city CA's certificate (PEM).") var ca: String
    @Option(help: "Who answers: indexer or gateway.") var role = "indexer"
    @Option(help: "Subjects bay-0 … bay-(N−1) to ask for.") var subjects: Int
    @Option(help: "Queries per second (open loop).") var rate: Double
    @Option(help: "Seconds of queries.") var seconds: Double
    @Option(help: "Connections to open.") var connections = 4
    @Option(help: "Where to write the answers (subject, answer bytes; length-prefixed).") var answers: String

    func run() async throws {
        let answeredBy = try Role(parsing: role)
        let identity = try TLSIdentity(files: TLSIdentityFiles(certificatePath: cert, privateKeyPath: key, caCertificatePath: ca))
        let client = try WireClient(tls: TLSSetup.client(identity), logger: Logger(label: "citychain.bench.index.reader"))
        var queries = IndexBenchQueries(client: client, port: port, subjects: subjects)
        queries.role = answeredBy
        let cpu = IndexBenchStats.processCPUSeconds()
        let (figures, got) = try await queries.run(rate: rate, seconds: seconds, connections: connections)
        let used = IndexBenchStats.processCPUSeconds() - cpu
        var file = CanonicalWriter(capacity: got.reduce(0) { $0 + $1.1.count + 32 })
        for (subject, bytes) in got {
            file.string(subject.value)
            file.bytes(bytes)
        }
        try Data(file.bytes).write(to: URL(fileURLWithPath: answers))
        print(String(decoding: try JSONEncoder().encode(Report(figures: figures, cpuSeconds: used)), as: UTF8.self))
    }

    /// The answers written by `run`.
    static func readAnswers(_ path: String) throws -> [(SubjectKey, [UInt8])] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var reader = CanonicalReader(data)
        var out: [(SubjectKey, [UInt8])] = []
        while reader.remaining > 0 {   // bounded by the file's length
            let name = try reader.string(max: 1024, "subject")
            let bytes = try reader.bytes(max: 1 << 26, "answer")
            out.append((try SubjectKey(name), bytes))
        }
        return out
    }
}
