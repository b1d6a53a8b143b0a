import OSSCore
import XCTest

/// embedding: row gather from every weight dtype, one token and several (first and last id, repeats),
/// widths 1/odd for plain dtypes, 1/3/90 blocks for block dtypes, 1/3/8 super-blocks for the K-quants.
final class EmbeddingConformanceTests: XCTestCase {
    static let vocabulary = 50

    static func embeddingCase(dtype: DType, hidden: Int, tokens: [Int32]) throws -> TensorOpCase {
        var (random, parameters) = SeededRandom.forCase(
            "embedding",
            "dtype=\(dtype),V=\(vocabulary),H=\(hidden),tokens=\(tokens.map(String.init).joined(separator: ":"))")
        let table = try WeightTensor.encode(
            random.floats(vocabulary * hidden, scale: 3), shape: [vocabulary, hidden],
            dtype: dtype)
        let expected = Reference.embedding(table: Reference.decoded(table), hidden: hidden, tokens: tokens)
        let out = GuardedTensor(shape: [tokens.count, hidden])
        return TensorOpCase(
            OpDescriptor(.embedding, dtype: dtype), parameters, output: out, expected: expected,
            tolerance: Tolerance.embedding
        ) { try $0.embedding(table, tokens: tokens, out: out.view) }
    }

    func testEmbedding() throws {
        let tokenLists: [[Int32]] = [[7], [Int32(Self.vocabulary - 1), 0, 17, 17, 3, Int32(Self.vocabulary - 1), 42]]
        for dtype in DType.allCases {
            let widths =
                dtype.blockSize == 1 ? [1, 33, 2880] : dtype.blockSize == 32 ? [32, 96, 2880] : [256, 768, 2048]
            for hidden in widths {
                for tokens in tokenLists {
                    Conformance.check(try Self.embeddingCase(dtype: dtype, hidden: hidden, tokens: tokens))
                }
            }
        }
    }
}
