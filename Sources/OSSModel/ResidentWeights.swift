import Foundation
import OSSFormats

/// A model whose weights come from files it can bring into memory and report on (benchmarks time the load, the
/// cold first token and the prefault apart; see `WeightResidency`).
public protocol ResidentWeights: AnyObject {
    /// The files the weights are read from (empty for weights built in memory).
    var weightFiles: [URL] { get }
    /// Brings every page of the weight files into memory now (nothing to do for copies).
    func prefaultWeights()
    /// Share of the weight files' bytes resident in memory now, 0…1.
    var residentWeightFraction: Double { get }
    /// Share of the weight files' bytes mapped through 2 MiB pages now, 0…1; nil where the kernel does not say.
    var hugePageWeightFraction: Double? { get }
}

extension SafetensorsArchive: ResidentWeights {
    public var weightFiles: [URL] { files.map(\.url) }
    public func prefaultWeights() { prefault() }
    public var residentWeightFraction: Double { residentFraction }
    public var hugePageWeightFraction: Double? { hugePageFraction }
}

extension GGUFArchive: ResidentWeights {
    public var weightFiles: [URL] { files.map(\.url) }
    public func prefaultWeights() { prefault() }
    public var residentWeightFraction: Double { residentFraction }
    public var hugePageWeightFraction: Double? { hugePageFraction }
}
