import CityGateway

/// The `citychain-gateway` executable: all logic lives in the CityGateway library.
@main
enum GatewayMain {
    static func main() async {
        await GatewayCommand.main()
    }
}
