import Foundation
import Hummingbird
import OSSCore

extension OSSServer {
    /// `/health`, `/metrics`, `/v1/models` and the three generation endpoints, behind the API-key check.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key, metrics: metrics)) }
        router.get("/health") { _, _ in
            let load = self.engine.load
            return Self.json(
                .make([
                    "status": .string("ok"), "slots": .integer(self.engine.model.slotCount),
                    "active": .integer(load.active), "queued": .integer(load.queued),
                ]))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.metrics.exposition())))
        }
        router.get("/v1/models") { _, _ in
            await self.respond(route: "/v1/models") {
                Self.json(.make(["object": .string("list"), "data": .array([self.modelObject])]))
            }
        }
        router.get("/v1/models/:id") { _, context in
            await self.respond(route: "/v1/models") {
                guard context.parameters.get("id") == self.configuration.modelID else {
                    throw APIError(
                        status: 404, message: "no model '\(context.parameters.get("id") ?? "")'",
                        type: "invalid_request_error", param: "model", code: "model_not_found")
                }
                return Self.json(self.modelObject)
            }
        }
        router.post("/v1/chat/completions") { request, _ in
            await self.respond(route: "/v1/chat/completions") {
                try await self.chatCompletions(try await self.body(request))
            }
        }
        router.post("/v1/completions") { request, _ in
            await self.respond(route: "/v1/completions") { try await self.completions(try await self.body(request)) }
        }
        router.post("/v1/responses") { request, _ in
            await self.respond(route: "/v1/responses") { try await self.responses(try await self.body(request)) }
        }
        return router
    }

    var modelObject: JSONValue {
        .make([
            "id": .string(configuration.modelID), "object": .string("model"), "created": .integer(created),
            "owned_by": .string("swiftoss"), "context_length": .integer(engine.model.contextLength),
        ])
    }

    /// Runs a handler; an `APIError` becomes its JSON error response. Counts the request by status.
    func respond(route: String, _ handler: () async throws -> Response) async -> Response {
        let response: Response
        do {
            response = try await handler()
        } catch let error as APIError {
            response = Self.error(error)
        } catch {
            response = Self.error(APIError(status: 500, message: "\(error)", type: "server_error"))
        }
        metrics.countRequest(route: route, status: response.status.code)
        return response
    }

    /// The request body, at most `maxBodyBytes` (413 beyond, before reading it all when Content-Length says so).
    func body(_ request: Request) async throws -> [UInt8] {
        let limit = configuration.maxBodyBytes
        let tooLarge = APIError(
            status: 413, message: "the request body exceeds \(limit) bytes",
            type: "invalid_request_error", code: "request_too_large")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge }
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func error(_ error: APIError) -> Response {
        json(error.body, status: HTTPResponse.Status(code: error.status))
    }

    /// A server-sent events response: `produce` writes `data:` lines through the given function; `data: [DONE]`
    /// follows. A write that fails (the client went away) ends `produce` with its error, which cancels the job.
    static func eventStream(
        _ produce: @escaping @Sendable (_ send: (JSONValue) async throws -> Void) async throws -> Void
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    try await produce { value in
                        try await writer.write(ByteBuffer(string: "data: \(value.serialized)\n\n"))
                    }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                } catch let error as APIError {
                    try await writer.write(ByteBuffer(string: "data: \(error.body.serialized)\n\n"))
                }
                try await writer.finish(nil)
            })
    }
}

/// Requires `Authorization: Bearer KEY` on `/v1/*` (401 otherwise); `/health` and `/metrics` stay open.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String
    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(key)" else {
            metrics.countRequest(route: request.uri.path, status: 401)
            return OSSServer.error(
                APIError(
                    status: 401, message: "a missing or wrong API key (Authorization: Bearer …)",
                    type: "invalid_request_error", code: "invalid_api_key"))
        }
        return try await next(request, context)
    }
}
