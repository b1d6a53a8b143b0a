// The fuzz targets of Sources/OSSFuzz as one executable.
//
// Built by `make fuzz` with `--sanitize=fuzzer --sanitize=address -Xswiftc -DSWIFTOSS_LIBFUZZER` (scratch path
// .build-fuzz), it is a libFuzzer binary: `oss-fuzz --target=NAME [libFuzzer flags] CORPUS…` (libFuzzer ignores flags
// that start with `--`), `oss-fuzz --list` prints the targets. In every other build it replays inputs without
// libFuzzer: `oss-fuzz run NAME FILE|DIR…`, `oss-fuzz list`, and `oss-fuzz seeds DIR` writes the seed corpora.
import Foundation
import OSSFuzz

/// `name  max_len  summary` per target.
func listTargets() {
    for name in FuzzTargets.names {
        guard let d = FuzzTargets.describe(name) else { continue }
        print("\(name)\t\(d.maxLength)\t\(d.summary)")
    }
}

/// Builds the runner of `name`, or exits with a message.
func makeRunner(_ name: String) -> FuzzRunner {
    do {
        guard let runner = try FuzzRunner(name: name) else {
            FileHandle.standardError.write(
                Data(
                    "oss-fuzz: unknown target '\(name)' (targets: \(FuzzTargets.names.joined(separator: ", ")))\n".utf8)
            )
            exit(2)
        }
        return runner
    } catch {
        FileHandle.standardError.write(Data("oss-fuzz: target \(name): fixtures failed: \(error)\n".utf8))
        exit(2)
    }
}

#if SWIFTOSS_LIBFUZZER
    nonisolated(unsafe) var runner: FuzzRunner?

    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzInitialize(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
    ) -> CInt {
        var name = ProcessInfo.processInfo.environment["SWIFTOSS_FUZZ_TARGET"]
        if let args = argv.pointee {
            for i in 0..<Int(argc.pointee) {
                guard let a = args[i].map({ String(cString: $0) }) else { continue }
                if a == "--list" {
                    listTargets()
                    exit(0)
                }
                if a.hasPrefix("--target=") { name = String(a.dropFirst("--target=".count)) }
            }
        }
        guard let name else {
            FileHandle.standardError.write(
                Data("oss-fuzz: pass --target=NAME (\(FuzzTargets.names.joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        let made = makeRunner(name)
        let bound = made.allocationBound
        let measured = FuzzRunner.measuresAllocation ? "measured" : "not measured"
        FileHandle.standardError.write(
            Data(
                "oss-fuzz: target \(name), heap bound \(bound.perInputByte) × input + \(bound.fixed) bytes (\(measured))\n"
                    .utf8))
        runner = made
        return 0
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        guard let runner else { return 0 }
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do {
            try runner.run(input)
        } catch {
            FileHandle.standardError.write(Data("==oss-fuzz== property violated: \(error)\n".utf8))
            abort()
        }
        return 0
    }
#else
    @main
    struct OSSFuzzCommand {
        static func main() {
            let args = Array(CommandLine.arguments.dropFirst())
            switch args.first {
            case "list":
                listTargets()
            case "seeds" where args.count == 2:
                do {
                    let counts = try FuzzSeeds.write(to: URL(fileURLWithPath: args[1]))
                    for (target, n) in counts.sorted(by: { $0.key < $1.key }) { print("\(target): \(n) seeds") }
                } catch {
                    FileHandle.standardError.write(Data("oss-fuzz seeds: \(error)\n".utf8))
                    exit(1)
                }
            case "run" where args.count >= 3:
                let runner = makeRunner(args[1])
                let verbose = ProcessInfo.processInfo.environment["OSS_FUZZ_VERBOSE"] != nil
                var failures = 0
                var inputs = 0
                var accepted = 0
                for path in args.dropFirst(2) {
                    for file in files(path) {
                        inputs += 1
                        do {
                            let outcome = try runner.run([UInt8](try Data(contentsOf: file)))
                            if outcome == .accepted { accepted += 1 }
                            if verbose { print("\(file.lastPathComponent): \(outcome)") }
                        } catch {
                            failures += 1
                            print("FAIL \(file.path): \(error)")
                        }
                    }
                }
                print(
                    "\(args[1]): \(inputs) inputs (\(accepted) accepted, \(inputs - accepted - failures) rejected), \(failures) failed"
                )
                exit(failures == 0 ? 0 : 1)
            default:
                FileHandle.standardError.write(
                    Data(
                        """
                        usage: oss-fuzz list | seeds DIR | run TARGET FILE|DIR...
                        (the libFuzzer build, `make fuzz`: oss-fuzz --target=NAME [libFuzzer flags] CORPUS...)

                        """.utf8))
                exit(2)
            }
        }

        /// `path` itself, or the regular files of a directory (sorted).
        static func files(_ path: String) -> [URL] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else { return [URL(fileURLWithPath: path)] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map {
                URL(fileURLWithPath: path).appendingPathComponent($0)
            }
        }
    }
#endif
