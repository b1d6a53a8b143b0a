import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// Continuous batching (`ModelBatch`) for every model family: a batch of one is exactly the single-sequence model;
/// slots at different positions batched together keep their own caches and give each sequence's own logits and
/// greedy tokens.
final class BatchedModelTests: XCTestCase {
    func bits(_ t: Tensor) -> [UInt32] { t.toArray().map(\.bitPattern) }

    /// A model family as the tests load it: (backend, context, prefill chunk) → model.
    struct Family: Sendable {
        let name: String
        let vocab: Int
        let load: @Sendable (any Backend, Int, Int) throws -> any LanguageModel
    }

    static let families: [Family] =
        [
            Family(name: "gpt-oss tiny", vocab: 1024) { backend, context, chunk in
                try GPTOSSModel.load(
                    directory: TinyModelFixture.directory(.original), backend: backend,
                    contextLength: context, prefillChunk: chunk)
            }
        ]
        + [SyntheticDensePreset.llamaTiny, .qwenTiny, .qwen3Tiny].map { preset in
            Family(name: preset.rawValue, vocab: try! preset.config.vocabSize) { backend, context, chunk in
                try LlamaModel.load(
                    gguf: GGUFArchive(url: TinyModelFixture.dense(preset)), backend: backend,
                    contextLength: context, prefillChunk: chunk)
            }
        }

    /// The §6 test tokens, inside the family's vocabulary.
    func tokens(_ f: Family) -> [Int32] { TinyModelFixture.tokens.map { $0 % Int32(f.vocab) } }

    func testBatchOfOneIsBitIdenticalToTheSingleSequenceModel() throws {
        for f in Self.families {
            for backend in TinyModelFixture.backends {
                let what = "\(f.name) \(backend.name)"
                let single = try f.load(backend, 32, 8)
                let batch = try ModelBatch(model: try f.load(backend, 32, 1), slots: 3, maxStepRows: 8)
                let tokens = tokens(f)
                let prompt = Array(tokens[0..<7])
                let expected = bits(try single.prefill(prompt))
                let got = try batch.step([BatchEntry(slot: 2, tokens: prompt[...])])
                XCTAssertEqual(got.shape, Shape(1, f.vocab))
                XCTAssertEqual(bits(got), expected, "\(what): prefill of one slot")
                for p in 7..<12 {
                    let e = bits(try single.decode(tokens[p]))
                    XCTAssertEqual(
                        bits(try batch.step([BatchEntry(slot: 2, tokens: tokens[p...p])])), e,
                        "\(what): decode at \(p)")
                }
                XCTAssertEqual(batch.position(ofSlot: 2), 12)
                XCTAssertEqual(batch.position(ofSlot: 0), 0)
            }
        }
    }

    /// Three sequences at different positions (one of them still reading its prompt in chunks) advance together;
    /// each slot's logits match its own single-sequence run and its greedy continuation is the same.
    func testMixedBatchKeepsEverySequenceItsOwn() throws {
        for f in Self.families {
            for backend in TinyModelFixture.backends {
                let what = "\(f.name) \(backend.name)"
                let prompts: [[Int32]] = [[5, 9, 300, 7], [11, 48, 85, 122, 159, 196, 233, 270, 307], [900]]
                    .map { $0.map { $0 % Int32(f.vocab) } }
                let steps = 6
                // Single-sequence greedy runs.
                var expected: [[Int32]] = []
                var expectedLogits: [[[Float]]] = []
                for prompt in prompts {
                    let m = try f.load(backend, 32, 512)
                    var logits = try m.prefill(prompt)
                    var out: [Int32] = []
                    var rows: [[Float]] = []
                    for _ in 0..<steps {
                        rows.append(logits.toArray())
                        let t = Int32(try backend.argmax(logits))
                        out.append(t)
                        logits = try m.decode(t)
                    }
                    expected.append(out)
                    expectedLogits.append(rows)
                }
                let batch = try ModelBatch(model: try f.load(backend, 32, 1), slots: 3, maxStepRows: 6)
                var fed = [0, 0, 0]
                var generated: [[Int32]] = [[], [], []]
                while generated.contains(where: { $0.count < steps }) {
                    var entries: [BatchEntry] = []
                    var budget = 6
                    for s in 0..<3 where generated[s].count < steps {
                        if fed[s] < prompts[s].count {
                            let n = min(prompts[s].count - fed[s], 3, budget)  // prompt chunks of ≤ 3
                            guard n > 0 else { continue }
                            entries.append(
                                BatchEntry(
                                    slot: s, tokens: prompts[s][fed[s]..<(fed[s] + n)],
                                    wantsLogits: fed[s] + n == prompts[s].count))
                            fed[s] += n
                            budget -= n
                        } else {
                            let last = generated[s].last!
                            entries.append(BatchEntry(slot: s, tokens: [last][...]))
                            budget -= 1
                        }
                    }
                    let logits = try batch.step(entries)
                    var row = 0
                    for e in entries where e.wantsLogits {
                        let r = try logits.rows(row..<(row + 1)).reshaped([f.vocab])
                        row += 1
                        let s = e.slot
                        let i = generated[s].count
                        let diff = zip(r.toArray(), expectedLogits[s][i]).map { abs($0 - $1) }.max()!
                        XCTAssertLessThan(diff, LogitsAssertions.tolerance(backend), "\(what) slot \(s) step \(i)")
                        generated[s].append(Int32(try backend.argmax(r)))
                    }
                    XCTAssertEqual(row, logits.rows)
                }
                XCTAssertEqual(generated, expected, what)
            }
        }
    }

    func testBadStepsThrowAndChangeNothing() throws {
        for f in Self.families {
            let batch = try ModelBatch(model: try f.load(TinyModelFixture.backends[1], 8, 1), slots: 2, maxStepRows: 4)
            let cases: [[BatchEntry]] = [
                [],
                [BatchEntry(slot: 2, tokens: [1][...])],
                [BatchEntry(slot: 0, tokens: [1][...]), BatchEntry(slot: 0, tokens: [2][...])],
                [BatchEntry(slot: 0, tokens: [][...])],
                [BatchEntry(slot: 0, tokens: [1, 2, 3][...]), BatchEntry(slot: 1, tokens: [1, 2][...])],
                [BatchEntry(slot: 1, tokens: [Int32(f.vocab)][...])],
            ]
            for entries in cases {
                XCTAssertThrowsError(
                    try batch.step(entries), "\(f.name) \(entries.map { ($0.slot, Array($0.tokens)) })")
            }
            XCTAssertEqual(batch.position(ofSlot: 0), 0)
            XCTAssertEqual(batch.position(ofSlot: 1), 0)
            _ = try batch.step([BatchEntry(slot: 1, tokens: [1, 2, 3, 4][...])])
            _ = try batch.step([BatchEntry(slot: 1, tokens: [1, 2, 3, 4][...])])
            XCTAssertThrowsError(try batch.step([BatchEntry(slot: 1, tokens: [5][...])])) { error in
                XCTAssertEqual(error as? ModelError, .contextOverflow(position: 8, tokens: 1, contextLength: 8))
            }
            try batch.truncate(slot: 1, to: 6)
            XCTAssertEqual(batch.position(ofSlot: 1), 6)
            XCTAssertThrowsError(try batch.truncate(slot: 1, to: 7))
            batch.reset(slot: 1)
            XCTAssertEqual(batch.position(ofSlot: 1), 0)
            XCTAssertThrowsError(try ModelBatch(model: batch.model, slots: 0, maxStepRows: 4))
            XCTAssertThrowsError(try ModelBatch(model: batch.model, slots: 1, contextLength: 9, maxStepRows: 4))
        }
        // a model without a batched forward step is refused by name
        XCTAssertThrowsError(try ModelBatch(model: NoBatchModel(), slots: 1, maxStepRows: 4)) { error in
            XCTAssertTrue("\(error)".contains("NoBatchModel"), "\(error)")
        }
    }

    /// A slot rewound to a shared prefix continues exactly as a fresh run of the same tokens.
    func testTruncatedSlotContinuesLikeAFreshOne() throws {
        for f in Self.families {
            let backend = TinyModelFixture.backends[1]
            let batch = try ModelBatch(model: try f.load(backend, 32, 1), slots: 2, maxStepRows: 8, rewindRows: 8)
            let t = tokens(f)
            _ = try batch.step([BatchEntry(slot: 0, tokens: t[0..<8])])
            _ = try batch.step([BatchEntry(slot: 0, tokens: t[8..<12])])
            try batch.truncate(slot: 0, to: 6)
            let again = try batch.step([BatchEntry(slot: 0, tokens: [7, 8][...])]).toArray()
            let fresh = try batch.step([BatchEntry(slot: 1, tokens: t[0..<6] + [7, 8])]).toArray()
            XCTAssertLessThan(
                zip(again, fresh).map { abs($0 - $1) }.max()!, LogitsAssertions.tolerance(backend), f.name)
        }
    }
}

/// A language model with no batched forward step (`ModelBatch` must refuse it).
private final class NoBatchModel: LanguageModel {
    var vocabSize: Int { 4 }
    var contextLength: Int { 8 }
    var position: Int { 0 }
    var backend: any Backend { TinyModelFixture.backends[0] }
    func reset() {}
    func truncate(to position: Int) throws {}
    func prefill(_ tokens: [Int32]) throws -> Tensor { Tensor(zeros: [4]) }
    func decode(_ token: Int32) throws -> Tensor { Tensor(zeros: [4]) }
    func forward(tokens: [Int32], allLogits: Bool) throws -> Tensor { Tensor(zeros: [1, 4]) }
    func makeInstance(contextLength: Int?, prefillChunk: Int?) throws -> NoBatchModel { NoBatchModel() }
}
