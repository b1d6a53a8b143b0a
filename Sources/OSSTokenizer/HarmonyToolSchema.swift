import OSSCore

/// JSON Schema (OpenAI function `parameters`) → harmony's TypeScript-like type, as openai-harmony writes it into
/// the developer message's `namespace functions { type NAME = (_: TYPE) => any; }`.
///
/// Objects become `{\n` + one `name?: type,` line per property (`?` unless listed in `required`; nested objects
/// indented four more spaces) + `}`; titles, descriptions, examples and defaults become `//` comments; string
/// `enum`s become unions of literals; `integer` is `number`; arrays are `T[]` (`Array<any>` without `items`);
/// `oneOf` becomes a ` | ` union, one variant per line; `nullable` appends `| null`; anything else is `any`.
public enum HarmonyToolSchema {
    /// The TypeScript text of `schema`, lines indented by `indent`.
    public static func typeScript(_ schema: JSONValue, indent: String = "") -> String {
        if let variants = schema["oneOf"]?.arrayValue {
            var out = ""
            for variant in variants {
                out += "\n\(indent) | "
                out += nullable(variant, typeScript(variant, indent: indent + "   "))
                let comments = trailingComments(variant, skipDescription: false, propertyDescription: nil)
                if !comments.isEmpty { out += " // " + comments.joined(separator: " ") }
            }
            return out
        }
        if let types = schema["type"]?.arrayValue {
            let names = types.compactMap { $0.stringValue.map { $0 == "integer" ? "number" : $0 } }
            if !names.isEmpty { return names.joined(separator: " | ") }
        }
        guard let type = schema["type"]?.stringValue else { return "any" }
        switch type {
        case "object": return object(schema, indent: indent)
        case "string":
            let literals = schema["enum"]?.arrayValue?.compactMap { $0.stringValue.map { "\"\($0)\"" } } ?? []
            return literals.isEmpty ? "string" : literals.joined(separator: " | ")
        case "number", "integer": return "number"
        case "boolean": return "boolean"
        case "array":
            guard let items = schema["items"] else { return "Array<any>" }
            return "\(typeScript(items, indent: indent))[]"
        default: return "any"
        }
    }

    private static func object(_ schema: JSONValue, indent: String) -> String {
        var out = ""
        if let description = schema["description"]?.stringValue { out += "\(indent)// \(description)\n" }
        out += "{\n"
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for member in schema["properties"]?.objectValue ?? [] {
            let key = member.key
            let value = member.value
            let optional = required.contains(key) ? "" : "?"
            if let title = value["title"]?.stringValue { out += "\(indent)// \(title)\n\(indent)//\n" }
            if value["oneOf"] == nil, let description = value["description"]?.stringValue {
                out += "\(indent)// \(description)\n"
            }
            if let examples = value["examples"]?.arrayValue, !examples.isEmpty {
                out += "\(indent)// Examples:\n"
                for example in examples { if let s = example.stringValue { out += "\(indent)// - \"\(s)\"\n" } }
            }
            if let variants = value["oneOf"]?.arrayValue {
                let propertyDescription = value["description"]?.stringValue
                let skip =
                    propertyDescription != nil
                    && variants.first?["description"]?.stringValue == propertyDescription
                var describedAbove = false
                if !skip, let d = propertyDescription {
                    out += "\(indent)// \(d)\n"
                    describedAbove = true
                }
                if let d = value["default"] { out += "\(indent)// default: \(defaultText(d, of: value))\n" }
                out += "\(indent)\(key)\(optional):\n"
                for (i, variant) in variants.enumerated() {
                    out += "\(indent) | "
                    out += nullable(variant, typeScript(variant, indent: indent + "   "))
                    let comments = trailingComments(
                        variant, skipDescription: i == 0 && describedAbove,
                        propertyDescription: propertyDescription)
                    if !comments.isEmpty { out += " // " + comments.joined(separator: " ") }
                    out += "\n"
                }
                out += "\(indent),\n"
                continue
            }
            out += "\(indent)\(key)\(optional): "
            out += nullable(value, typeScript(value, indent: indent + "    "))
            out += ","
            if let d = value["default"] { out += " // default: \(defaultText(d, of: value))" }
            out += "\n"
        }
        out += "\(indent)}"
        return out
    }

    /// `text | null` when the schema says `nullable: true` and the text has no null yet.
    private static func nullable(_ schema: JSONValue, _ text: String) -> String {
        schema["nullable"] == .bool(true) && !text.contains("null") ? "\(text) | null" : text
    }

    private static func isEnum(_ schema: JSONValue) -> Bool { !(schema["enum"]?.arrayValue?.isEmpty ?? true) }

    /// A default value as harmony prints it: a string in quotes (bare when the schema is an enum), anything else as
    /// compact JSON.
    private static func defaultText(_ value: JSONValue, of schema: JSONValue) -> String {
        if let s = value.stringValue {
            return isEnum(schema) ? s : "\"\(s)\""
        }
        return value.serialized
    }

    private static func trailingComments(
        _ variant: JSONValue, skipDescription: Bool,
        propertyDescription: String?
    ) -> [String] {
        var comments: [String] = []
        if !skipDescription, let d = variant["description"]?.stringValue, d != propertyDescription {
            comments.append(d)
        }
        if let d = variant["default"] { comments.append("default: \(defaultText(d, of: variant))") }
        return comments
    }
}

extension HarmonyFunctionTool {
    /// A function tool whose parameters are given as JSON Schema (nil or absent = no parameters).
    public init(name: String, description: String, parametersSchema: JSONValue?) {
        let parameters = parametersSchema.flatMap { $0.isNull ? nil : HarmonyToolSchema.typeScript($0) }
        self.init(name: name, description: description, parameters: parameters)
    }
}
