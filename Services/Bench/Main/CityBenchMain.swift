import CityBench

/// The `citychain-bench` executable: all logic lives in the CityBench library.
@main
enum CityBenchMain {
    static func main() async {
        BenchCommand.installExecutor()
        await BenchCommand.main()
    }
}
