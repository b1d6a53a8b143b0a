import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4).
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

    public init() {
        let seconds: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map {
            .nanoseconds(Int64($0 * 1e9))
        }
        promptTokens = registry.makeCounter(name: "oss_prompt_tokens_total", help: "Prompt tokens prefilled")
        generatedTokens = registry.makeCounter(name: "oss_generated_tokens_total", help: "Tokens generated")
        timeToFirstToken = registry.makeDurationHistogram(
            name: "oss_time_to_first_token_seconds", buckets: seconds, help: "Submission to first token")
        interTokenLatency = registry.makeDurationHistogram(
            name: "oss_inter_token_latency_seconds", buckets: seconds, help: "Time between tokens of a stream")
        queueDepth = registry.makeGauge(name: "oss_queue_depth", help: "Requests waiting for a slot")
        activeSlots = registry.makeGauge(name: "oss_active_slots", help: "Slots running a request")
        kvCacheUsage = registry.makeGauge(name: "oss_kv_cache_usage_ratio",
                                          help: "KV cache positions in use / capacity")
    }

    /// Counts a finished HTTP request by route and status.
    func countRequest(route: String, status: Int) {
        registry.makeCounter(name: "oss_requests_total", labels: [("route", route), ("status", String(status))],
                             help: "HTTP requests by route and status").increment()
    }

    /// The text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}
