import Foundation
import OSSCore
import XCTest

/// attention: GQA groups 1, 4 and 8; head_dim 16 and 64 (and 24, 128); full causal and window 4 with T > window; sinks absent
/// and present; firstPosition 0 and > 0; a ring-buffer cache of `window + T − 1` slots and a full cache with
/// extra slots of stale garbage that must be ignored; one query row and many.
struct AttentionScenario {
    enum Cache { case full, ring }
    let rows: Int, window: Int, firstPosition: Int, cache: Cache

    /// Cache rows: a ring of exactly the span the queries need, or every position so far plus 3 stale slots.
    var slots: Int {
        switch cache {
        case .ring: return window + rows - 1
        case .full: return firstPosition + rows + 3
        }
    }

    static let all: [AttentionScenario] = [
        .init(rows: 1, window: 0, firstPosition: 0, cache: .full),  // first token
        .init(rows: 7, window: 0, firstPosition: 0, cache: .full),  // prefill, full causal
        .init(rows: 1, window: 0, firstPosition: 20, cache: .full),  // decode step, full layer
        .init(rows: 33, window: 0, firstPosition: 3, cache: .full),  // long chunk after a prefix
        .init(rows: 7, window: 4, firstPosition: 0, cache: .full),  // prefill, T > window
        .init(rows: 7, window: 4, firstPosition: 9, cache: .full),  // chunk after a prefix, full cache
        .init(rows: 1, window: 4, firstPosition: 9, cache: .ring),  // decode step, 4-slot ring buffer
        .init(rows: 7, window: 4, firstPosition: 5, cache: .ring),  // chunk over a ring of window + T − 1 slots
        .init(rows: 33, window: 4, firstPosition: 40, cache: .ring),  // long chunk whose positions wrap around the ring
    ]
}

final class AttentionConformanceTests: XCTestCase {
    /// `scale` nil: 1/√headDim, as gpt-oss. `cache` `.f16`: keys and values in a `HalfTensor`, the reference over the
    /// same halves.
    static func attentionCase(
        heads: Int, kvHeads: Int, headDim: Int, scenario s: AttentionScenario,
        sinks hasSinks: Bool, scale: Float? = nil, cache: KVCacheType = .f32
    ) -> TensorOpCase {
        let scoreScale = scale ?? 1 / Float(headDim).squareRoot()
        var (random, parameters) = SeededRandom.forCase(
            "attention",
            "heads=\(heads),kvHeads=\(kvHeads),headDim=\(headDim),T=\(s.rows),window=\(s.window),"
                + "firstPosition=\(s.firstPosition),slots=\(s.slots),sinks=\(hasSinks ? 1 : 0),scale=\(scoreScale)"
                + (cache == .f16 ? ",cache=f16" : ""))
        let params = AttentionParams(
            heads: heads, kvHeads: kvHeads, headDim: headDim,
            scale: scoreScale, window: s.window,
            firstPosition: s.firstPosition)
        let q = GuardedTensor(random.floats(s.rows * heads * headDim, scale: 2), shape: [s.rows, heads * headDim])
        let keys = GuardedTensor(
            random.floats(s.slots * kvHeads * headDim, scale: 2), shape: [s.slots, kvHeads * headDim])
        let values = GuardedTensor(random.floats(s.slots * kvHeads * headDim), shape: [s.slots, kvHeads * headDim])
        let sinks = hasSinks ? GuardedTensor(random.floats(heads, scale: 4), shape: [heads]) : nil
        let out = GuardedTensor(shape: [s.rows, heads * headDim])
        if cache == .f16 {
            let halfKeys = HalfTensor(zeros: [s.slots, kvHeads * headDim])
            let halfValues = HalfTensor(zeros: [s.slots, kvHeads * headDim])
            halfKeys.store(keys.view.pointer, count: halfKeys.count, at: 0)
            halfValues.store(values.view.pointer, count: halfValues.count, at: 0)
            let expected = Reference.attention(
                q: Reference.widen(q.view), rows: s.rows, keys: Reference.widen(halfKeys),
                values: Reference.widen(halfValues), slots: s.slots,
                sinks: sinks.map { Reference.widen($0.view) }, params: params)
            return TensorOpCase(
                OpDescriptor(.attention), parameters, output: out, expected: expected,
                tolerance: Tolerance.attention, inputs: [q] + (sinks.map { [$0] } ?? [])
            ) {
                try $0.attention(
                    q: q.view, keys: halfKeys, values: halfValues, sinks: sinks?.view, params: params, out: out.view)
            }
        }
        let expected = Reference.attention(
            q: Reference.widen(q.view), rows: s.rows, keys: Reference.widen(keys.view),
            values: Reference.widen(values.view), slots: s.slots,
            sinks: sinks.map { Reference.widen($0.view) }, params: params)
        return TensorOpCase(
            OpDescriptor(.attention), parameters, output: out, expected: expected,
            tolerance: Tolerance.attention, inputs: [q, keys, values] + (sinks.map { [$0] } ?? [])
        ) {
            try $0.attention(
                q: q.view, keys: keys.view, values: values.view, sinks: sinks?.view, params: params,
                out: out.view)
        }
    }

    /// GQA groups 1 (1/1), 4 (8/2, the tiny config) and 8 (8/1, gpt-oss's 64/8 ratio) × head_dim 16, 64.
    func testAttention() {
        for (heads, kvHeads) in [(1, 1), (8, 2), (8, 1)] {
            for headDim in [16, 64] {
                for scenario in AttentionScenario.all {
                    for sinks in [false, true] {
                        Conformance.check(
                            Self.attentionCase(
                                heads: heads, kvHeads: kvHeads, headDim: headDim,
                                scenario: scenario, sinks: sinks))
                    }
                }
            }
        }
        // head sizes that are not a power of two (24) and llama's 128
        for headDim in [24, 128] {
            for scenario in [AttentionScenario.all[1], AttentionScenario.all[7]] {
                Conformance.check(
                    Self.attentionCase(heads: 4, kvHeads: 2, headDim: headDim, scenario: scenario, sinks: true))
            }
        }
        // a scale other than 1/√headDim: a kernel computing its own scale fails here
        Conformance.check(
            Self.attentionCase(
                heads: 8, kvHeads: 2, headDim: 16, scenario: AttentionScenario.all[5],
                sinks: true, scale: 0.6))
    }

    /// An F16 cache (`KVCacheType.f16`) on every path: the scenarios at groups 1, 4 and 8, head sizes 16, 24, 64 and
    /// 128, gpt-oss's layout on a ring decode step and a 130-row prefill, and a split decode span of 9000 keys.
    func testAttentionOverAnF16Cache() {
        for (heads, kvHeads, headDim) in [(1, 1, 16), (8, 2, 64), (8, 1, 24), (4, 2, 128)] {
            for scenario in AttentionScenario.all {
                Conformance.check(
                    Self.attentionCase(
                        heads: heads, kvHeads: kvHeads, headDim: headDim, scenario: scenario, sinks: heads > 1,
                        cache: .f16))
            }
        }
        let larger: [(heads: Int, kvHeads: Int, scenario: AttentionScenario)] = [
            (64, 8, AttentionScenario(rows: 1, window: 128, firstPosition: 300, cache: .ring)),
            (8, 1, AttentionScenario(rows: 130, window: 128, firstPosition: 0, cache: .full)),
            (8, 2, AttentionScenario(rows: 1, window: 0, firstPosition: 9000, cache: .full)),
            (64, 8, AttentionScenario(rows: 1, window: 0, firstPosition: 8200, cache: .full)),
        ]
        for c in larger {
            Conformance.check(
                Self.attentionCase(
                    heads: c.heads, kvHeads: c.kvHeads, headDim: 64, scenario: c.scenario, sinks: true, cache: .f16))
        }
    }

    /// gpt-oss's real head layout (64 query heads, 8 KV heads, head_dim 64) on a sliding-window decode step
    /// (128-slot ring) and a full-layer chunk; 301-key decode steps with groups of 4 and 3; decode spans of 8192+
    /// keys (the split into chunks); a 130-row prefill with window 128 and without.
    func testAttentionModelSize() {
        Conformance.check(
            Self.attentionCase(
                heads: 64, kvHeads: 8, headDim: 64,
                scenario: AttentionScenario(rows: 1, window: 128, firstPosition: 300, cache: .ring), sinks: true))
        Conformance.check(
            Self.attentionCase(
                heads: 64, kvHeads: 8, headDim: 64,
                scenario: AttentionScenario(rows: 7, window: 0, firstPosition: 130, cache: .full), sinks: true))
        // decode over several key blocks with at most 4 query heads per KV head (the dim-quad score kernel): mini's
        // 8/2 heads, Llama's 32/8 at head_dim 128, and a group of 3 (lanes 3–7 of the tile empty)
        for (heads, kvHeads, headDim) in [(8, 2, 64), (32, 8, 128), (6, 2, 64)] {
            Conformance.check(
                Self.attentionCase(
                    heads: heads, kvHeads: kvHeads, headDim: headDim,
                    scenario: AttentionScenario(rows: 1, window: 0, firstPosition: 300, cache: .full),
                    sinks: heads == 8))
        }
        // decode spans of 8192 keys and more, split into chunks of 1024 merged after: a partial last chunk with sinks,
        // a ring of 8500 slots whose positions wrap, and the threshold itself with groups of 4 at head_dim 128
        let splitCases:
            [(heads: Int, kvHeads: Int, headDim: Int, window: Int, position: Int, cache: AttentionScenario.Cache)] = [
                (8, 2, 64, 0, 9000, .full), (64, 8, 64, 8500, 9000, .ring), (32, 8, 128, 0, 8191, .full),
            ]
        for c in splitCases {
            Conformance.check(
                Self.attentionCase(
                    heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                    scenario: AttentionScenario(rows: 1, window: c.window, firstPosition: c.position, cache: c.cache),
                    sinks: c.headDim == 64))
        }
        // a 130-row prefill chunk (longer than gpt-oss's window of 128), sliding and full
        for window in [128, 0] {
            Conformance.check(
                Self.attentionCase(
                    heads: 8, kvHeads: 1, headDim: 64,
                    scenario: AttentionScenario(rows: 130, window: window, firstPosition: 0, cache: .full), sinks: true)
            )
        }
    }
}
