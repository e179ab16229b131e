import CityValidator

/// The `citychain-validator` executable: all logic lives in the CityValidator library.
@main
enum ValidatorMain {
    static func main() async {
        await ValidatorCommand.main()
    }
}
