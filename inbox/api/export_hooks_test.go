package api

// HoldExport takes agentID's place on a's export gate as a running export
// does, for the tests of the gate; ok is false when the gate refuses.
// release gives the place back.
func HoldExport(a *API, agentID string) (release func(), ok bool) {
	release, busy := a.exports.acquire(agentID)
	return release, busy == ""
}
