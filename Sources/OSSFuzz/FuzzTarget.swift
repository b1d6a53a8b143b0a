import FuzzSupport

/// One fuzz target: a parser (or API) that takes outside bytes, driven by arbitrary inputs, and the properties it
/// must keep on every input (beyond not crashing: a typed error or a valid result, bounded allocation,
/// round trips). The same code runs under libFuzzer (`oss-fuzz`, `make fuzz`) and replays the committed corpus and
/// regression inputs in `make test` (FuzzRegressionTests).
protocol FuzzHarness {
    /// The target's name (`make fuzz`, corpus directory `Fuzz/corpus/<name>`).
    static var name: String { get }
    /// What it checks, one line.
    static var summary: String { get }
    /// Largest input the fuzzer generates (libFuzzer's -max_len).
    static var maxLength: Int { get }
    /// Peak heap of one input: at most `perInputByte` × input bytes + `fixed` bytes.
    static var allocationBound: (perInputByte: Int, fixed: Int) { get }
    /// One-time state (vocabularies, fixture files); not counted in the allocation bound.
    init() throws
    /// Runs one input; throws the first property it breaks.
    func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome
}

/// The registry of targets and the runner the fuzzer and the tests share.
public enum FuzzTargets {
    static var all: [any FuzzHarness.Type] {
        [
            SafetensorsFuzz.self, SafetensorsIndexFuzz.self, GGUFFuzz.self, ConfigJSONFuzz.self, TikTokenFuzz.self,
            TokenizerJSONFuzz.self, GGUFTokenizerFuzz.self, EncodeFuzz.self, HarmonyFuzz.self, ChatTemplateFuzz.self,
            ModelGGUFFuzz.self, ModelDirectoryFuzz.self, ServerRequestFuzz.self,
        ]
    }

    /// Every target's name, in `make fuzz` order.
    public static var names: [String] { all.map { $0.name } }

    /// `name`'s one-line summary and -max_len, nil for an unknown name.
    public static func describe(_ name: String) -> (summary: String, maxLength: Int)? {
        all.first { $0.name == name }.map { ($0.summary, $0.maxLength) }
    }
}

/// A ready target: its one-time state built, inputs run through it with the allocation bound checked.
public final class FuzzRunner {
    public let name: String
    private let harness: any FuzzHarness
    /// Peak heap of one input: at most `perInputByte` × input bytes + `fixed`.
    public let allocationBound: (perInputByte: Int, fixed: Int)

    /// Builds the target called `name` (nil for an unknown name); throws when its fixtures cannot be made.
    public init?(name: String) throws {
        guard let type = FuzzTargets.all.first(where: { $0.name == name }) else { return nil }
        self.name = name
        harness = try type.init()
        allocationBound = type.allocationBound
    }

    /// Runs one input: its properties, then (under a sanitizer allocator) the peak heap against the bound.
    @discardableResult
    public func run(_ input: [UInt8]) throws(FuzzFailure) -> FuzzOutcome {
        let measuring = fuzz_allocation_begin() != 0
        let outcome = try harness.run(input)
        guard measuring else { return outcome }
        let peak = fuzz_allocation_peak()
        let limit = Int64(allocationBound.perInputByte) * Int64(input.count) + Int64(allocationBound.fixed)
        guard peak <= limit else {
            throw FuzzFailure(
                target: name,
                property: "peak heap \(peak) bytes for a \(input.count)-byte input exceeds "
                    + "\(allocationBound.perInputByte) × input + \(allocationBound.fixed) = \(limit)")
        }
        return outcome
    }

    /// Whether this process measures the heap (a sanitizer allocator is linked).
    public static var measuresAllocation: Bool { fuzz_allocation_begin() != 0 }
}
