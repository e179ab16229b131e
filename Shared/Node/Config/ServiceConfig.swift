import CityWire
import Configuration
import Foundation

/// A value of a setting, after its type was checked.
package enum SettingValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([String])

    /// The value as a flag takes it.
    var flagText: String {
        switch self {
        case .string(let s): s
        case .int(let n): String(n)
        case .double(let d): ConfigSetting.text(d)
        case .bool(let b): b ? "true" : "false"
        case .list(let l): l.joined(separator: ",")
        }
    }
}

/// The outcome of reading a service's config: the command line to parse, with every flag the
/// command line did not give filled in from the environment or the file, and the values of the
/// settings that have no flag.
package struct ResolvedConfig: Sendable, Equatable {
    /// The arguments for ArgumentParser (without the program name).
    package var arguments: [String]
    /// Every setting the environment or the file set and no flag overrode, by key (paths from the
    /// file already resolved against its directory).
    package var values: [String: SettingValue]
    /// Where each of `values` came from: the file's path or the environment variable.
    package var sources: [String: String]

    /// The value of `key` as an integer, if set.
    package func int(_ key: String) -> Int? { if case .int(let n) = values[key] { n } else { nil } }
    /// The value of `key` as text, if set.
    package func string(_ key: String) -> String? { if case .string(let s) = values[key] { s } else { nil } }
    /// The value of `key` as a list, if set.
    package func list(_ key: String) -> [String]? { if case .list(let l) = values[key] { l } else { nil } }
}

/// Reads a service's config: a YAML file (`--config FILE` or `CITYCHAIN_CONFIG`), the environment
/// (`CITYCHAIN_*`) and the command line, with flags over the environment over the file over the
/// defaults. Every key is checked before the service starts, and each problem names the key, where
/// it came from and the fix (docs/CONFIG.md). The result is a command line for ArgumentParser, so
/// every flag keeps working as before.
package enum ServiceConfig {
    /// A YAML config file's path and text.
    package struct File: Sendable {
        /// Its path (relative paths in it are relative to its directory).
        package var path: String
        /// Its text.
        package var text: String
        /// A file.
        package init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// How much to check.
    package enum Mode: Sendable {
        /// Everything, and required keys must be set when a file is given (the process's start).
        case full
        /// Types and paths only: for reading the values again once the command line is parsed.
        case valuesOnly
    }

    /// Resolves `arguments` against `environment` and `file` (pure but for `paths`' checks).
    package static func resolve(_ schema: ConfigSchema, arguments: [String], environment: [String: String], file: File?,
                                paths: some ConfigPathChecks = LocalPathChecks(), mode: Mode = .full) throws(ConfigErrors) -> ResolvedConfig {
        var errors: [ConfigError] = []
        var yaml: ConfigYAML?
        if let file {
            do throws(ConfigError) {
                let parsed = try ConfigYAML(text: file.text, path: file.path) { schema.setting($0) != nil }
                errors += unknownKeys(parsed, schema, file.path)
                yaml = parsed
            } catch {
                throw ConfigErrors([error])
            }
        }
        let env = EnvironmentVariablesProvider(environmentVariables: environment)
        var generated: [String] = []
        var values: [String: SettingValue] = [:]
        var sources: [String: String] = [:]
        for setting in schema.settings {
            let flagGiven = setting.flag.map { given($0, in: arguments) } ?? false
            let fromEnv = read(setting, origin: Origin(name: setting.environmentVariable, line: nil, directory: nil)) { type in
                try env.value(forKey: AbsoluteConfigKey(["citychain"] + setting.components), type: type).value?.content
            }
            var fromFile: Result<SettingValue, ConfigError>?
            if let yaml, let file, let entry = yaml.entries.first(where: { $0.key == setting.key }), entry.shape != .null {
                let directory = (file.path as NSString).deletingLastPathComponent
                fromFile = read(setting, origin: Origin(name: file.path, line: entry.line, directory: directory.isEmpty ? "." : directory)) { type in
                    try yaml.snapshot.value(forKey: AbsoluteConfigKey(setting.components), type: type).value?.content
                }
            }
            for case .failure(let e) in [fromEnv, fromFile].compactMap({ $0 }) { errors.append(e) }
            if flagGiven { continue }
            let chosen: (SettingValue, String)?
            if case .success(let v) = fromEnv { chosen = (v, setting.environmentVariable) }
            else if case .success(let v) = fromFile, let file { chosen = (v, file.path) }
            else { chosen = nil }
            guard let (value, source) = chosen else {
                if mode == .full, setting.required, let file, fromEnv == nil, yaml?.entries.contains(where: { $0.key == setting.key && $0.shape != .null }) != true {
                    errors.append(missing(setting, file.path))
                }
                continue
            }
            if let e = pathProblem(setting, value, source: source, file: yaml.flatMap { y in y.entries.first { $0.key == setting.key }?.line }, paths) {
                errors.append(e)
                continue
            }
            values[setting.key] = value
            sources[setting.key] = source
            if let flag = setting.flag { generated += flagArguments(flag, setting, value) }
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return ResolvedConfig(arguments: insert(generated, into: arguments), values: values, sources: sources)
    }

    /// Whether the command line gives `flag` (`--flag VALUE` or `--flag=VALUE`, before any `--`).
    package static func given(_ flag: String, in arguments: [String]) -> Bool {
        for a in arguments {
            if a == "--" { return false }
            if a == flag || a.hasPrefix(flag + "=") { return true }
        }
        return false
    }

    /// The value of `flag` on the command line, if given.
    package static func value(of flag: String, in arguments: [String]) -> String? {
        var i = arguments.startIndex
        while i < arguments.endIndex, arguments[i] != "--" {
            if arguments[i] == flag, i + 1 < arguments.endIndex { return arguments[i + 1] }
            if arguments[i].hasPrefix(flag + "=") { return String(arguments[i].dropFirst(flag.count + 1)) }
            i += 1
        }
        return nil
    }

    // MARK: - Parts

    /// Where a value came from, for messages.
    struct Origin {
        /// The file's path or the environment variable.
        var name: String
        /// The line in the file.
        var line: Int?
        /// The file's directory (nil for the environment: its paths are relative to the working directory).
        var directory: String?

        /// "key 'x' in FILE (line 3)" or "CITYCHAIN_X (key 'x')".
        func phrase(_ key: String) -> String {
            directory == nil ? "\(name) (key '\(key)')" : "key '\(key)' in \(name)" + (line.map { " (line \($0))" } ?? "")
        }
    }

    /// Reads `setting` from one source; nil when that source does not set it.
    static func read(_ setting: ConfigSetting, origin: Origin,
                     _ lookup: (ConfigType) throws -> ConfigContent?) -> Result<SettingValue, ConfigError>? {
        func wrong(_ raw: String, _ kind: ConfigError.Kind = .wrongType, _ expected: String? = nil) -> Result<SettingValue, ConfigError> {
            let shown = setting.secret ? "a value not shown here" : raw
            return .failure(ConfigError(kind, key: setting.key, source: origin.name,
                                        problem: "\(origin.phrase(setting.key)) must be \(expected ?? setting.typeDescription) (got \(shown))",
                                        fix: setting.fix))
        }
        /// What the source holds, as text, for a message.
        func raw() -> String {
            if let c = try? lookup(.string), case .string(let s) = c { return "\"\(s)\"" }
            if let c = try? lookup(.stringArray), case .stringArray(let l) = c { return "a list: [" + l.joined(separator: ", ") + "]" }
            return "a section"
        }
        do {
            if setting.list != nil {
                guard let content = try lookup(.stringArray) else { return nil }
                guard case .stringArray(let items) = content else { return wrong(raw()) }
                var out: [String] = []
                for item in items {
                    switch convert(item, setting, origin) {
                    case .success(let v): out.append(v.flagText)
                    case .failure(let problem): return wrong("\"\(item)\" in the list", problem.kind, problem.expected)
                    }
                }
                return .success(.list(out))
            }
            switch setting.kind {
            case .int:
                guard let content = try lookup(.int) else { return nil }
                guard case .int(let n) = content else { return wrong(raw()) }
                return check(.int(n), String(n), setting, origin).mapError { _ in wrongError(setting, origin, String(n)) }
            case .double:
                guard let content = try lookup(.double) else { return nil }
                guard case .double(let d) = content else { return wrong(raw()) }
                return check(.double(d), ConfigSetting.text(d), setting, origin).mapError { _ in wrongError(setting, origin, ConfigSetting.text(d)) }
            case .bool:
                guard let content = try lookup(.bool) else { return nil }
                guard case .bool(let b) = content else { return wrong(raw()) }
                return .success(.bool(b))
            default:
                guard let content = try lookup(.string) else { return nil }
                guard case .string(let s) = content else { return wrong(raw()) }
                switch convert(s, setting, origin) {
                case .success(let v): return .success(v)
                case .failure(let problem):
                    guard let reason = problem.reason else { return wrong("\"\(s)\"", problem.kind, problem.expected) }
                    return .failure(ConfigError(.invalidValue, key: setting.key, source: origin.name,
                                                problem: "\(origin.phrase(setting.key)) \(reason)" + (setting.secret ? "" : " (got \"\(s)\")"),
                                                fix: setting.fix))
                }
            }
        } catch {
            return wrong(raw())
        }
    }

    /// Why one text value is not acceptable.
    struct ValueProblem: Error {
        var kind: ConfigError.Kind
        var expected: String? = nil
        /// The setting's own check's words ("is not a postgres:// URL").
        var reason: String? = nil
    }

    /// Converts and checks one text value (a single value, or one element of a list).
    static func convert(_ text: String, _ setting: ConfigSetting, _ origin: Origin) -> Result<SettingValue, ValueProblem> {
        let value: SettingValue
        switch setting.kind {
        case .int:
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else { return .failure(ValueProblem(kind: .wrongType)) }
            value = .int(n)
        case .double:
            guard let d = Double(text.trimmingCharacters(in: .whitespaces)) else { return .failure(ValueProblem(kind: .wrongType)) }
            value = .double(d)
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "1": value = .bool(true)
            case "false", "no", "0": value = .bool(false)
            default: return .failure(ValueProblem(kind: .wrongType))
            }
        case .file, .directory:
            guard !text.isEmpty else { return .failure(ValueProblem(kind: .invalidValue, expected: "a non-empty path")) }
            let resolved = text.hasPrefix("/") || origin.directory == nil ? text : origin.directory! + "/" + text
            value = .string(resolved)
        default:
            value = .string(text)
        }
        return check(value, text, setting, origin)
    }

    /// Range, HOST:PORT, choice and the setting's own check.
    static func check(_ value: SettingValue, _ text: String, _ setting: ConfigSetting, _ origin: Origin) -> Result<SettingValue, ValueProblem> {
        let fine: Bool
        switch (setting.kind, value) {
        case (.int(let range?), .int(let n)): fine = range.contains(n)
        case (.double(let range?), .double(let d)): fine = range.contains(d)
        case (.hostPort(let allowZero), _): fine = HostPort(text, allowZero: allowZero) != nil
        case (.choice(let words), _): fine = words.contains(text)
        default: fine = true
        }
        guard fine else { return .failure(ValueProblem(kind: .invalidValue)) }
        if let check = setting.check, let reason = check(text) { return .failure(ValueProblem(kind: .invalidValue, reason: reason)) }
        return .success(value)
    }

    /// A range or format problem for a number, phrased like a type problem.
    static func wrongError(_ setting: ConfigSetting, _ origin: Origin, _ shown: String) -> ConfigError {
        ConfigError(.invalidValue, key: setting.key, source: origin.name,
                    problem: "\(origin.phrase(setting.key)) must be \(setting.typeDescription) (got \(shown))", fix: setting.fix)
    }

    /// Keys the file sets that the schema does not have, with the closest known key.
    static func unknownKeys(_ yaml: ConfigYAML, _ schema: ConfigSchema, _ path: String) -> [ConfigError] {
        let known = schema.settings.map(\.key)
        return yaml.entries.compactMap { entry -> ConfigError? in
            if known.contains(entry.key) {
                guard entry.shape == .mapping else { return nil }
                let setting = schema.setting(entry.key)!
                return ConfigError(.wrongType, key: entry.key, source: path,
                                   problem: "key '\(entry.key)' in \(path)\(entry.line.map { " (line \($0))" } ?? "") must be \(setting.typeDescription) (got a section)",
                                   fix: setting.fix)
            }
            let at = entry.line.map { " (line \($0))" } ?? ""
            let under = known.filter { $0.hasPrefix(entry.key + ".") }
            if !under.isEmpty {
                return ConfigError(.wrongType, key: entry.key, source: path, problem: "key '\(entry.key)' in \(path)\(at) is a section, not a value",
                                   fix: "set its keys under it: " + under.joined(separator: ", "))
            }
            let fix = closest(entry.key, known).map { "did you mean '\($0)'? (docs/CONFIG.md lists \(schema.service)'s keys)" }
                ?? "remove it; docs/CONFIG.md lists \(schema.service)'s keys"
            return ConfigError(.unknownKey, key: entry.key, source: path, problem: "unknown key '\(entry.key)' in \(path)\(at)", fix: fix)
        }
    }

    /// The known key nearest to `key` by edit distance (case-insensitive), if near enough to be a typo.
    static func closest(_ key: String, _ known: [String]) -> String? {
        let scored = known.map { ($0, distance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        if best.1 <= max(2, key.count / 3) { return best.0 }
        // Else a known key that one of them begins with (`tls.cert` for `tls.certificate`), or whose
        // last part matches (`tls.cert` for `cert`).
        let lower = key.lowercased()
        if let k = known.first(where: { lower.hasPrefix($0.lowercased()) || $0.lowercased().hasPrefix(lower) }) { return k }
        let last = lower.split(separator: ".").last.map(String.init)
        return known.first { $0.split(separator: ".").last.map(String.init)?.lowercased() == last }
    }

    /// Levenshtein distance (keys are short: at most a few dozen characters).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    /// "missing 'tls.cert': set it in FILE, or CITYCHAIN_TLS_CERT, or pass --cert".
    static func missing(_ setting: ConfigSetting, _ path: String) -> ConfigError {
        ConfigError(.missing, key: setting.key, source: path, problem: "missing '\(setting.key)'",
                    fix: "set it in \(path), or \(setting.environmentVariable)" + (setting.flag.map { ", or pass \($0)" } ?? ""))
    }

    /// A file or directory that cannot be used.
    static func pathProblem(_ setting: ConfigSetting, _ value: SettingValue, source: String, file line: Int?,
                            _ paths: some ConfigPathChecks) -> ConfigError? {
        guard case .string(let path) = value else { return nil }
        switch setting.kind {
        case .file, .directory: break
        default: return nil
        }
        guard let (problem, fix) = paths.problem(path: path, kind: setting.kind) else { return nil }
        let place = source.hasPrefix("CITYCHAIN_") ? "from \(source)" : "in \(source)" + (line.map { " (line \($0))" } ?? "")
        return ConfigError(.badPath, key: setting.key, source: source, problem: "key '\(setting.key)' \(place) = \(path): \(problem)", fix: fix)
    }

    /// The flags for one value.
    static func flagArguments(_ flag: String, _ setting: ConfigSetting, _ value: SettingValue) -> [String] {
        switch (value, setting.list) {
        case (.list(let items), .repeated?): return items.map { "\(flag)=\($0)" }
        case (.bool(let b), _): return b ? [flag] : []
        default: return ["\(flag)=\(value.flagText)"]
        }
    }

    /// The command line with `generated` added before any `--`.
    static func insert(_ generated: [String], into arguments: [String]) -> [String] {
        guard let end = arguments.firstIndex(of: "--") else { return arguments + generated }
        return Array(arguments[..<end]) + generated + Array(arguments[end...])
    }
}
