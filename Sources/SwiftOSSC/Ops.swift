import BLASBackend
import Foundation
import OSSBackends
import OSSCore
import SwiftOSSABI

// The op level: backends and RoPE tables as handles, every `Backend` op on caller-owned memory (tensors are
// borrowed views, nothing is copied).

/// A backend behind an `oss_backend` handle. Backends serialise their own ops; `lock` guards the handle's scratch
/// (token ids for embedding, top-k results), reused across calls so ops allocate nothing once warm.
final class BackendHandle: HandleObject {
    override class var kindName: String { "backend" }
    let backend: any Backend
    let name: UnsafeMutablePointer<CChar>
    let lock = NSLock()
    var tokens: [Int32] = []
    var ids: [Int32] = []
    var values: [Float] = []

    init(_ backend: any Backend) {
        self.backend = backend
        name = strdup(backend.name)
    }

    deinit { free(name) }
}

/// A RoPE table behind an `oss_rope_table` handle (immutable).
final class RopeTableHandle: HandleObject {
    override class var kindName: String { "rope table" }
    let table: RopeTable
    init(_ table: RopeTable) { self.table = table }
}

extension DType {
    /// The `oss_dtype` value of this dtype (stable numbers; see swiftoss.h).
    var abiCode: Int32 {
        switch self {
        case .f32: return Int32(OSS_DTYPE_F32.rawValue)
        case .f16: return Int32(OSS_DTYPE_F16.rawValue)
        case .bf16: return Int32(OSS_DTYPE_BF16.rawValue)
        case .q8_0: return Int32(OSS_DTYPE_Q8_0.rawValue)
        case .mxfp4: return Int32(OSS_DTYPE_MXFP4.rawValue)
        case .q4_0: return Int32(OSS_DTYPE_Q4_0.rawValue)
        case .q4_1: return Int32(OSS_DTYPE_Q4_1.rawValue)
        case .q5_0: return Int32(OSS_DTYPE_Q5_0.rawValue)
        case .q5_1: return Int32(OSS_DTYPE_Q5_1.rawValue)
        case .q4_K: return Int32(OSS_DTYPE_Q4_K.rawValue)
        case .q5_K: return Int32(OSS_DTYPE_Q5_K.rawValue)
        case .q6_K: return Int32(OSS_DTYPE_Q6_K.rawValue)
        }
    }

    /// The dtype of an `oss_dtype` value, or nil.
    init?(abiCode: Int32) {
        guard let d = DType.allCases.first(where: { $0.abiCode == abiCode }) else { return nil }
        self = d
    }
}

extension BackendKind {
    init(abiCode: Int32) throws {
        switch UInt32(bitPattern: abiCode) {
        case OSS_BACKEND_SWIFT.rawValue: self = .swift
        case OSS_BACKEND_BLAS.rawValue: self = .blas
        case OSS_BACKEND_AUTO.rawValue: self = .auto
        default: throw ABIError.invalid("backend kind \(abiCode) is not OSS_BACKEND_SWIFT, _BLAS or _AUTO")
        }
    }
}

/// Threads to run with: `requested`, or all online cores for 0; negative is an error.
func resolveThreads(_ requested: Int32, _ what: String) throws -> Int {
    guard requested >= 0 else { throw ABIError.invalid("\(what) must be ≥ 0 (0 = all cores), got \(requested)") }
    return requested == 0 ? ProcessInfo.processInfo.activeProcessorCount : Int(requested)
}

/// A validated shape of `rank` dimensions from a C array: each ≥ 0, element count without overflow.
func checkedShape(_ dims: UnsafePointer<Int64>, rank: Int32, maxRank: Int32, _ what: String) throws -> Shape {
    guard rank >= 1, rank <= maxRank else {
        throw ABIError(OSS_ERROR_SHAPE, "\(what): rank \(rank) is not 1…\(maxRank)")
    }
    var total = 1
    for i in 0..<Int(rank) {
        let d = dims[i]
        guard d >= 0, d <= Int64(Int32.max) * 4 else {
            throw ABIError(OSS_ERROR_SHAPE, "\(what): dimension \(i) is \(d)")
        }
        let (p, overflow) = total.multipliedReportingOverflow(by: Int(d))
        guard !overflow, p <= Int.max / 16 else { throw ABIError(OSS_ERROR_SHAPE, "\(what): element count overflows") }
        total = p
    }
    switch rank {
    case 1: return Shape(Int(dims[0]))
    case 2: return Shape(Int(dims[0]), Int(dims[1]))
    case 3: return Shape(Int(dims[0]), Int(dims[1]), Int(dims[2]))
    default: return Shape((0..<Int(rank)).map { Int(dims[$0]) })
    }
}

/// A borrowed `Tensor` view of a C tensor (no copy). Throws on NULL, a bad rank or shape, or a misaligned pointer.
func borrowTensor(_ t: UnsafePointer<oss_tensor>?, _ what: String) throws -> Tensor {
    guard let t else { throw ABIError.null(what) }
    guard let data = t.pointee.data else { throw ABIError.null("\(what).data") }
    guard Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 else {
        throw ABIError.invalid("\(what).data \(data) is not 4-byte aligned")
    }
    let shape = try withUnsafePointer(to: t.pointee.shape) {
        try $0.withMemoryRebound(to: Int64.self, capacity: 4) {
            try checkedShape($0, rank: t.pointee.rank, maxRank: 4, what)
        }
    }
    return Tensor(borrowing: data, shape: shape)
}

/// A borrowed tensor, or nil for a NULL pointer (optional biases and sinks).
func borrowOptionalTensor(_ t: UnsafePointer<oss_tensor>?, _ what: String) throws -> Tensor? {
    guard t != nil else { return nil }
    return try borrowTensor(t, what)
}

/// A `WeightTensor` view of a C weight (no copy). Throws on a NULL pointer, an unknown dtype, a bad rank or shape,
/// an input dimension that is not a multiple of the dtype's block, or scales given (or missing) against the dtype.
func borrowWeight(_ w: oss_weight, _ what: String) throws -> WeightTensor {
    guard let dtype = DType(abiCode: w.dtype) else {
        throw ABIError(OSS_ERROR_DTYPE, "\(what).dtype \(w.dtype) is not an oss_dtype")
    }
    guard let data = w.data else { throw ABIError.null("\(what).data") }
    let shape = try withUnsafePointer(to: w.shape) {
        try $0.withMemoryRebound(to: Int64.self, capacity: 3) { try checkedShape($0, rank: w.rank, maxRank: 3, what) }
    }
    guard shape.last % dtype.blockSize == 0 else {
        throw ABIError(
            OSS_ERROR_SHAPE,
            "\(what): \(dtype) needs the input dimension to be a multiple of "
                + "\(dtype.blockSize), got \(shape)")
    }
    if dtype == .mxfp4 && w.scales == nil { throw ABIError(OSS_ERROR_DTYPE, "\(what): mxfp4 weight without scales") }
    if dtype != .mxfp4 && w.scales != nil { throw ABIError(OSS_ERROR_DTYPE, "\(what): \(dtype) weight with scales") }
    return try WeightTensor(dtype: dtype, shape: shape, data: data, scales: w.scales, owner: nil)
}

func borrowWeight(_ w: UnsafePointer<oss_weight>?, _ what: String) throws -> WeightTensor {
    guard let w else { throw ABIError.null(what) }
    return try borrowWeight(w.pointee, what)
}

/// A float parameter that must be finite.
func finite(_ value: Float, _ what: String) throws -> Float {
    guard value.isFinite else { throw ABIError.invalid("\(what) must be finite, got \(value)") }
    return value
}

// MARK: - dtypes

@_cdecl("oss_dtype_block")
public func ossDTypeBlock(
    _ dtype: Int32, _ elements: UnsafeMutablePointer<Int64>?, _ bytes: UnsafeMutablePointer<Int64>?,
    _ scaleBytes: UnsafeMutablePointer<Int64>?
) -> oss_status {
    abiCall("oss_dtype_block") {
        guard let d = DType(abiCode: dtype) else {
            throw ABIError(OSS_ERROR_DTYPE, "dtype \(dtype) is not an oss_dtype")
        }
        store(Int64(d.blockSize), elements)
        store(Int64(d.bytesPerBlock), bytes)
        store(Int64(d.rowScaleBytes(d.blockSize)), scaleBytes)
    }
}

nonisolated(unsafe) private let dtypeNames: [Int32: UnsafePointer<CChar>] =
    Dictionary(uniqueKeysWithValues: DType.allCases.map { ($0.abiCode, permanentCString($0.rawValue)) })

@_cdecl("oss_dtype_name")
public func ossDTypeName(_ dtype: Int32) -> UnsafePointer<CChar>? { dtypeNames[dtype] }

@_cdecl("oss_live_handles")
public func ossLiveHandles(_ count: UnsafeMutablePointer<Int64>?) -> oss_status {
    abiCall("oss_live_handles") {
        guard let count else { throw ABIError.null("count") }
        count.pointee = Int64(Handles.count)
    }
}

// MARK: - backends

@_cdecl("oss_backend_create")
public func ossBackendCreate(_ kind: Int32, _ threads: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?)
    -> oss_status
{
    abiCall("oss_backend_create") {
        try makeHandle(out, "backend_out") {
            BackendHandle(try BackendKind(abiCode: kind).make(threads: try resolveThreads(threads, "threads")))
        }
    }
}

@_cdecl("oss_backend_retain")
public func ossBackendRetain(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_backend_retain") { try Handles.retain(h, as: BackendHandle.self) }
}

@_cdecl("oss_backend_release")
public func ossBackendRelease(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_backend_release") { try Handles.release(h, as: BackendHandle.self) }
}

@_cdecl("oss_backend_info")
public func ossBackendInfo(
    _ h: OpaquePointer?, _ name: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    _ threads: UnsafeMutablePointer<Int32>?
) -> oss_status {
    abiCall("oss_backend_info") {
        let b = try Handles.get(h, as: BackendHandle.self)
        store(UnsafePointer(b.name), name)
        store(Int32(clamping: b.backend.threads), threads)
    }
}

@_cdecl("oss_set_gemm_roundings")
public func ossSetGEMMRoundings(_ int8GEMM: Int32, _ bf16Dot: Int32) -> oss_status {
    abiCall("oss_set_gemm_roundings") {
        for (value, name) in [(int8GEMM, "int8_gemm"), (bf16Dot, "bf16_dot")] where value != 0 && value != 1 {
            throw ABIError.invalid("\(name) must be 0 or 1, got \(value)")
        }
        BLASBackend.int8GEMM = int8GEMM == 1
        BLASBackend.bf16DotProducts = bf16Dot == 1
    }
}

@_cdecl("oss_get_gemm_roundings")
public func ossGetGEMMRoundings(_ int8GEMM: UnsafeMutablePointer<Int32>?, _ bf16Dot: UnsafeMutablePointer<Int32>?)
    -> oss_status
{
    abiCall("oss_get_gemm_roundings") {
        store(BLASBackend.int8GEMM ? 1 : 0, int8GEMM)
        store(BLASBackend.bf16DotProducts ? 1 : 0, bf16Dot)
    }
}

/// A process-wide on/off kernel switch from C: `on` must be 0 or 1.
private func setSwitch(_ function: StaticString, _ on: Int32, _ apply: (Bool) -> Void) -> oss_status {
    abiCall(function) {
        guard on == 0 || on == 1 else { throw ABIError.invalid("on must be 0 or 1, got \(on)") }
        apply(on == 1)
    }
}

@_cdecl("oss_set_int8_gemv")
public func ossSetInt8GEMV(_ on: Int32) -> oss_status {
    setSwitch("oss_set_int8_gemv", on) { BLASBackend.int8GEMV = $0 }
}

@_cdecl("oss_get_int8_gemv")
public func ossGetInt8GEMV(_ on: UnsafeMutablePointer<Int32>?) -> oss_status {
    abiCall("oss_get_int8_gemv") { store(BLASBackend.int8GEMV ? 1 : 0, on) }
}

@_cdecl("oss_set_avx2_int8_gemv")
public func ossSetAVX2Int8GEMV(_ on: Int32) -> oss_status {
    setSwitch("oss_set_avx2_int8_gemv", on) { BLASBackend.avx2Int8GEMV = $0 }
}

@_cdecl("oss_get_avx2_int8_gemv")
public func ossGetAVX2Int8GEMV(_ on: UnsafeMutablePointer<Int32>?) -> oss_status {
    abiCall("oss_get_avx2_int8_gemv") { store(BLASBackend.avx2Int8GEMV ? 1 : 0, on) }
}

@_cdecl("oss_set_float_gemv")
public func ossSetFloatGEMV(_ width: Int32) -> oss_status {
    abiCall("oss_set_float_gemv") {
        switch width {
        case 0: BLASBackend.floatGEMV512 = nil
        case 256: BLASBackend.floatGEMV512 = false
        case 512: BLASBackend.floatGEMV512 = true
        default: throw ABIError.invalid("width must be 0 (by the CPU), 256 or 512, got \(width)")
        }
    }
}

@_cdecl("oss_get_float_gemv")
public func ossGetFloatGEMV(_ width: UnsafeMutablePointer<Int32>?, _ active: UnsafeMutablePointer<Int32>?)
    -> oss_status
{
    abiCall("oss_get_float_gemv") {
        store(BLASBackend.floatGEMV512.map { $0 ? 512 : 256 } ?? 0, width)
        store(BLASBackend.usingFloatGEMV512 ? 512 : 256, active)
    }
}

// MARK: - ops

@_cdecl("oss_linear")
public func ossLinear(
    _ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ w: UnsafePointer<oss_weight>?,
    _ bias: UnsafePointer<oss_tensor>?, _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_linear") {
        let b = try Handles.get(h, as: BackendHandle.self)
        try b.backend.linear(
            try borrowTensor(x, "x"), weight: try borrowWeight(w, "w"),
            bias: try borrowOptionalTensor(bias, "bias"), out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_rms_norm")
public func ossRMSNorm(
    _ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ weight: UnsafePointer<oss_tensor>?,
    _ eps: Float, _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_rms_norm") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard eps.isFinite, eps >= 0 else { throw ABIError.invalid("eps must be finite and ≥ 0, got \(eps)") }
        try b.backend.rmsNorm(
            try borrowTensor(x, "x"), weight: try borrowTensor(weight, "weight"), eps: eps,
            out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_softmax")
public func ossSoftmax(_ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ out: UnsafePointer<oss_tensor>?)
    -> oss_status
{
    abiCall("oss_softmax") {
        let b = try Handles.get(h, as: BackendHandle.self)
        try b.backend.softmax(try borrowTensor(x, "x"), out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_swiglu")
public func ossSwiGLU(
    _ h: OpaquePointer?, _ gateUp: UnsafePointer<oss_tensor>?, _ limit: Float, _ alpha: Float,
    _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_swiglu") {
        let b = try Handles.get(h, as: BackendHandle.self)
        try b.backend.swiglu(
            try borrowTensor(gateUp, "gate_up"), limit: try finite(limit, "limit"),
            alpha: try finite(alpha, "alpha"), out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_silu_mul")
public func ossSiLUMul(
    _ h: OpaquePointer?, _ gate: UnsafePointer<oss_tensor>?, _ up: UnsafePointer<oss_tensor>?,
    _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_silu_mul") {
        let b = try Handles.get(h, as: BackendHandle.self)
        try b.backend.siluMul(
            gate: try borrowTensor(gate, "gate"), up: try borrowTensor(up, "up"),
            out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_add")
public func ossAdd(
    _ h: OpaquePointer?, _ a: UnsafePointer<oss_tensor>?, _ bt: UnsafePointer<oss_tensor>?,
    _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_add") {
        let b = try Handles.get(h, as: BackendHandle.self)
        try b.backend.add(try borrowTensor(a, "a"), try borrowTensor(bt, "b"), out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_embedding")
public func ossEmbedding(
    _ h: OpaquePointer?, _ table: UnsafePointer<oss_weight>?, _ tokens: UnsafePointer<Int32>?,
    _ count: Int, _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_embedding") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard let tokens else { throw ABIError.null("tokens") }
        guard count > 0 else { throw ABIError(OSS_ERROR_SHAPE, "count is 0: at least one token is needed") }
        let w = try borrowWeight(table, "table")
        let o = try borrowTensor(out, "out")
        b.lock.lock()
        defer { b.lock.unlock() }
        b.tokens.removeAll(keepingCapacity: true)
        b.tokens.append(contentsOf: UnsafeBufferPointer(start: tokens, count: count))
        do {
            try b.backend.embedding(w, tokens: b.tokens, out: o)
        } catch BackendError.invalidArgument(_, let detail) where detail.hasPrefix("token id") {
            throw ABIError(OSS_ERROR_TOKEN_OUT_OF_RANGE, "embedding: \(detail)")
        }
    }
}

@_cdecl("oss_argmax")
public func ossArgmax(_ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ index: UnsafeMutablePointer<Int64>?)
    -> oss_status
{
    abiCall("oss_argmax") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard let index else { throw ABIError.null("index_out") }
        index.pointee = Int64(try b.backend.argmax(try borrowTensor(x, "x")))
    }
}

@_cdecl("oss_top_k")
public func ossTopK(
    _ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ k: Int64, _ idsOut: UnsafeMutablePointer<Int32>?,
    _ valuesOut: UnsafeMutablePointer<Float>?
) -> oss_status {
    abiCall("oss_top_k") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard let idsOut else { throw ABIError.null("ids_out") }
        guard let valuesOut else { throw ABIError.null("values_out") }
        let t = try borrowTensor(x, "x")
        guard k >= 1, k <= Int64(t.count) else { throw ABIError.invalid("k \(k) for \(t.count) elements") }
        let n = Int(k)
        b.lock.lock()
        defer { b.lock.unlock() }
        if b.ids.count < n {
            b.ids = [Int32](repeating: 0, count: n)
            b.values = [Float](repeating: 0, count: n)
        }
        try b.backend.topK(t, k: n, ids: &b.ids, values: &b.values)
        b.ids.withUnsafeBufferPointer { idsOut.update(from: $0.baseAddress!, count: n) }
        b.values.withUnsafeBufferPointer { valuesOut.update(from: $0.baseAddress!, count: n) }
    }
}

// MARK: - RoPE

/// Refuses tables over 2^28 floats per array (1 GiB): an allocation that large is a mistake, not a request.
func checkRopeSize(headDim: Int32, maxPositions: Int32) throws {
    guard headDim >= 2, headDim % 2 == 0, maxPositions >= 1,
        Int(maxPositions) * Int(headDim / 2) <= 1 << 28
    else {
        throw ABIError.invalid(
            "head_dim \(headDim) (even, ≥ 2) × max_positions \(maxPositions) (≥ 1) out of range "
                + "(at most 2^28 cos values)")
    }
}

@_cdecl("oss_rope_table_create")
public func ossRopeTableCreate(
    _ headDim: Int32, _ theta: Double, _ maxPositions: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> oss_status {
    abiCall("oss_rope_table_create") {
        try makeHandle(out, "table_out") {
            guard theta.isFinite, theta > 0 else {
                throw ABIError.invalid("theta must be finite and > 0, got \(theta)")
            }
            try checkRopeSize(headDim: headDim, maxPositions: maxPositions)
            return RopeTableHandle(
                try RopeTable.plain(headDim: Int(headDim), theta: theta, maxPositions: Int(maxPositions)))
        }
    }
}

@_cdecl("oss_rope_table_create_yarn")
public func ossRopeTableCreateYaRN(
    _ headDim: Int32, _ theta: Double, _ factor: Double, _ originalContext: Int32,
    _ betaFast: Double, _ betaSlow: Double, _ truncate: Int32, _ maxPositions: Int32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> oss_status {
    abiCall("oss_rope_table_create_yarn") {
        try makeHandle(out, "table_out") {
            guard theta.isFinite, theta > 1, factor.isFinite, factor >= 1, originalContext > 0,
                betaFast.isFinite, betaSlow.isFinite, betaFast > 0, betaSlow > 0
            else {
                throw ABIError.invalid(
                    "YaRN theta \(theta), factor \(factor), original context \(originalContext), "
                        + "beta fast \(betaFast), beta slow \(betaSlow): need theta > 1, factor ≥ 1, positive context and betas"
                )
            }
            try checkRopeSize(headDim: headDim, maxPositions: maxPositions)
            return RopeTableHandle(
                try RopeTable.yarn(
                    headDim: Int(headDim), theta: theta, factor: factor, originalContext: Int(originalContext),
                    betaFast: betaFast, betaSlow: betaSlow, truncate: truncate != 0, maxPositions: Int(maxPositions)))
        }
    }
}

@_cdecl("oss_rope_table_retain")
public func ossRopeTableRetain(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_rope_table_retain") { try Handles.retain(h, as: RopeTableHandle.self) }
}

@_cdecl("oss_rope_table_release")
public func ossRopeTableRelease(_ h: OpaquePointer?) -> oss_status {
    abiCall("oss_rope_table_release") { try Handles.release(h, as: RopeTableHandle.self) }
}

@_cdecl("oss_rope")
public func ossRope(
    _ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ heads: Int32, _ firstPosition: Int64,
    _ table: OpaquePointer?, _ style: Int32
) -> oss_status {
    abiCall("oss_rope") {
        let b = try Handles.get(h, as: BackendHandle.self)
        let t = try Handles.get(table, as: RopeTableHandle.self)
        let s: RopeStyle
        switch UInt32(bitPattern: style) {
        case OSS_ROPE_NEOX.rawValue: s = .neox
        case OSS_ROPE_INTERLEAVED.rawValue: s = .interleaved
        default: throw ABIError.invalid("style \(style) is not OSS_ROPE_NEOX or OSS_ROPE_INTERLEAVED")
        }
        guard firstPosition >= 0, firstPosition < Int64(Int32.max) else {
            throw ABIError.invalid("first_position \(firstPosition) out of range")
        }
        try b.backend.rope(
            try borrowTensor(x, "x"), heads: Int(heads), firstPosition: Int(firstPosition),
            table: t.table, style: s)
    }
}

// MARK: - attention and MoE

@_cdecl("oss_attention")
public func ossAttention(
    _ h: OpaquePointer?, _ q: UnsafePointer<oss_tensor>?, _ keys: UnsafePointer<oss_tensor>?,
    _ values: UnsafePointer<oss_tensor>?, _ sinks: UnsafePointer<oss_tensor>?,
    _ params: UnsafePointer<oss_attention_params>?, _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_attention") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard let p = params?.pointee else { throw ABIError.null("params") }
        guard p.first_position >= 0, p.first_position < Int64(Int32.max) else {
            throw ABIError.invalid("first_position \(p.first_position) out of range")
        }
        let ap = AttentionParams(
            heads: Int(p.heads), kvHeads: Int(p.kv_heads), headDim: Int(p.head_dim),
            scale: try finite(p.scale, "scale"), window: Int(p.window),
            firstPosition: Int(p.first_position))
        try b.backend.attention(
            q: try borrowTensor(q, "q"), keys: try borrowTensor(keys, "keys"),
            values: try borrowTensor(values, "values"), sinks: try borrowOptionalTensor(sinks, "sinks"),
            params: ap, out: try borrowTensor(out, "out"))
    }
}

@_cdecl("oss_moe")
public func ossMoE(
    _ h: OpaquePointer?, _ x: UnsafePointer<oss_tensor>?, _ weights: UnsafePointer<oss_moe_weights>?,
    _ out: UnsafePointer<oss_tensor>?
) -> oss_status {
    abiCall("oss_moe") {
        let b = try Handles.get(h, as: BackendHandle.self)
        guard let w = weights?.pointee else { throw ABIError.null("weights") }
        let router = try borrowWeight(w.router, "weights.router")
        let gateUp = try borrowWeight(w.gate_up, "weights.gate_up")
        let down = try borrowWeight(w.down, "weights.down")
        guard router.shape.rank == 2, gateUp.shape.rank == 3, down.shape.rank == 3 else {
            throw ABIError(
                OSS_ERROR_SHAPE,
                "moe: router must be [E, H], gate_up [E, 2I, H], down [E, H, I]; got "
                    + "\(router.shape), \(gateUp.shape), \(down.shape)")
        }
        let moe = MoEWeights(
            router: router, routerBias: try borrowOptionalTensor(w.router_bias, "weights.router_bias"),
            gateUp: gateUp, gateUpBias: try borrowOptionalTensor(w.gate_up_bias, "weights.gate_up_bias"),
            down: down, downBias: try borrowOptionalTensor(w.down_bias, "weights.down_bias"),
            topK: Int(w.top_k), swigluLimit: try finite(w.swiglu_limit, "weights.swiglu_limit"),
            swigluAlpha: try finite(w.swiglu_alpha, "weights.swiglu_alpha"))
        try b.backend.moe(try borrowTensor(x, "x"), weights: moe, out: try borrowTensor(out, "out"))
    }
}
