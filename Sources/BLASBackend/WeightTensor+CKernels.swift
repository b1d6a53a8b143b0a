import CKernels
import OSSCore

extension DType {
    /// The matching `ck_dtype` of CKernels.
    var ckDType: Int32 {
        switch self {
        case .f32: return Int32(CK_F32.rawValue)
        case .f16: return Int32(CK_F16.rawValue)
        case .bf16: return Int32(CK_BF16.rawValue)
        case .q8_0: return Int32(CK_Q8_0.rawValue)
        case .mxfp4: return Int32(CK_MXFP4.rawValue)
        case .q4_0: return Int32(CK_Q4_0.rawValue)
        case .q4_1: return Int32(CK_Q4_1.rawValue)
        case .q5_0: return Int32(CK_Q5_0.rawValue)
        case .q5_1: return Int32(CK_Q5_1.rawValue)
        case .q4_K: return Int32(CK_Q4_K.rawValue)
        case .q5_K: return Int32(CK_Q5_K.rawValue)
        case .q6_K: return Int32(CK_Q6_K.rawValue)
        }
    }
}

extension WeightTensor {
    /// This weight as a CKernels matrix `[rows, in]` (all stacked matrices of an expert stack as rows).
    var ckWeight: ck_weight {
        ck_weight(dtype: dtype.ckDType, data: data, scales: scales, rows: Int64(shape.rows), cols: Int64(inFeatures))
    }
}

extension Optional where Wrapped == Tensor {
    /// The tensor's first element, or NULL.
    var ckPointer: UnsafePointer<Float>? { self.map { UnsafePointer($0.pointer) } }
}
