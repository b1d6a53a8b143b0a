import Foundation

/// A tiny SVG writer: shapes and text in user units, XML-escaped, rendered as one standalone document.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        elements.append(
            "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(width, 0)))\" height=\"\(f(max(height, 0)))\" "
                + "fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "")/>")
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil
    ) {
        elements.append(
            "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" "
                + "stroke-width=\"\(f(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil) {
        guard points.count >= 2 else { return }
        let p = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        elements.append(
            "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\""
                + "\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil, title: String? = nil) {
        let open =
            "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"\(f(r))\" fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "")"
        if let title {
            elements.append(open + "><title>\(Self.escape(title))</title></circle>")
        } else {
            elements.append(open + "/>")
        }
    }

    mutating func text(
        _ s: String, x: Double, y: Double, size: Double = 11, anchor: String = "start",
        weight: String = "normal", fill: String = "#222", rotate: Double? = nil
    ) {
        let transform = rotate.map { " transform=\"rotate(\(f($0)) \(f(x)) \(f(y)))\"" } ?? ""
        elements.append(
            "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\" "
                + "font-weight=\"\(weight)\" fill=\"\(fill)\"\(transform)>\(Self.escape(s))</text>")
    }

    func render() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    private func f(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "0" }
}

/// Maps data values to pixels on one axis, linear or base-10 logarithmic, with "nice" tick values.
struct ChartAxis {
    let lo: Double, hi: Double
    let pixelLo: Double, pixelHi: Double
    let log: Bool

    init(lo: Double, hi: Double, pixelLo: Double, pixelHi: Double, log: Bool) {
        var a = lo
        var b = hi
        if log {
            a = pow(10, floor(log10(max(a, 1e-12))))
            b = pow(10, ceil(log10(max(b, a * 10))))
            if b <= a { b = a * 10 }
        } else {
            if !(b > a) { b = a + 1 }
        }
        self.lo = a
        self.hi = b
        self.pixelLo = pixelLo
        self.pixelHi = pixelHi
        self.log = log
    }

    func pixel(_ v: Double) -> Double {
        let t = log ? (log10(max(v, lo)) - log10(lo)) / (log10(hi) - log10(lo)) : (v - lo) / (hi - lo)
        return pixelLo + t * (pixelHi - pixelLo)
    }

    /// Decades for a log axis, about five round steps for a linear one.
    var ticks: [Double] {
        if log {
            var t: [Double] = []
            var v = lo
            while v <= hi * 1.0001 {
                t.append(v)
                v *= 10
            }
            return t
        }
        let raw = (hi - lo) / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t: [Double] = []
        var v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 {
            t.append(v)
            v += step
        }
        return t
    }

    static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1000 || abs(v) < 0.01 {
            let e = Int(floor(log10(abs(v))))
            let m = v / pow(10, Double(e))
            return abs(m - 1) < 1e-9 ? "1e\(e)" : String(format: "%.1fe%d", m, e)
        }
        return v == v.rounded() ? String(Int(v)) : String(format: "%g", v)
    }
}
