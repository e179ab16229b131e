import CityRegistry

/// The `citychain-registry` executable: all logic lives in the CityRegistry library.
@main
enum RegistryMain {
    static func main() async {
        await RegistryCommand.main()
    }
}
