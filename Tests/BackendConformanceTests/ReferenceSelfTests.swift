import Foundation
import OSSCore
import XCTest

/// The float64 reference against values worked out by hand from gpt-oss.md §2, so the suite's ground truth does
/// not rest on agreeing with the backends alone.
final class ReferenceSelfTests: XCTestCase {
    func testLinearAndRMSNorm() {
        // [1, 2]·[[1, 0], [3, -1]]ᵀ + [0.5, 0] = [1.5, 1]
        XCTAssertEqual(
            Reference.linear(
                [1, 2], rows: 1, weight: [1, 0, 3, -1], outFeatures: 2, inFeatures: 2,
                bias: [0.5, 0]), [1.5, 1])
        // x = [3, 4]: mean square 12.5; g = [1, 2]
        let y = Reference.rmsNorm([3, 4], rows: 1, n: 2, weight: [1, 2], eps: 0)
        XCTAssertEqual(y[0], 3 / 12.5.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(y[1], 8 / 12.5.squareRoot(), accuracy: 1e-15)
    }

    func testRopePairing() {
        // head_dim 4, position 1, invFreq [1, 0.5]; x = e0 rotates with pair 0 by angle 1
        let neox = Reference.rope(
            [1, 0, 0, 0], rows: 1, heads: 1, headDim: 4, firstPosition: 1, invFreq: [1, 0.5],
            attentionFactor: 1, style: .neox)
        XCTAssertEqual(neox, [cos(1), 0, sin(1), 0], "neox pairs (x[i], x[i + d/2])")
        let interleaved = Reference.rope(
            [1, 0, 0, 0], rows: 1, heads: 1, headDim: 4, firstPosition: 1,
            invFreq: [1, 0.5], attentionFactor: 1, style: .interleaved)
        XCTAssertEqual(interleaved, [cos(1), sin(1), 0, 0], "interleaved pairs (x[2i], x[2i+1])")
        // the attention factor scales both outputs; pair 1 (x[1], x[3]) rotates by 0.5 at position 1
        let scaled = Reference.rope(
            [0, 0, 0, 2], rows: 1, heads: 1, headDim: 4, firstPosition: 1, invFreq: [1, 0.5],
            attentionFactor: 1.5, style: .neox)
        XCTAssertEqual(scaled[1], -2 * 1.5 * sin(0.5), accuracy: 1e-15)
        XCTAssertEqual(scaled[3], 2 * 1.5 * cos(0.5), accuracy: 1e-15)
    }

    func testAttentionSinkWindowAndRingSlots() {
        let p = AttentionParams(heads: 1, kvHeads: 1, headDim: 1, scale: 1, window: 0, firstPosition: 0)
        // one key: the output is its value
        XCTAssertEqual(
            Reference.attention(q: [2], rows: 1, keys: [3], values: [5], slots: 1, sinks: nil, params: p), [5])
        // with a sink S: weight e^s / (e^s + e^S) on the value, the sink's share is dropped (§2.4)
        let s = 6.0
        let sink = 5.0
        let withSink = Reference.attention(q: [2], rows: 1, keys: [3], values: [5], slots: 1, sinks: [sink], params: p)
        XCTAssertEqual(withSink[0], 5 * exp(s) / (exp(s) + exp(sink)), accuracy: 1e-12)
        // zero keys give equal scores: full causal at position 5 averages values 0…5; window 2 averages 4 and 5
        var w = p
        w.firstPosition = 5
        let values: [Double] = [1, 2, 3, 4, 10, 20, 99, 99]
        let keys = [Double](repeating: 0, count: 8)
        XCTAssertEqual(
            Reference.attention(q: [1], rows: 1, keys: keys, values: values, slots: 8, sinks: nil, params: w)[0],
            40.0 / 6, accuracy: 1e-12)
        w.window = 2
        XCTAssertEqual(
            Reference.attention(q: [1], rows: 1, keys: keys, values: values, slots: 8, sinks: nil, params: w)[0],
            15, accuracy: 1e-12)
        // a 2-slot ring: position 5 lives in slot 1, position 4 in slot 0
        XCTAssertEqual(
            Reference.attention(
                q: [1], rows: 1, keys: [0, 0], values: [10, 20], slots: 2, sinks: nil,
                params: w)[0], 15, accuracy: 1e-12)
        // GQA: query head 1 of 2 reads KV head 0 when kvHeads = 1
        let g = AttentionParams(heads: 2, kvHeads: 1, headDim: 1, scale: 1, window: 0, firstPosition: 0)
        XCTAssertEqual(
            Reference.attention(q: [1, -1], rows: 1, keys: [4], values: [7], slots: 1, sinks: nil, params: g),
            [7, 7])
    }

    func testMoEOneExpertByHand() {
        // E 2, H 1, I 1, k 1: router logits x·[1, −1] = [2, −2] → expert 0 with weight 1
        // gate/up = [3, 5]·2 = [6, 10] → g = min(6, 7) = 6, u = clamp(10) = 7, a = 6·σ(1.702·6)·(7 + 1)
        // down 0.5 → y = 0.5·a + 0.25
        let w = Reference.DecodedMoE(
            experts: 2, hidden: 1, intermediate: 1, topK: 1, router: [1, -1], routerBias: nil,
            gateUp: [3, 5, 100, 100], gateUpBias: nil, down: [0.5, 100],
            downBias: [0.25, 100], limit: 7, alpha: 1.702)
        var statistics = Reference.MoEStatistics()
        let y = Reference.moe([2], rows: 1, weights: w, statistics: &statistics)
        XCTAssertEqual(y[0], 0.5 * (6 / (1 + exp(-1.702 * 6)) * 8) + 0.25, accuracy: 1e-12)
        XCTAssertEqual(statistics.upsClamped, 1)
        XCTAssertEqual(statistics.gatesClamped, 0)
        XCTAssertEqual(statistics.smallestSelectionGap, 4)
        // k = 2: softmax over the two selected logits [2, −2] weights both experts' outputs
        var both = w
        both.topK = 2
        let y2 = Reference.moe([2], rows: 1, weights: both, statistics: &statistics)
        // expert 1: z = [200, 200] → g = 7, u = 7 → a = 7·σ(1.702·7)·8, y = 100·a + 100
        let a1 = 7 / (1 + exp(-1.702 * 7)) * 8
        let w0 = exp(2.0) / (exp(2.0) + exp(-2.0))
        XCTAssertEqual(y2[0], w0 * y[0] + (1 - w0) * (100 * a1 + 100), accuracy: 1e-9)
    }

    func testSamplingTies() {
        XCTAssertEqual(Reference.argmax([1, 5, 2, 5]), 1)
        XCTAssertEqual(Reference.topK([1, 5, 2, 5, 2], k: 4).map(\.id), [1, 3, 2, 4])
    }
}
