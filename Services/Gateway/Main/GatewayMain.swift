import CityGateway

/// The `citychain-gateway` executable: all logic lives in the CityGateway library.
@main
enum GatewayMain {
    static func main() async {
        // Flags, then CITYCHAIN_* variables, then the --config YAML file (docs/CONFIG.md).
        await GatewayCommand.mainConfigured()
    }
}
