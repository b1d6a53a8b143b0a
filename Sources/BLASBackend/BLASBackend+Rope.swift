import CKernels
import OSSCore

extension BLASBackend {
    /// Rotates `x[T, heads·headDim]` in place with the precomputed cos/sin of `table`.
    public func rope(_ x: Tensor, heads: Int, firstPosition: Int, table: RopeTable, style: RopeStyle) throws {
        try OpValidation.rope(x, heads: heads, firstPosition: firstPosition, table: table)
        let ckStyle = style == .neox ? Int32(CK_ROPE_NEOX) : Int32(CK_ROPE_INTERLEAVED)
        ck_rope(
            x.pointer, Int64(x.rows), Int64(heads), Int64(table.headDim), Int64(firstPosition),
            table.cos.pointer, table.sin.pointer, ckStyle, Int32(clamping: threads))
    }
}
