import Foundation
import OSSCore

/// A parsed `model.safetensors.index.json`: which shard file stores each tensor.
///
/// Accepted form: a JSON object with a `weight_map` object of tensor name → shard file name (relative to the
/// index's directory, no `..` component, not absolute); other top-level keys (`metadata`) are not interpreted.
struct SafetensorsIndex {
    /// File name of the index in a Hugging Face model directory.
    static let fileName = "model.safetensors.index.json"
    /// Largest accepted index file (the 120b index is about 70 KB).
    static let maxIndexLength = 100_000_000

    let url: URL
    /// Tensor name → shard file name, in file order.
    let weightMap: [(tensor: String, shard: String)]

    init(url: URL) throws(SafetensorsError) {
        self.url = url
        let mapping: MappedFile
        do {
            mapping = try MappedFile(url: url)
        } catch {
            throw .indexMalformed(index: url, reason: "cannot read: \(error.operation): \(error.reason)")
        }
        guard mapping.size <= Self.maxIndexLength else {
            throw .indexMalformed(
                index: url, reason: "\(mapping.size) bytes exceeds the \(Self.maxIndexLength)-byte limit")
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(mapping.bytes)
        } catch {
            throw .indexMalformed(index: url, reason: "\(error)")
        }
        guard case .object(let topMembers) = root else {
            throw .indexMalformed(index: url, reason: "top level is a JSON \(root.typeName), not an object")
        }
        var top: [String: JSONValue] = [:]
        for m in topMembers {
            guard top.updateValue(m.value, forKey: m.key) == nil else {
                throw .indexMalformed(index: url, reason: "top-level key \"\(m.key)\" appears twice")
            }
        }
        guard let map = top["weight_map"] else { throw .indexMalformed(index: url, reason: "no \"weight_map\"") }
        guard case .object(let members) = map else {
            throw .indexMalformed(index: url, reason: "\"weight_map\" is a JSON \(map.typeName), not an object")
        }
        var seen = Set<String>(minimumCapacity: members.count)
        var weightMap: [(tensor: String, shard: String)] = []
        weightMap.reserveCapacity(members.count)
        for m in members {
            guard seen.insert(m.key).inserted else {
                throw .indexMalformed(index: url, reason: "tensor \"\(m.key)\" appears twice in weight_map")
            }
            guard case .string(let shard) = m.value else {
                throw .indexMalformed(
                    index: url,
                    reason: "tensor \"\(m.key)\" maps to a JSON \(m.value.typeName), not a file name")
            }
            guard Self.isSafeRelativePath(shard) else {
                throw .indexMalformed(
                    index: url, reason: "tensor \"\(m.key)\" maps to \"\(shard)\", not a file name inside the directory"
                )
            }
            weightMap.append((m.key, shard))
        }
        guard !weightMap.isEmpty else { throw .indexMalformed(index: url, reason: "\"weight_map\" is empty") }
        self.weightMap = weightMap
    }

    /// A non-empty relative path without `.`/`..`/empty components.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }
}
