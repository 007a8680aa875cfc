package web

import (
	"context"
	"time"

	"github.com/paperbot/paperbot/bot"
)

// What the Server reads and asks of the rest of the bot, declared here
// where it is used. *bot.Engine is an Engine; every bot.Store is a Store;
// *bot.Commands is a Digester.

// Engine is the delivery engine as the probes, the status page and the
// retry route see it.
type Engine interface {
	// Ready reports whether a scan has succeeded since start.
	Ready() bool
	// LastScan is the time of the last successful scan (zero: none yet);
	// LastScanError the reason the latest scan failed ("" when it did not).
	LastScan() time.Time
	LastScanError() string
	// NextRun is when the schedule fires next (zero: not running).
	NextRun() time.Time
	// IsSender reports whether this replica holds the sender lease.
	IsSender() bool
	// Health is every configured target's delivery health, in
	// configuration order.
	Health() []bot.TargetHealth
	// Retry retries the delivery of one post to one target now, through
	// the usual exactly-once path. An unknown post or target is an
	// ENOTFOUND error.
	Retry(ctx context.Context, post, target string) error
}

// PaperIndex is the part of the post index the JSON API reads.
type PaperIndex interface {
	Paper(ctx context.Context, id bot.ArxivID) (*bot.PaperHit, error)
	SearchPapers(ctx context.Context, query string, limit int) ([]bot.PaperHit, error)
}

// DeliveryLog is what the status page and the previews read: the file
// states (for posts that fail to parse), the posts and the delivery
// records.
type DeliveryLog interface {
	Files(ctx context.Context) (map[string]bot.FileState, error)
	Post(ctx context.Context, path string) (*bot.Digest, error)
	PostsOn(ctx context.Context, day string) ([]*bot.Digest, error)
	Deliveries(ctx context.Context, post string) ([]bot.Delivery, error)
}

// Pinger is the store as /readyz probes it: Ping for reachability, and a
// small SetMeta now and then to see that it accepts writes (a full disk or
// a read-only database answers pings but loses every record).
type Pinger interface {
	Ping(ctx context.Context) error
	SetMeta(ctx context.Context, key, value string) error
}

// Store is everything the Server reads from the store.
type Store interface {
	PaperIndex
	DeliveryLog
	Pinger
}

// Digester answers GET /api/digests/{date|latest} the way /digest does.
type Digester interface {
	Digest(ctx context.Context, arg string) (*bot.Digest, error)
}

// Linker turns the ref of a sent message into a link to it where the
// platform gives one ("" where it does not, or not within ctx). It is
// called while a page renders, so it should answer from a cache when it
// can.
type Linker interface {
	MessageURL(ctx context.Context, target string, ref bot.MessageRef) string
}
