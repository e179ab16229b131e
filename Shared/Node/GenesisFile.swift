import ArgumentParser
import CityLedger
import Foundation

extension Genesis {
    /// The genesis file at `path`, read and checked; an error names `flag` (the option or config key
    /// it came from), the path and what is wrong, so every command says the same thing.
    package static func load(path: String, flag: String = "--genesis") throws -> Genesis {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("\(flag): cannot read \(path) (\(error.localizedDescription)); point it at the chain's genesis file (citychain genesis writes it)")
        }
        do { return try Genesis.fromJSON(data) } catch {
            throw ValidationError("\(flag): \(path) is not a usable genesis file: \(error)")
        }
    }
}
