import CityValidator

/// The `citychain-validator` executable: all logic lives in the CityValidator library.
@main
enum ValidatorMain {
    static func main() async {
        // Flags, then CITYCHAIN_* variables, then the --config YAML file (docs/CONFIG.md).
        await ValidatorCommand.mainConfigured()
    }
}
