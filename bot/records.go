package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// The delivery passes decide from the records which posts need a call, and
// reading every record from the store at every pass cost ~50 ms of CPU at
// 10,000 posts. So the sender keeps a copy: read from the store once, then
// kept in step with every record the engine writes. A copy is only as good
// as the certainty that nobody else wrote meanwhile, and several processes
// may write records: another replica while it holds the sender lease, a
// `paperbot send`, and Retry on any replica. They announce themselves in
// one meta value, metaRecordsOwner:
//
//   - a process beginning a tenure as sender writes its own owner value
//     there before it writes any record (acquire), so a copy kept from an
//     earlier tenure is dropped when another process sent in between;
//   - Retry writes a fresh value there after its record, so the sender
//     reads the records again at its next pass;
//   - every pass reads the value (one point read) and reads all records
//     again when it is not its own, then claims it back.
//
// A write whose outcome is unknown (an error) drops the copy, and the copy
// is read again every SweepEvery whatever happens, the safety net for
// writers this scheme does not know (a database edited by hand).

// metaRecordsOwner names the meta value that says who last wrote delivery
// records without the others knowing.
const metaRecordsOwner = "records_owner"

// records is the sender's copy of the delivery records, by target and post
// path. Records are stored and handed out as copies: callers may modify
// what they get.
type records struct {
	mu sync.Mutex
	// byTarget is nil while the copy is not to be trusted (never read, or
	// dropped).
	byTarget map[string]map[string]*Delivery
	// readAt is when the copy was read from the store.
	readAt time.Time
	// gen changes whenever byTarget is read again or dropped; touched
	// holds, by target, the posts whose record was written since the
	// target's worker last looked (findWork), so that a pass need not walk
	// every record to find what changed.
	gen     uint64
	touched map[string]map[string]struct{}
}

// newOwner is this engine's owner value: the holder and a random number,
// since a restarted replica keeps its holder name but not its copy.
func newOwner(holder string) string {
	return holder + " " + strconv.FormatUint(rand.Uint64(), 36)
}

// drop forgets the copy: the next pass reads the records again.
func (c *records) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetLocked(nil)
}

// resetLocked replaces the whole copy (nil: none).
func (c *records) resetLocked(byTarget map[string]map[string]*Delivery) {
	c.byTarget = byTarget
	c.gen++
	c.touched = nil
}

// set stores the records just written to the store (no-op while there is
// no copy: the next read finds them).
func (c *records) set(ds ...Delivery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTarget == nil {
		return
	}
	for _, d := range ds {
		c.putLocked(d)
	}
}

func (c *records) putLocked(d Delivery) {
	m := c.byTarget[d.Target]
	if m == nil {
		m = map[string]*Delivery{}
		c.byTarget[d.Target] = m
	}
	d.Refs = append([]MessageRef(nil), d.Refs...)
	m[d.Post] = &d
	t := c.touched[d.Target]
	if t == nil {
		if c.touched == nil {
			c.touched = map[string]map[string]struct{}{}
		}
		t = map[string]struct{}{}
		c.touched[d.Target] = t
	}
	t[d.Post] = struct{}{}
}

// errRecordsDropped stops a pass whose copy of the records was dropped
// under it (a write failed): a record it would read now could be missing
// for no other reason, and a missing record means "never sent".
var errRecordsDropped = errors.New("the delivery records must be read again after a failed write")

// get returns a copy of the record of (post, target), nil when there is
// none, or errRecordsDropped.
func (c *records) get(post, target string) (*Delivery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byTarget == nil {
		return nil, errRecordsDropped
	}
	r := c.byTarget[target][post]
	if r == nil {
		return nil, nil
	}
	d := *r
	d.Refs = append([]MessageRef(nil), r.Refs...)
	return &d, nil
}

// claimRecords makes this engine the owner of the records before a tenure
// as sender begins: when another process wrote records since this one last
// owned them, the copy is dropped.
func (e *Engine) claimRecords(ctx context.Context) error {
	v, err := e.Store.Meta(ctx, metaRecordsOwner)
	if err != nil {
		return fmt.Errorf("records owner: %w", err)
	}
	if v == e.owner {
		return nil
	}
	e.recs.drop()
	if err := e.Store.SetMeta(ctx, metaRecordsOwner, e.owner); err != nil {
		return fmt.Errorf("records owner: %w", err)
	}
	return nil
}

// freshRecords makes sure the copy of the records can be trusted for a
// pass: read when there is none, when another process wrote records since
// (the owner value is not this engine's) or when it is older than
// SweepEvery. The store is read under the copy's lock, so that a record
// written meanwhile by another worker cannot be lost between the read and
// the copy.
func (e *Engine) freshRecords(ctx context.Context) error {
	v, err := e.Store.Meta(ctx, metaRecordsOwner)
	if err != nil {
		return fmt.Errorf("records owner: %w", err)
	}
	c := &e.recs
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == e.owner && c.byTarget != nil && time.Since(c.readAt) < e.sweepEvery() {
		return nil
	}
	c.resetLocked(nil)
	if v != e.owner {
		// Claim it back first, so that a writer that comes after the read
		// below is seen at the next pass.
		if err := e.Store.SetMeta(ctx, metaRecordsOwner, e.owner); err != nil {
			return fmt.Errorf("records owner: %w", err)
		}
	}
	readAt := time.Now()
	all, err := e.Store.Deliveries(ctx, "")
	if err != nil {
		return fmt.Errorf("delivery records: %w", err)
	}
	c.resetLocked(map[string]map[string]*Delivery{})
	for _, d := range all {
		c.putLocked(d)
	}
	c.touched = nil // a new copy: every worker walks it whole
	c.readAt = readAt
	return nil
}

// announceRecords tells the sender, wherever it runs, that a record was
// written outside its passes (Retry), so that it reads them again.
func (e *Engine) announceRecords(ctx context.Context) error {
	v := "retry " + strconv.FormatUint(rand.Uint64(), 36)
	if err := e.Store.SetMeta(ctx, metaRecordsOwner, v); err != nil {
		return fmt.Errorf("records owner: %w", err)
	}
	return nil
}
