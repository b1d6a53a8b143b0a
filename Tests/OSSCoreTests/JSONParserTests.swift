import XCTest

@testable import OSSCore

final class JSONParserTests: XCTestCase {
    private func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    func testValuesAndDuplicateKeysKept() throws {
        guard
            case .object(let members) = try parse(
                #" {"a": [1, -2, 3.5, 1e2, true, false, null], "a": "x\n\u00e9\ud83d\ude00"} "#)
        else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["a", "a"])
        guard case .array(let items) = members[0].value else { return XCTFail("not an array") }
        XCTAssertEqual(items.map(\.typeName), ["number", "number", "number", "number", "boolean", "boolean", "null"])
        if case .integer(let v) = items[1] { XCTAssertEqual(v, -2) } else { XCTFail("-2 not an integer") }
        if case .number(let v) = items[2] { XCTAssertEqual(v, 3.5) } else { XCTFail("3.5 not a number") }
        if case .number(let v) = items[3] { XCTAssertEqual(v, 100) } else { XCTFail("1e2 not a number") }
        if case .string(let s) = members[1].value { XCTAssertEqual(s, "x\né😀") } else { XCTFail("not a string") }
    }

    func testIntegerRange() throws {
        if case .integer(let v) = try parse("9223372036854775807") { XCTAssertEqual(v, Int.max) } else { XCTFail() }
        if case .integer(let v) = try parse("-9223372036854775808") { XCTAssertEqual(v, Int.min) } else { XCTFail() }
        if case .number = try parse("9223372036854775808") {
        } else {
            XCTFail("out-of-range integer must not be .integer")
        }
    }

    func testRejectsInvalidText() {
        let bad = [
            "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\u{01}\"", #""\x""#, #""\ud800""#, #""\udc00""#,
            "tru", "{} {}", "{'a':1}", "[1 2]", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ]
        for text in bad {
            XCTAssertThrowsError(try parse(text), text) { XCTAssertTrue($0 is JSONSyntaxError, text) }
        }
    }

    func testQuotedRoundTrip() throws {
        let s = "a\"b\\c\n\t\u{01}é"
        if case .string(let back) = try parse(JSONValue.quoted(s)) { XCTAssertEqual(back, s) } else { XCTFail() }
    }
}
