import Foundation
import OSSCore
import OSSFormats
import XCTest

@testable import OSSModel

/// The generator reproduces the self-check values of gpt-oss.md §6, read back from the written files.
final class SyntheticModelTests: XCTestCase {
    func testHashSelfCheck() {
        XCTAssertEqual(
            (0..<4).map { SyntheticHash.h32(seed: 0, index: UInt32($0)) },
            [0x54b7_eb53, 0x7aa8_d392, 0xbee9_ccc8, 0xfe3a_2131])
        XCTAssertEqual(SyntheticHash.h32(seed: 5, index: 7), 0x98df_d6f3)
    }

    func testTinyOriginalTensorsMatchSection6() throws {
        let archive = try SafetensorsArchive(directory: TinyModelFixture.directory(.original))
        let embedding = try archive.weight("embedding.weight")
        XCTAssertEqual(embedding.dtype, .bf16)
        XCTAssertEqual(Array(embedding.decodedArray()[0..<4]), [-0.34375, -0.046875, 0.484375, 0.984375])
        XCTAssertEqual(
            Array(try archive.weight("block.0.attn.qkv.weight").decodedArray()[0..<4]),
            [-0.009765625, 0.048828125, 0.10546875, 0.12890625])
        XCTAssertEqual(
            try archive.floatTensor("block.0.attn.sinks").toArray(),
            [-0.21875, 2.21875, 3.65625, 1.90625, 0, -3.5, -3.5625, -0.5])
        XCTAssertEqual(
            Array(try archive.floatTensor("block.0.attn.norm.scale").toArray()[0..<4]),
            [0.96875, 0.890625, 0.93359375, 0.98828125])

        let blocks = try XCTUnwrap(archive.info("block.0.mlp.mlp1_weight.blocks"))
        XCTAssertEqual(blocks.shape, [8, 128, 3, 16])
        XCTAssertEqual(blocks.dtype, .u8)
        let mlp1 = try archive.mxfp4Weight(
            blocks: "block.0.mlp.mlp1_weight.blocks", scales: "block.0.mlp.mlp1_weight.scales")
        XCTAssertEqual(mlp1.shape, [8, 128, 96])
        let blockBytes = mlp1.data.assumingMemoryBound(to: UInt8.self)
        XCTAssertEqual((0..<4).map { blockBytes[$0] }, [0x65, 0xF6, 0x5A, 0xF7])
        let scales = try XCTUnwrap(mlp1.scales)
        XCTAssertEqual((0..<4).map { scales[$0] }, [125, 123, 123, 125])
        XCTAssertEqual(Array(mlp1.matrix(0).decodedArray()[0..<4]), [0.75, 1.0, 1.0, -1.5])
        let mlp2 = try archive.mxfp4Weight(
            blocks: "block.0.mlp.mlp2_weight.blocks", scales: "block.0.mlp.mlp2_weight.scales")
        XCTAssertEqual(mlp2.shape, [8, 96, 64])
        let scales2 = try XCTUnwrap(mlp2.scales)
        XCTAssertEqual((0..<4).map { scales2[$0] }, [123, 121, 122, 123])
        XCTAssertEqual(archive.tensorNames.count, 3 + 4 * 15)
    }

    /// The HF copy splits qkv into q/k/v holding exactly the fused tensor's rows, and keeps everything else.
    func testHuggingFaceLayoutHoldsTheSameValues() throws {
        let original = try SafetensorsArchive(directory: TinyModelFixture.directory(.original))
        let hf = try SafetensorsArchive(directory: TinyModelFixture.directory(.huggingFace))
        XCTAssertEqual(hf.tensorNames.count, 3 + 4 * 19)
        XCTAssertEqual(hf.files.count, 2)
        let qkv = try original.weight("block.2.attn.qkv.weight").decodedArray()
        let parts = try ["q_proj", "k_proj", "v_proj"].flatMap {
            try hf.weight("model.layers.2.self_attn.\($0).weight").decodedArray()
        }
        XCTAssertEqual(parts, qkv)
        let bias = try original.floatTensor("block.2.attn.qkv.bias").toArray()
        let biasParts = try ["q_proj", "k_proj", "v_proj"].flatMap {
            try hf.floatTensor("model.layers.2.self_attn.\($0).bias").toArray()
        }
        XCTAssertEqual(biasParts, bias)
        XCTAssertEqual(
            try original.weight("unembedding.weight").decodedArray(), try hf.weight("lm_head.weight").decodedArray())
        let a = try original.mxfp4Weight(
            blocks: "block.3.mlp.mlp2_weight.blocks", scales: "block.3.mlp.mlp2_weight.scales")
        let b = try hf.mxfp4Weight(
            blocks: "model.layers.3.mlp.experts.down_proj_blocks",
            scales: "model.layers.3.mlp.experts.down_proj_scales")
        XCTAssertEqual(a.decodedArray(), b.decodedArray())
    }

    /// Configs written by the generator decode back to the preset's config, in both key sets.
    func testWrittenConfigsRoundTrip() throws {
        for layout in CheckpointLayout.allCases {
            let decoded = try ModelConfig.load(directory: TinyModelFixture.directory(layout))
            XCTAssertEqual(decoded, try SyntheticPreset.tiny.config, "\(layout)")
        }
    }

    /// The 20b preset has exactly the real checkpoint's tensor bytes (gpt-oss.md §1: 13,761,264,768 B).
    func testTwentyBPresetHasTheRealSize() throws {
        XCTAssertEqual(try SyntheticModel.tensorBytes(.twentyB), 13_761_264_768)
        let tensors = SyntheticModel.tensors(
            config: try SyntheticPreset.twentyB.config, seedBase: 0, layout: .huggingFace)
        XCTAssertEqual(tensors.count, 459)
    }
}
