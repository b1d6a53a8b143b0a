import OSSCore

/// NMSE thresholds `Σ(a−b)²/Σb²` of a backend's Float32 output `a` against the float64 reference `b`, per op.
///
/// One f32 rounding per element gives a relative error ≤ 2⁻²⁴ ≈ 6e-8, i.e. an NMSE ≤ 3.6e-15; every threshold
/// below is that floor times the error growth of the op's float32 arithmetic, with a margin of ≥ 100× so that
/// a different (valid) summation order or a vectorised exp never fails, while a wrong index, a missing term,
/// a wrong constant or an unwritten element (≥ 1e-4 for any realistic bug) always does.
enum Tolerance {
    /// add: one rounded f32 addition per element (≤ 3.6e-15); 1e-10 is the usual "pure f32 elementwise" bound.
    static let add = 1e-10
    /// siluMul / swiglu: one exp (vectorised exp ≤ a few ulp) and 3–4 rounded products per element.
    static let activation = 1e-10
    /// softmax: one exp per element plus an n-term f32 sum (n ≤ 4097): relative error ≲ √n·2⁻²⁴ ≈ 4e-6 worst case.
    static let softmax = 1e-9
    /// rmsNorm: an n-term f32 sum of squares (n ≤ 4097), one rsqrt and two products per element.
    static let rmsNorm = 1e-10
    /// rope: cos/sin come from the f32 table (one rounding each), then two products and a sum per element.
    static let rope = 1e-10
    /// linear: f32 dot products of up to 4097 terms (error grows ~√n·2⁻²⁴, NMSE ≲ 1e-11); weights are compared
    /// after decoding, so quantisation error is not counted. Activations must not be quantised (MXFP4, Q8_0: below).
    static let linear = 1e-9
    /// linear with MXFP4 weights, and with the GGUF 4/5/6-bit block types (Q4_0 … Q5_1, Q4_K … Q6_K) on every AVX2
    /// path: the BLAS GEMV (MXFP4 T ≤ 64 AVX2, ≤ 256 VNNI; the block types as `BLASBackend` documents) rounds each
    /// 32-element block of x to 16-bit fixed point once (error ≤ max|x_b|/65278 per element: NMSE ≈ 4e-10 on these
    /// uniform inputs) and sums the products exactly in int32.
    /// That error scales with the products x·w, not with their sum: a dot product that cancels to near zero keeps
    /// it, so the NMSE denominator is at least Σ(x·w)² over all products (on uniform inputs the expected value of
    /// Σb², so typical cases are judged as before). 1e-8 leaves 25× margin; 8-bit activations (ggml's Q8_0 / Q8_K,
    /// ~3e-5) or a lost term fail.
    static let linearFixedPoint = 1e-8
    /// linear with BF16 weights where the BLAS backend's GEMM runs `vdpbf16ps` (`BLASBackend.bf16DotProducts`, on
    /// by default, on an AVX512-BF16 CPU, T > 16; every BLAS runner but `blas-own`): x is
    /// rounded to bf16 once per call (8 significant bits, relative error ≤ 2⁻⁸ per element), the products are exact
    /// and summed in float32. The NMSE is then ≈ 2.5e-6 on these uniform inputs (measured 2.0–2.4e-6, the size of
    /// BF16 weight storage's own rounding), and ≤ 2⁻¹⁶ ≈ 1.5e-5 for a single term; 3e-5 still fails a lost term in
    /// rows of up to ~30000 inputs, a wrong index or an unwritten element.
    static let linearBF16Dot = 3e-5
    /// linear with 8-bit activations (see `BLASBackend.linearRoundsActivationsToInt8`), two places:
    /// - the BLAS backend's GEMVs on AVX512-VNNI: Q4_K, Q5_K, Q6_K (T ≤ 32) with x rounded to 8 bits per 256-element
    ///   super-block as ggml's Q8_K does (q = round(127·x/max|x|), error ≤ max|x|/254 per element); Q8_0, Q4_0, Q4_1,
    ///   Q5_0, Q5_1 per 32-element block, as ggml's Q8_0 activations;
    /// - the GGUF block types Q4_0 … Q6_K where the GEMM runs its 8-bit tiles (AVX512-VNNI, T past the GEMV,
    ///   `BLASBackend.int8GEMM` on, the default): x rounded per 32-element block, as ggml's Q8_0 activations.
    /// The products are summed exactly in int32. Expected NMSE on these uniform inputs (1/127)²/12 ÷ 1/3 ≈ 1.6e-5;
    /// measured over the 73 K-quant GEMV int8 cases of the conformance suite (each at 1 and 2 threads): median 1.5e-5,
    /// 90th percentile 1.8e-5, worst 6.2e-5 (a one-output case: its error is one squared sum, so its spread is wide;
    /// the denominator is floored at Σ(x·w)² as for `linearFixedPoint`); the edge cases of `IntegerGEMVPathTests` (one
    /// outlier of 1000 in a super-block of ±1) 3.3e-5; the GEMM tiles 1.4–1.5e-5 for every block type at T = 37 and 65
    /// (SIMDPathTests, K = 2304 / 2816); the 32-weight GEMVs against float64 over 300 random shapes per type (NumPy,
    /// the same denominator floor): median 0.9–1.3e-5, worst 2.8e-5 for Q8_0, Q4_0 and Q5_0, 6.1e-5 and 1.16e-4 for
    /// Q4_1 and Q5_1 (their offset m multiplies each block's rounded Σ x). 2e-4 leaves 3× over the worst of the suite's
    /// own cases (1.7× over that random tail) and still fails a lost sub-block (≥ 3.8e-3 even in the widest row, 33
    /// super-blocks), a wrong scale or offset factor, a lost element of a 256-wide row (≈ 4e-3) or an unwritten
    /// element. Subtler decoding slips (a 6-bit scale one step off: ~3e-5) would pass here, but the 8-bit kernels read
    /// levels and scales through the same decoders (ck_qblock.h) as the 16-bit ones (`blas-int16` runner, the AVX2
    /// GEMVs), which are held to `linearFixedPoint`.
    static let linearInt8 = 2e-4
    /// Weight dtypes whose BLAS GEMV rounds x (16-bit fixed point, or 8 bits: `linearInt8`).
    static func roundsActivations(_ dtype: DType) -> Bool { dtype != .f32 && dtype != .f16 && dtype != .bf16 }
    /// The linear threshold for a weight dtype; `bf16Dot`: the backend rounds this case's activations to bf16; `int8`:
    /// to 8 bits.
    static func linear(_ dtype: DType, bf16Dot: Bool = false, int8: Bool = false) -> Double {
        if bf16Dot { return linearBF16Dot }
        if int8 { return linearInt8 }
        return roundsActivations(dtype) ? linearFixedPoint : linear
    }
    /// attention: headDim-term f32 dot products, exp of scores up to ~±10 (relative error of exp ≈ |score|·2⁻²⁴),
    /// a sum over ≤ 40 keys and a weighted sum of values.
    static let attention = 1e-9
    /// moe: router linear → softmax over k → two chained linears of up to 2880 terms with a clamp between them
    /// (errors of the two linears add up); cases whose k-th and (k+1)-th router logits are nearly tied are
    /// re-drawn, so routing is unambiguous.
    static let moe = 1e-9
    /// moe with MXFP4 experts (the GGUF block types on the AVX2 path): both expert linears
    /// round their input to 16-bit fixed point per 32-block (see `linearFixedPoint`) and the errors add up; the
    /// SwiGLU output feeding `down` mixes clamped and near-zero values in one block, so its rounding is relatively
    /// coarser. Worst case seen 1.6e-9; 2e-8 leaves 12×.
    static let moeFixedPoint = 2e-8
    /// moe with BF16 experts where an expert's token group reaches the `vdpbf16ps` GEMM (T > 16 tokens on an
    /// AVX512-BF16 CPU with `BLASBackend.bf16DotProducts` on): both expert linears round their input to bf16 (see
    /// `linearBF16Dot`, ≈ 2.5e-6 each), the errors add up and the SwiGLU between them passes them on (the router
    /// keeps float32 activations, so routing is exact). Measured 8.1–8.5e-6 on the tiny config's sizes at T = 33 and
    /// 200; 1e-4 leaves 12×.
    static let moeBF16Dot = 1e-4
    /// moe with block-type experts whose linears round their input to 8 bits (`linearInt8`, ≈ 1.6e-5 each: the
    /// K-quants' expert GEMVs, or an expert group large enough for the 8-bit GEMM; the router keeps 16-bit
    /// activations, so routing is unchanged): the errors of gate_up and down add up and the clamped SwiGLU between
    /// them passes them on. Measured 3.3e-5 … 8.2e-5 over the K-quant cases of `testMoE` (H = I = 256); 5e-4 leaves 6×.
    static let moeInt8 = 5e-4
    /// The moe threshold for an expert dtype; `bf16Dot`: the backend may round this case's expert inputs to bf16;
    /// `int8`: to 8 bits.
    static func moe(_ dtype: DType, bf16Dot: Bool = false, int8: Bool = false) -> Double {
        if bf16Dot { return moeBF16Dot }
        if int8 { return moeInt8 }
        return roundsActivations(dtype) ? moeFixedPoint : moe
    }
    /// embedding: a row gather; decoding is exact in f32 except the block scales' products (Q8_0 d·q, one rounding;
    /// the Q4…Q6 types up to three, in the reference decoder's order, a kernel's fused multiply-add at most 1 ulp).
    static let embedding = 1e-14
}
