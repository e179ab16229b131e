// libFuzzer entry points for the frame parser and every message decoder (docs/protocol/fuzzing.md).
//
// SwiftPM links an executable with its entry point named `FrameFuzzer_main`, and libFuzzer brings its
// own driver, so this target defines both symbols itself (no main.swift, no @main) and links with lld.
// `FrameFuzzer --make-corpus DIR` writes the seed corpus instead of fuzzing; `--list-targets` prints the
// selector byte of each target. Anything else goes to libFuzzer unchanged.
import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One input: byte 0 selects the target (modulo the number of targets), the rest is that target's input.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let selector = Int(data[0])
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    FuzzTargets.all[selector % FuzzTargets.all.count].run(input)
    return 0
}

@_cdecl("FrameFuzzer_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let args = (0..<Int(argc)).map { i in argv?[i].map { String(cString: $0) } ?? "" }
    if args.count >= 2 {
        switch args[1] {
        case "--make-corpus":
            guard args.count == 3 else {
                FileHandle.standardError.write(Data("usage: FrameFuzzer --make-corpus DIR\n".utf8))
                return 2
            }
            return SeedCorpus.write(to: args[2])
        case "--list-targets":
            for (i, t) in FuzzTargets.all.enumerated() { print("\(i)\t\(t.name)") }
            return 0
        default:
            break
        }
    }
    var count = argc, values = argv
    return LLVMFuzzerRunDriver(&count, &values, { testOneInput($0, $1) })
}
