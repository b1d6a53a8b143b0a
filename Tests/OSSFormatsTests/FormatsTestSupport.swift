import Foundation
import XCTest

@testable import OSSFormats

/// A fresh temporary directory per test case, removed in `tearDown`.
class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("OSSFormatsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// `directory/name`.
    func path(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Writes raw bytes to `directory/name`.
    @discardableResult
    func writeRaw(_ bytes: [UInt8], name: String) throws -> URL {
        let url = path(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Writes a hand-made safetensors file: u64 LE length (declared, default the real header length), header, data.
    @discardableResult
    func craftSafetensors(
        header: String, data: [UInt8] = [], declaredLength: UInt64? = nil,
        name: String = "crafted.safetensors"
    ) throws -> URL {
        let json = Array(header.utf8)
        let n = declaredLength ?? UInt64(json.count)
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }
        return try writeRaw(prefix + json + data, name: name)
    }

    /// Asserts that `body` throws a `SafetensorsError` for which `matches` is true.
    func assertSafetensorsError<T>(
        _ body: @autoclosure () throws -> T,
        _ matches: (SafetensorsError) -> Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let value = try body()
            XCTFail("expected a SafetensorsError, got \(value)", file: file, line: line)
        } catch let error as SafetensorsError {
            XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        } catch {
            XCTFail("expected a SafetensorsError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }
}

/// Little-endian bytes of Float32 values.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
}

/// Builds GGUF bytes field by field, for hand-made (often deliberately broken) files.
struct GGUFBytes {
    var bytes: [UInt8] = []

    /// Magic, version, tensor count, key-value count.
    init(magic: [UInt8] = Array("GGUF".utf8), version: UInt32 = 3, tensors: UInt64, kvs: UInt64) {
        bytes = magic
        u32(version)
        u64(tensors)
        u64(kvs)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) { rawString(Array(s.utf8)) }
    mutating func rawString(_ b: [UInt8]) {
        u64(UInt64(b.count))
        bytes += b
    }
    /// A key-value pair with a u32 value.
    mutating func kvU32(_ key: String, _ v: UInt32) {
        string(key)
        u32(4)
        u32(v)
    }
    /// A tensor info.
    mutating func tensor(_ name: String, ne: [Int64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(ne.count))
        for d in ne { i64(d) }
        u32(type)
        u64(offset)
    }
    /// Zero bytes up to a multiple of `alignment`.
    mutating func pad(to alignment: Int) {
        bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
    }
}

extension TemporaryDirectoryTestCase {
    /// Asserts that `body` throws a `GGUFError` for which `matches` is true.
    func assertGGUFError<T>(
        _ body: @autoclosure () throws -> T, _ matches: (GGUFError) -> Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let value = try body()
            XCTFail("expected a GGUFError, got \(value)", file: file, line: line)
        } catch let error as GGUFError {
            XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        } catch {
            XCTFail("expected a GGUFError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }
}
