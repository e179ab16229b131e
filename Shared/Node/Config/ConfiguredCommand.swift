import ArgumentParser
import Foundation

/// A service command whose flags can also come from a YAML config file and the environment
/// (docs/CONFIG.md). Its executable's `main` calls `mainConfigured()` instead of `main()`.
package protocol ConfiguredCommand: AsyncParsableCommand {
    /// Every key its config file may hold.
    static var configSchema: ConfigSchema { get }
}

extension ConfiguredCommand {
    /// Reads the config named by `--config` or `CITYCHAIN_CONFIG` and the environment, fills in the
    /// flags the command line did not give, then runs the command as `main()` would. A bad config
    /// stops the process with exit status 78 (EX_CONFIG) and one line per problem on stderr.
    package static func mainConfigured() async {
        ConcurrencyExecutor.installFromEnvironment()
        let arguments = Array(CommandLine.arguments.dropFirst())
        let resolved: ResolvedConfig
        do throws(ConfigErrors) {
            resolved = try ServiceConfig.load(configSchema, arguments: arguments, environment: ProcessInfo.processInfo.environment)
        } catch {
            for e in error.errors {
                FileHandle.standardError.write(Data("\(configSchema.service): config: \(e)\n".utf8))
            }
            Self.exit(withError: ExitCode(78))
        }
        await main(resolved.arguments)
    }
}

extension ServiceConfig {
    /// The process's edge: finds the config file (`--config` over `CITYCHAIN_CONFIG`), reads it,
    /// and resolves. A `.json` file is refused with how to convert it (the validator's retired JSON
    /// format; docs/OPERATIONS.md). Help requests pass through untouched.
    package static func load(_ schema: ConfigSchema, arguments: [String], environment: [String: String],
                             paths: some ConfigPathChecks = LocalPathChecks()) throws(ConfigErrors) -> ResolvedConfig {
        if arguments.contains(where: { ["-h", "--help", "--version", "--experimental-dump-help"].contains($0) }) || arguments.first == "help" {
            return ResolvedConfig(arguments: arguments, values: [:], sources: [:])
        }
        let fromFlag = value(of: "--config", in: arguments)
        let path = fromFlag ?? environment[ConfigSchema.configFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        var file: File?
        if let path {
            if path.lowercased().hasSuffix(".json") {
                throw ConfigErrors([ConfigError(.badFile, key: nil, source: path, problem: "\(path) is JSON; \(schema.service) reads YAML config files",
                                                fix: "convert it to YAML (.yaml or .yml; docs/OPERATIONS.md, \"Converting a JSON validator config\")")])
            }
            file = try read(path, named: fromFlag == nil ? ConfigSchema.configFileVariable : "--config")
        }
        var resolved = try resolve(schema, arguments: arguments, environment: environment, file: file, paths: paths)
        if let path, fromFlag == nil { resolved.arguments = insert(["--config=\(path)"], into: resolved.arguments) }
        return resolved
    }

    /// The text of the config file at `path`, or a problem naming where the path came from.
    package static func read(_ path: String, named origin: String) throws(ConfigErrors) -> File {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw ConfigErrors([ConfigError(.badFile, key: nil, source: path, problem: "cannot read the config file \(path) (\(reason))",
                                            fix: "fix \(origin) or the file's permissions")])
        }
        close(fd)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(.badFile, key: nil, source: path, problem: "cannot read the config file \(path) as UTF-8 text",
                                            fix: "point \(origin) at a YAML file")])
        }
        return File(path: path, text: text)
    }
}
