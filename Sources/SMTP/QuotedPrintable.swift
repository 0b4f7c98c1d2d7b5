/// Quoted-printable body encoding (RFC 2045 §6.7), so a body of any text travels as 7-bit lines
/// of at most 76 characters whatever the server offers (no 8BITMIME needed).
enum QuotedPrintable {
    static let lineLimit = 76

    /// Line breaks in any convention (CRLF, LF, CR) become CRLF hard breaks; everything else is
    /// encoded byte by byte, with soft breaks (`=` at the end of a line) to keep lines short.
    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        for (index, line) in lines(of: text).enumerated() {
            if index > 0 { out += [0x0D, 0x0A] }
            encode(line: line, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text's lines, split at CRLF, LF or CR.
    static func lines(of text: String) -> [[UInt8]] {
        var lines: [[UInt8]] = [[]]
        var previousCR = false
        for byte in text.utf8 {
            if byte == 0x0A, previousCR {
                previousCR = false
                continue
            }
            previousCR = byte == 0x0D
            if byte == 0x0D || byte == 0x0A { lines.append([]) } else { lines[lines.count - 1].append(byte) }
        }
        return lines
    }

    private static func encode(line: [UInt8], into out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        var column = 0
        for (index, byte) in line.enumerated() {
            let isLast = index == line.count - 1
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
            let piece: [UInt8] = literal ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            // Room for the piece plus a soft break's `=`, except on the line's last piece.
            let room = isLast ? lineLimit : lineLimit - 1
            if column + piece.count > room {
                out += [UInt8(ascii: "="), 0x0D, 0x0A]
                column = 0
            }
            out += piece
            column += piece.count
        }
    }
}
