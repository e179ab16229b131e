import CityRegistry

/// The `citychain-registry` executable: all logic lives in the CityRegistry library.
@main
enum RegistryMain {
    static func main() async {
        // Flags, then CITYCHAIN_* variables, then the --config YAML file (docs/CONFIG.md).
        await RegistryCommand.mainConfigured()
    }
}
