import Foundation

/// An independent reader of what the writer produces, written from RFC 5322, RFC 2045 and
/// RFC 2047 rather than from the writer's code: unfolds and splits header fields, decodes
/// encoded-words and quoted-printable, splits multipart bodies.
enum MessageReader {
    struct Field: Equatable {
        var name: String
        var value: String
    }

    struct Message {
        var fields: [Field]
        var body: String
        func value(_ name: String) -> String? { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
        var names: [String] { fields.map(\.name) }
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The raw lines must all end in CRLF (no bare CR or LF) and be 7-bit.
    static func physicalLines(_ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw Malformed(description: "8-bit byte") }
        for (i, byte) in bytes.enumerated() {
            if byte == 0x0D, i + 1 >= bytes.count || bytes[i + 1] != 0x0A { throw Malformed(description: "bare CR at \(i)") }
            if byte == 0x0A, i == 0 || bytes[i - 1] != 0x0D { throw Malformed(description: "bare LF at \(i)") }
            if byte == 0 { throw Malformed(description: "NUL at \(i)") }
        }
        var lines = text.components(separatedBy: "\r\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func parse(_ text: String) throws -> Message {
        guard let split = text.range(of: "\r\n\r\n") else { throw Malformed(description: "no blank line after the headers") }
        let head = try physicalLines(String(text[..<split.lowerBound]) + "\r\n")
        var logical: [String] = []
        for line in head {
            if line.first == " " || line.first == "\t" {
                guard !logical.isEmpty else { throw Malformed(description: "continuation before any field") }
                logical[logical.count - 1] += line
            } else {
                logical.append(line)
            }
        }
        let fields = try logical.map { line -> Field in
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(description: "field without a colon: \(line)") }
            let name = String(line[..<colon])
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ (33...126).contains($0.value) && $0 != ":" }) else {
                throw Malformed(description: "bad field name \(name.debugDescription)")
            }
            var value = line[line.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
            return Field(name: name, value: String(value))
        }
        return Message(fields: fields, body: String(text[split.upperBound...]))
    }

    /// Decodes an unstructured value: encoded-words decoded, whitespace between two adjacent
    /// encoded-words dropped (RFC 2047 §6.2), other text as it is.
    static func decodeWords(_ value: String) throws -> String {
        let tokens = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var out = ""
        var previousEncoded = false
        var pendingSpace = ""
        for (index, token) in tokens.enumerated() {
            if let decoded = try decodeEncodedWord(token) {
                if !previousEncoded { out += pendingSpace }
                out += decoded
                previousEncoded = true
            } else {
                out += pendingSpace + token
                previousEncoded = false
            }
            pendingSpace = index < tokens.count - 1 ? " " : ""
        }
        return out
    }

    static func decodeEncodedWord(_ token: String) throws -> String? {
        guard token.hasPrefix("=?"), token.hasSuffix("?="), token.count >= 8 else { return nil }
        let parts = token.dropFirst(2).dropLast(2).split(separator: "?", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        guard token.count <= 75 else { throw Malformed(description: "encoded-word over 75 characters") }
        guard parts[0].uppercased() == "UTF-8" else { throw Malformed(description: "charset \(parts[0])") }
        let bytes: [UInt8]
        switch parts[1].uppercased() {
        case "B":
            guard let data = Data(base64Encoded: String(parts[2])) else { throw Malformed(description: "bad base64 \(token)") }
            bytes = Array(data)
        case "Q":
            bytes = try decodeQP(Array(parts[2].replacingOccurrences(of: "_", with: " ").utf8), soft: false)
        default:
            throw Malformed(description: "encoding \(parts[1])")
        }
        // String(validating:) keeps a leading U+FEFF, which Foundation's decoding would drop.
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Malformed(description: "encoded-word not UTF-8") }
        return text
    }

    /// `Name <address>`, `"Quoted" <address>`, `=?...?= <address>` or a bare address.
    static func mailbox(_ value: String) throws -> (name: String?, address: String) {
        guard value.hasSuffix(">"), let open = value.lastIndex(of: "<") else { return (nil, value) }
        let address = String(value[value.index(after: open)..<value.index(before: value.endIndex)])
        let phrase = value[..<open].trimmingCharacters(in: .whitespaces)
        if phrase.isEmpty { return (nil, address) }
        if phrase.hasPrefix("\"") {
            guard phrase.hasSuffix("\""), phrase.count >= 2 else { throw Malformed(description: "unterminated quoted-string") }
            var name = ""
            var escaped = false
            for character in phrase.dropFirst().dropLast() {
                if escaped {
                    name.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    guard character != "\"" else { throw Malformed(description: "unescaped quote in \(phrase)") }
                    name.append(character)
                }
            }
            guard !escaped else { throw Malformed(description: "trailing backslash") }
            return (name, address)
        }
        return (try decodeWords(phrase), address)
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX`, soft breaks `=CRLF`; hard breaks stay CRLF.
    static func decodeQP(_ bytes: [UInt8], soft: Bool = true) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "=") {
                if soft, i + 2 < bytes.count, bytes[i + 1] == 0x0D, bytes[i + 2] == 0x0A {
                    i += 3
                    continue
                }
                guard i + 2 < bytes.count, let high = hex(bytes[i + 1]), let low = hex(bytes[i + 2]) else {
                    throw Malformed(description: "bad = escape at \(i)")
                }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    /// The parts of a multipart body between `--boundary` lines.
    static func parts(of body: String, boundary: String) throws -> [Message] {
        let delimiter = "--" + boundary
        var lines = try physicalLines(body)
        guard lines.last == delimiter + "--" else { throw Malformed(description: "no closing delimiter") }
        lines.removeLast()
        var parts: [[String]] = []
        for line in lines {
            if line == delimiter { parts.append([]) } else {
                guard !parts.isEmpty else { throw Malformed(description: "text before the first part") }
                parts[parts.count - 1].append(line)
            }
        }
        return try parts.map { try parse($0.joined(separator: "\r\n")) }
    }
}
