import Foundation
import Testing
import TapedeckCore

/// Every (start rule, stop rule, trigger, presence, recording state, duration) combination,
/// each checked against the rule the policy documents.
@Suite("Recording policy decisions")
struct PolicyEngineTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let triggers: [PolicyTrigger] = [
        .roomStarted, .participantJoined(isHost: false), .participantJoined(isHost: true),
        .participantLeft(wasHost: false), .participantLeft(wasHost: true), .roomFinished, .tick,
    ]

    struct Case: CustomStringConvertible {
        var start: RecordingPolicy.StartRule
        var stop: RecordingPolicy.StopRule
        var trigger: PolicyTrigger
        var people: Int
        var hosts: Int
        var active: Bool
        /// nil: no limit; otherwise how far past (positive) or short of (negative) the limit.
        var overLimitBy: Double?
        var description: String {
            "\(start)/\(stop) \(trigger) people=\(people) hosts=\(hosts) active=\(active) over=\(overLimitBy.map { "\($0)" } ?? "-")"
        }
    }

    static var allCases: [Case] {
        var cases: [Case] = []
        for start in RecordingPolicy.StartRule.allCases {
            for stop in RecordingPolicy.StopRule.allCases {
                for trigger in triggers {
                    for people in 0...3 {
                        for hosts in 0...people {
                            for active in [false, true] {
                                for over in [nil, -1, 0, 5] as [Double?] {
                                    cases.append(Case(start: start, stop: stop, trigger: trigger, people: people,
                                                      hosts: hosts, active: active, overLimitBy: over))
                                }
                            }
                        }
                    }
                }
            }
        }
        return cases
    }

    /// The documented behaviour, written as a table of rules rather than mirroring the engine's code.
    static func expected(_ c: Case) -> PolicyAction? {
        let limitReached = c.active && (c.overLimitBy ?? -1) >= 0
        if limitReached { return .stopRecording(reason: "maximum duration of 600 s reached") }
        if c.active {
            if c.trigger == .roomFinished { return .stopRecording(reason: "room finished") }
            if c.stop == .roomEmpty, case .participantLeft = c.trigger, c.people == 0 {
                return .stopRecording(reason: "last participant left")
            }
            if c.stop == .hostLeft, c.trigger == .participantLeft(wasHost: true), c.hosts == 0 {
                return .stopRecording(reason: "last host left")
            }
            return nil
        }
        guard case .participantJoined = c.trigger else { return nil }
        switch c.start {
        case .always: return c.people > 0 ? .startRecording : nil
        case .whenHostJoins: return c.hosts > 0 ? .startRecording : nil
        case .manual: return nil
        }
    }

    @Test func everyCombinationFollowsThePolicy() {
        var checked = 0
        for c in Self.allCases {
            let policy = RecordingPolicy(start: c.start, stop: c.stop, maxDurationS: c.overLimitBy == nil ? nil : 600)
            let started = c.active ? Self.now.addingTimeInterval(-(600 + (c.overLimitBy ?? -300))) : nil
            let snapshot = SessionSnapshot(people: c.people, hosts: c.hosts, hasActiveRecording: c.active,
                                           activeRecordingStartedAt: started)
            let decided = PolicyEngine.decide(policy: policy, snapshot: snapshot, trigger: c.trigger, now: Self.now)
            #expect(decided == Self.expected(c), "\(c)")
            checked += 1
        }
        #expect(checked == 3 * 3 * 7 * 10 * 2 * 4)
    }

    @Test func decisionsNeverContradictTheRecordingState() {
        for c in Self.allCases {
            let policy = RecordingPolicy(start: c.start, stop: c.stop, maxDurationS: 600)
            let snapshot = SessionSnapshot(people: c.people, hosts: c.hosts, hasActiveRecording: c.active,
                                           activeRecordingStartedAt: c.active ? Self.now : nil)
            switch PolicyEngine.decide(policy: policy, snapshot: snapshot, trigger: c.trigger, now: Self.now) {
            case .startRecording?: #expect(!c.active, "\(c)")
            case .stopRecording?: #expect(c.active, "\(c)")
            case nil: break
            }
        }
    }

    @Test func hostsAreNamedOrCarryAHostRole() {
        let policy = RecordingPolicy(hosts: ["teacher-1"], hostRoles: ["host", "teacher"])
        #expect(HostRule.isHost(identity: "teacher-1", attributes: [:], metadata: nil, policy: policy))
        #expect(HostRule.isHost(identity: "x", attributes: ["role": "teacher"], metadata: nil, policy: policy))
        #expect(HostRule.isHost(identity: "x", attributes: [:], metadata: #"{"role":"host"}"#, policy: policy))
        #expect(!HostRule.isHost(identity: "x", attributes: ["role": "student"], metadata: nil, policy: policy))
        #expect(!HostRule.isHost(identity: "x", attributes: [:], metadata: "role=host", policy: policy))
        #expect(!HostRule.isHost(identity: "x", attributes: [:], metadata: #"{"role":["host"]}"#, policy: policy))
        #expect(!HostRule.isHost(identity: "teacher-2", attributes: [:], metadata: nil, policy: policy))
    }
}

@Suite("Recording policy documents")
struct RecordingPolicyTests {
    @Test func absentFieldsKeepTheDefaultsAndNullClears() throws {
        let defaults = RecordingPolicy(start: .whenHostJoins, maxDurationS: 3600, layout: "speaker")
        let policy = try RecordingPolicy.decode(Data(#"{"stop":"host_left","max_duration_s":null}"#.utf8), defaults: defaults)
        #expect(policy.start == .whenHostJoins)
        #expect(policy.stop == .hostLeft)
        #expect(policy.maxDurationS == nil)
        #expect(policy.layout == "speaker")
        #expect(policy.outputs == [.hls, .mp4])
        #expect(policy.segmentDurationS == 6)
        #expect(policy.hostRoles == ["host"])
    }

    @Test func unknownRuleNamesDoNotDecode() {
        #expect(throws: DecodingError.self) {
            try RecordingPolicy.decode(Data(#"{"start":"sometimes"}"#.utf8), defaults: RecordingPolicy())
        }
        #expect(throws: DecodingError.self) {
            try RecordingPolicy.decode(Data(#"{"outputs":["webm"]}"#.utf8), defaults: RecordingPolicy())
        }
    }

    @Test(arguments: [
        (#"{"max_duration_s":5}"#, "max_duration_s"), (#"{"layout":"mosaic"}"#, "layout"),
        (#"{"outputs":[]}"#, "outputs"), (#"{"outputs":["hls","hls"]}"#, "outputs"),
        (#"{"segment_duration_s":0}"#, "segment_duration_s"), (#"{"preset":"H265"}"#, "preset"),
        (#"{"hosts":[""]}"#, "hosts"), (#"{"host_roles":[""]}"#, "host_roles"), (#"{"retain_days":0}"#, "retain_days"),
    ])
    func invalidValuesNameTheirField(json: String, field: String) throws {
        let policy = try RecordingPolicy.decode(Data(json.utf8), defaults: RecordingPolicy())
        #expect(policy.validationError()?.field == field)
    }

    @Test func everyLayoutIsAccepted() throws {
        for layout in RecordingPolicy.layouts {
            #expect(RecordingPolicy(layout: layout).validationError() == nil)
        }
        let roundTrip = try RecordingPolicy.decode(Data(RecordingPolicy(hosts: ["a"]).encodedJSON().utf8), defaults: RecordingPolicy())
        #expect(roundTrip == RecordingPolicy(hosts: ["a"]))
    }
}
