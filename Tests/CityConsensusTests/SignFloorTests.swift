import CityConsensus
import CityEncoding
import CityLedger
import Testing

/// The sign floor (issue 18 item 5): a validator that rejoins without its sign record (a wiped
/// disk, state sync) signs nothing at heights an earlier life may have signed, and votes again above.
@Suite struct SignFloorTests {
    @Test func atOrBelowTheFloorNothingIsSignedAboveItVotesAsUsual() {
        var h = Harness()
        h.core.signFloor = 1
        h.start(1)
        let v = Fixture.value(1)
        #expect(h.propose(v, r: 0).votes.isEmpty, "no prevote at the floor")
        let quorum = h.votes(.prevote, r: 0, v.id, from: h.others)
        #expect(quorum.votes.isEmpty && quorum.records.isEmpty, "no precommit, and nothing staged to sign")
        let decided = h.votes(.precommit, r: 0, v.id, from: h.others)
        #expect(decided.decisions.first?.value == v, "it still follows the chain: the others' votes decide")

        var above = Harness(height: 2)
        above.core.signFloor = 1
        above.start(2)
        let w = Fixture.value(2)
        #expect(above.propose(w, h: 2, r: 0).votes.map(\.blockHash) == [w.id], "above the floor it prevotes")
    }

    @Test func aProposerAtTheFloorDoesNotPropose() {
        var probe = Harness()
        var h = Harness(me: probe.proposer(1, 0))
        h.core.signFloor = 1
        h.start()
        let sent = h.send(.valueToPropose(height: 1, round: 0, value: Fixture.value(1)))
        #expect(sent.proposals.isEmpty && sent.records.isEmpty)
        probe.start()
    }
}
