import LiveKit
import TapedeckCore

package extension WebhookEvent {
    /// The event with every free-text field LiveKit relays from its users cleaned of control
    /// characters, so that storing it cannot fail. Room names are left as they are: they address
    /// LiveKit's API, so a room whose name carries control characters is not recorded at all
    /// (see ``hasUnusableRoomName``).
    package func cleanedForCatalog() -> WebhookEvent {
        var event = self
        event.id = ProviderText.cleaned(id)
        if var participant = event.participant {
            participant.identity = ProviderText.cleaned(participant.identity)
            participant.name = participant.name.map(ProviderText.cleaned)
            participant.metadata = participant.metadata.map(ProviderText.cleaned)
            participant.attributes = Dictionary(
                participant.attributes.map { (ProviderText.cleaned($0.key), ProviderText.cleaned($0.value)) },
                uniquingKeysWith: { first, _ in first })
            event.participant = participant
        }
        if var room = event.room {
            room.sid = room.sid.map(ProviderText.cleaned)
            room.metadata = room.metadata.map(ProviderText.cleaned)
            event.room = room
        }
        if var egress = event.egress {
            egress.egressID = ProviderText.cleaned(egress.egressID)
            egress.error = egress.error.map(ProviderText.cleaned)
            egress.details = egress.details.map(ProviderText.cleaned)
            event.egress = egress
        }
        return event
    }

    /// A room name Tapedeck cannot store or address: the event is acknowledged and kept as
    /// delivered, and nothing is recorded.
    package var hasUnusableRoomName: Bool {
        [room?.name, egress?.roomName].contains { $0.map(ProviderText.hasControlCharacters) ?? false }
    }
}
