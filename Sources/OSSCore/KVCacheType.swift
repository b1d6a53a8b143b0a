/// Element type of a model's key/value cache: Float32 (the reference's arithmetic exactly), or IEEE half (llama.cpp's
/// default F16 cache: half the memory, and half the bytes attention reads per query at depth; keys and values
/// rounded to nearest even when stored; `HalfTensor`).
public enum KVCacheType: String, CaseIterable, Sendable, Codable {
    case f32, f16
}
