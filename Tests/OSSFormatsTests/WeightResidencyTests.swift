import Foundation
import XCTest

@testable import OSSFormats

/// Every `WeightResidency` gives the same bytes; prefault and copies leave the file resident; copies stand apart
/// from the file; eviction drops an unmapped file's pages.
final class WeightResidencyTests: TemporaryDirectoryTestCase {
    /// 3 MiB + 5 bytes of a seeded pattern (more than one huge page, not a page multiple).
    func patternFile() throws -> (URL, [UInt8]) {
        var x: UInt32 = 0x1234_5678
        let bytes = (0..<(3 << 20) + 5).map { _ -> UInt8 in
            x ^= x << 13
            x ^= x >> 17
            x ^= x << 5
            return UInt8(truncatingIfNeeded: x)
        }
        return (try writeRaw(bytes, name: "pattern.bin"), bytes)
    }

    func testEveryResidencyReadsTheSameBytes() throws {
        let (url, bytes) = try patternFile()
        for residency in WeightResidency.allCases {
            let opened = Result { () throws(MappedFileError) -> MappedFile in
                try MappedFile(url: url, residency: residency)
            }
            guard case .success(let file) = opened else {
                // RLIMIT_MEMLOCK may be small on some machines: a typed error naming the limit, never a crash.
                if case .failure(let e) = opened {
                    XCTAssertEqual(residency, .mlock, "\(residency): \(e.operation) \(e.reason)")
                    XCTAssertEqual(e.operation, "mlock")
                    XCTAssertTrue(e.reason.contains("ulimit -l"), e.reason)
                }
                continue
            }
            XCTAssertEqual(file.size, bytes.count, "\(residency)")
            XCTAssertTrue(file.bytes.elementsEqual(bytes), "\(residency) reads other bytes")
            XCTAssertEqual(file.residency, residency)
            if residency != .mmap {
                XCTAssertEqual(file.residentFraction, 1, accuracy: 1e-9, "\(residency) leaves pages out")
            }
        }
    }

    func testCopiesAreAlignedForHugePagesAndIndependentOfTheFile() throws {
        let (url, bytes) = try patternFile()
        let copy = try MappedFile(url: url, residency: .anonymous)
        XCTAssertEqual(Int(bitPattern: copy.base) % MappedFile.hugePage, 0)
        // The copy no longer depends on the file: rewriting it changes nothing we read.
        try Data(repeating: 0, count: bytes.count).write(to: url)
        XCTAssertTrue(copy.bytes.elementsEqual(bytes))
        copy.prefault()  // nothing to do for a copy
        XCTAssertEqual(copy.residentFraction, 1)
    }

    func testMappingsStartAtAHugePageBoundaryAndReportTheirHugePageShare() throws {
        let (url, bytes) = try patternFile()
        for residency in WeightResidency.allCases where residency != .mlock {
            let file = try MappedFile(url: url, residency: residency)
            // file offset 0 at a 2 MiB boundary: 2 MiB page-cache folios can be mapped whole
            XCTAssertEqual(Int(bitPattern: file.base) % MappedFile.hugePage, 0, "\(residency)")
            XCTAssertTrue(file.bytes.elementsEqual(bytes), "\(residency)")
            file.prefault()
            if let share = file.hugePageFraction {  // nil only where /proc/self/smaps is missing
                XCTAssertGreaterThanOrEqual(share, 0, "\(residency)")
                XCTAssertLessThanOrEqual(share, 1, "\(residency)")
                if residency == .anonymous4K { XCTAssertEqual(share, 0, "a 4 KiB copy reports huge pages") }
            } else {
                XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/self/smaps"))
            }
        }
        // the address space reserved for the alignment is returned: mapping and dropping many files leaks nothing
        // (a leak of 2 MiB + size per file would be visible as a growing count of mappings)
        let before = (HugePages.readProcFile("/proc/self/maps") ?? "").split(separator: "\n").count
        for _ in 0..<32 { _ = try MappedFile(url: url, residency: .mmap) }
        let after = (HugePages.readProcFile("/proc/self/maps") ?? "").split(separator: "\n").count
        XCTAssertLessThan(after - before, 4)
    }

    func testEmptyFileHasNoHugePages() throws {
        let url = try writeRaw([], name: "empty.bin")
        XCTAssertEqual(try MappedFile(url: url, residency: .prefault).hugePageFraction, 0)
    }

    func testEvictionDropsPagesAndPrefaultBringsThemBack() throws {
        let (url, _) = try patternFile()
        WeightResidency.evictFromPageCache([url])
        let mapped = try MappedFile(url: url, residency: .mmap)
        let cold = mapped.residentFraction
        mapped.prefault()
        XCTAssertEqual(mapped.residentFraction, 1, accuracy: 1e-9)
        // Eviction is advice: on tmpfs nothing leaves memory, so only check it never claims more than all pages.
        XCTAssertLessThanOrEqual(cold, 1)
    }

    func testArchivesCarryTheResidency() throws {
        // A one-tensor safetensors file opened as a copy reads the same tensor as the mapped file.
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]  // 1.0, 2.0
        let url = try craftSafetensors(header: header, data: data)
        for residency in [WeightResidency.mmap, .prefault, .anonymous, .anonymous4K] {
            let archive = try SafetensorsArchive(files: [url], residency: residency)
            XCTAssertEqual(Array(try archive.rawBytes("w")), data, "\(residency)")
            archive.prefault()
            XCTAssertEqual(archive.residentFraction, 1, accuracy: 1e-9)
            XCTAssertEqual(archive.files[0].residency, residency)
        }
    }

    func testAMissingFileIsATypedErrorInEveryMode() {
        for residency in WeightResidency.allCases {
            XCTAssertThrowsError(try MappedFile(url: path("absent.bin"), residency: residency)) { error in
                XCTAssertEqual((error as? MappedFileError)?.operation, "open")
            }
        }
    }
}
