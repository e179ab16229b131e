import CityCLI

/// The `citychain` executable: all logic lives in the CityCLI library.
@main
enum CityChainMain {
    static func main() async {
        await CityChainCommand.main()
    }
}
