import Foundation

/// Number formatting and CPU accounting for `citychain-bench index` (percentiles: `Percentile` in CityOps).
enum IndexBenchStats {
    /// `23,400` (rounded to an integer, thousands separated).
    static func grouped(_ x: Double) -> String {
        let n = Int(x.rounded())
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func f(_ x: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", x) }

    /// CPU seconds of this process (user + system).
    static func processCPUSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) else { return 0 }
        return cpuSeconds(stat: stat)?.cpu ?? 0
    }

    /// Parent pid and user + system CPU seconds from a /proc/PID/stat line.
    static func cpuSeconds(stat: String) -> (ppid: Int32, cpu: Double)? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "pid (comm)": state(3) ppid(4) … utime(14) stime(15), numbered from 1 at pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let ppid = Int32(fields[1]), let ut = Double(fields[11]), let st = Double(fields[12]) else { return nil }
        return (ppid, (ut + st) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Busy and total CPU seconds of the whole machine since boot (/proc/stat), or nil.
    static func machineCPUSeconds() -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard v.count >= 5 else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let total = v.prefix(8).reduce(0, +)
        let idle = v[3] + v[4]
        return ((total - idle) / ticks, total / ticks)
    }

    /// CPU seconds used so far by the PostgreSQL cluster whose postmaster is `postmaster` and its
    /// children (backends that exited are not counted), or nil when /proc cannot tell.
    static func clusterCPUSeconds(postmaster: Int32) -> Double? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        var sum = 0.0
        var found = false
        for e in entries {
            guard let pid = Int32(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  let r = cpuSeconds(stat: stat) else { continue }
            if pid == postmaster || r.ppid == postmaster {
                sum += r.cpu
                found = true
            }
        }
        return found ? sum : nil
    }
}

/// A CPU snapshot: this process, the PostgreSQL cluster, the machine.
struct IndexBenchCPU {
    var process: Double
    var cluster: Double?
    var machine: (busy: Double, total: Double)?
    var at: UInt64

    static func now(postmaster: Int32?) -> IndexBenchCPU {
        IndexBenchCPU(process: IndexBenchStats.processCPUSeconds(), cluster: postmaster.flatMap(IndexBenchStats.clusterCPUSeconds),
                      machine: IndexBenchStats.machineCPUSeconds(), at: LoadClock.now())
    }

    /// "this process 1.62 cores, PostgreSQL 0.31 cores, machine 1.95 of 2 cores busy" over the interval to `later`.
    func usage(until later: IndexBenchCPU, cores: Int) -> String {
        let wall = Double(later.at - at) / 1e9
        guard wall > 0 else { return "" }
        var parts = ["this process \(IndexBenchStats.f((later.process - process) / wall)) cores"]
        // Backends that exited take their CPU time with them: a drop means "cannot tell".
        if let a = cluster, let b = later.cluster, b >= a { parts.append("PostgreSQL \(IndexBenchStats.f((b - a) / wall)) cores") }
        if let a = machine, let b = later.machine, b.total > a.total {
            parts.append("machine \(IndexBenchStats.f(Double(cores) * (b.busy - a.busy) / (b.total - a.total))) of \(cores) cores busy")
        }
        return parts.joined(separator: ", ")
    }
}
