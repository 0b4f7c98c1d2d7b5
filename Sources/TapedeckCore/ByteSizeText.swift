import Foundation

/// Sizes for people, in decimal units: `512 B`, `1.5 MB`. The dashboard and the command line
/// show the same sizes, so they share this one formatter.
package enum ByteSizeText {
    package static func readable(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
