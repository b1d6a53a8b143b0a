import Foundation

/// `results.jsonl` (line 1: `{"record":"run", …header}`, then one `{"record":"result", …}` per cell, raw samples
/// included) and the single-document `json` format (`{"header": …, "results": […]}`).
public enum JSONReporter {
    /// Tags each JSONL line so a reader can tell the header from results.
    struct Tagged<Body: Codable>: Codable {
        var record: String
        var body: Body
        init(record: String, body: Body) {
            self.record = record
            self.body = body
        }
        enum Key: String, CodingKey { case record }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(record, forKey: .record)
            try body.encode(to: encoder)
        }
        init(from decoder: Decoder) throws {
            record = try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .record)
            body = try Body(from: decoder)
        }
    }

    private static func encoder(pretty: Bool) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    private static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    public static func renderLines(_ run: BenchRun) throws -> String {
        let e = encoder(pretty: false)
        var lines = [String(decoding: try e.encode(Tagged(record: "run", body: run.header)), as: UTF8.self)]
        for r in run.results {
            lines.append(String(decoding: try e.encode(Tagged(record: "result", body: r)), as: UTF8.self))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func renderDocument(_ run: BenchRun) throws -> String {
        String(decoding: try encoder(pretty: true).encode(run), as: UTF8.self) + "\n"
    }

    /// Reads a run from JSONL or JSON text (`file` names it in errors).
    public static func parse(_ text: String, file: String) throws -> BenchRun {
        let d = decoder
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.hasPrefix("{\"") || !trimmed.contains("\n") {
            // A single JSON document (pretty-printed, or one line): the `json` format.
            if let run = try? d.decode(BenchRun.self, from: Data(trimmed.utf8)) { return run }
        }
        var header: RunHeader?
        var results: [BenchResult] = []
        for (i, line) in trimmed.split(separator: "\n").enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let data = Data(line.utf8)
            do {
                struct Kind: Decodable { var record: String }
                switch try d.decode(Kind.self, from: data).record {
                case "run": header = try d.decode(Tagged<RunHeader>.self, from: data).body
                case "result": results.append(try d.decode(Tagged<BenchResult>.self, from: data).body)
                case let other:
                    throw BenchError.invalidResults(file: file, reason: "line \(i + 1): unknown record '\(other)'")
                }
            } catch let e as BenchError {
                throw e
            } catch {
                throw BenchError.invalidResults(file: file, reason: "line \(i + 1): \(error)")
            }
        }
        guard let header else {
            throw BenchError.invalidResults(file: file, reason: "no {\"record\":\"run\"} header line")
        }
        return BenchRun(header: header, results: results)
    }

    /// Loads a run from a file (`.jsonl` / `.json`) or a run directory (its `results.jsonl`).
    public static func load(path: String) throws -> BenchRun {
        var isDir: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            file = (path as NSString).appendingPathComponent("results.jsonl")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BenchError.invalidResults(file: file, reason: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }
}
