package bot

import (
	"testing"
	"time"
)

// TestDefaultFailoverBound holds the production lease timings to the
// promise that another replica sends within 15 s of the sender's death.
// A SIGKILLed sender's lease lasts leaseTTL after its last renewal; a
// standby notices within one standbyPoll; what is left of the 15 s is for
// the new sender's first pass. The end-to-end test
// (TestReplicasShareOnePostgres) runs two processes on a shorter lease
// and checks the same sum with the same 3 s left, so the two together
// stand for the production figure without a 15 s wait in every test run.
func TestDefaultFailoverBound(t *testing.T) {
	t.Parallel()
	const promise, forTheSend = 15 * time.Second, 3 * time.Second
	e := &Engine{}
	if got := e.leaseTTL() + e.standbyPoll(); got > promise-forTheSend {
		t.Errorf("default lease %v + standby poll %v = %v: leaves less than %v of the %v promise for the first send",
			e.leaseTTL(), e.standbyPoll(), got, forTheSend, promise)
	}
	// A shorter lease (paperbot run --timing lease_ttl=…) scales the poll.
	e.LeaseTTL = 3 * time.Second
	if got := e.standbyPoll(); got != 600*time.Millisecond {
		t.Errorf("standby poll on a 3 s lease = %v, want 600ms", got)
	}
}
