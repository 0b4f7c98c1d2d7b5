import Foundation
import TapedeckCore
import TapedeckStore

/// The dashboard's organization: a global key picks one (or sees all) with `?organization=`;
/// an organization's key is always in its own. With one chosen, the page shows its usage of the
/// last 14 days as a small bar chart (plain HTML, no script).
struct DashboardOrganizations {
    var all: [Organization]
    var selected: Organization?
    /// Whether the signed-in key may choose (a global key).
    var isPicker: Bool

    static let chartDays = 14

    static func load(principal: Principal, selected slug: String?, catalog: Catalog) async throws -> DashboardOrganizations {
        switch principal.adminScope {
        case .organization(let id)?:
            let own = try await catalog.pool.organizations.find(id: id)
            return DashboardOrganizations(all: own.map { [$0] } ?? [], selected: own, isPicker: false)
        default:
            let all = try await catalog.pool.organizations.list()
            return DashboardOrganizations(all: all, selected: all.first { $0.slug == slug }, isPicker: true)
        }
    }

    /// The template's values: the picker's options, and the chart of the chosen organization.
    func values(catalog: Catalog) async throws -> [String: Any] {
        var values: [String: Any] = [
            "organizationPicker": isPicker && !all.isEmpty,
            "organizations": all.map { ["slug": $0.slug, "name": $0.name, "selected": $0.id == selected?.id] },
        ]
        guard let selected else { return values }
        values["organizationName"] = selected.name
        let today = OrganizationUsage.dayStart(OrganizationUsage.dayText(catalog.clock.now()))!
        let from = today.addingTimeInterval(-Double(Self.chartDays - 1) * 86_400)
        let facts = try await catalog.pool.organizations.usageFacts(organizationID: selected.id, from: from, to: today.addingTimeInterval(86_400))
        let days = OrganizationUsage.aggregate(recordings: facts.recordings, views: facts.views, from: from, days: Self.chartDays)
        let most = max(days.map(\.recordedMs).max() ?? 0, 1)
        values["usage"] = days.map { day -> [String: Any] in
            [
                "date": String(day.date.suffix(5)),
                // Whole percentages as the bar's height: the one style value, from numbers only.
                "height": Int((Double(day.recordedMs) / Double(most) * 100).rounded()),
                "hours": String(format: "%.1f", day.hoursRecorded), "views": day.views,
                "stored": ByteSizeText.readable(day.bytesStored), "failed": day.failedRecordings,
            ]
        }
        return values
    }
}
