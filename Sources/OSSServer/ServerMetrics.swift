import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4), all named `oss_…`.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Prompt tokens run through the model (reused cache prefixes not counted).
    let promptTokens: Counter
    let generatedTokens: Counter
    /// From submission to the first generated token.
    let timeToFirstToken: DurationHistogram
    /// Between consecutive tokens of one stream.
    let interTokenLatency: DurationHistogram
    let queueDepth: Gauge
    let activeSlots: Gauge
    /// Positions held in all slots' KV caches over their capacity, 0…1.
    let kvCacheUsage: Gauge
    /// Rows (tokens of all slots) per batched forward step.
    let stepRows: ValueHistogram

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "oss", metricName: metric, unitName: unit, helpText: help)
    }

    public init() {
        let seconds: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map {
            .nanoseconds(Int64($0 * 1e9))
        }
        promptTokens = registry.makeCounter(descriptor: Self.name("prompt_tokens", "total", "Prompt tokens prefilled"))
        generatedTokens = registry.makeCounter(descriptor: Self.name("generated_tokens", "total", "Tokens generated"))
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.name("time_to_first_token", "seconds", "Submission to first token"), buckets: seconds)
        interTokenLatency = registry.makeDurationHistogram(
            descriptor: Self.name("inter_token_latency", "seconds", "Time between tokens of a stream"),
            buckets: seconds)
        queueDepth = registry.makeGauge(descriptor: Self.name("queue", "depth", "Requests waiting for a slot"))
        activeSlots = registry.makeGauge(descriptor: Self.name("active", "slots", "Slots running a request"))
        stepRows = registry.makeValueHistogram(
            descriptor: Self.name("step", "rows", "Tokens of all slots per batched forward step"),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
        kvCacheUsage = registry.makeGauge(
            descriptor: Self.name("kv_cache_usage", "ratio", "KV cache positions in use / capacity"))
    }

    /// Counts a finished HTTP request by route and status.
    func countRequest(route: String, status: Int) {
        registry.makeCounter(
            descriptor: Self.name("requests", "total", "HTTP requests by route and status"),
            labels: [("route", route), ("status", String(status))]
        ).increment()
    }

    /// The text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}
