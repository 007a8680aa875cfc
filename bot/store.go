package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrUnreadable is in the chain of a Store's error when a stored post
// exists but its document cannot be decoded: a fault of that post, not of
// the store, so the engine fails that post alone.
var ErrUnreadable = errors.New("the stored post cannot be decoded")

// Unreadable is a Store's error for the stored post at path that cannot be
// decoded (err says why): an *UnreadableError.
func Unreadable(path string, err error) error { return &UnreadableError{Path: path, Err: err} }

// UnreadableError is a stored post that cannot be decoded. ErrUnreadable
// and an EUNREADABLE *Error are in its chain: the message a user sees names
// the post, so that a reader asking for it learns which post is broken and
// that the others are not.
type UnreadableError struct {
	Path string
	Err  error // why it cannot be decoded
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("post %s: %v: %v", e.Path, ErrUnreadable, e.Err)
}

func (e *UnreadableError) Unwrap() []error {
	return []error{Errorf(EUNREADABLE,
		"The post %s is damaged in the store and cannot be read; other posts are not affected. Changing its file stores it anew.", e.Path),
		ErrUnreadable, e.Err}
}

// FileState is what the store remembers of a source file so that a tick can
// tell an unchanged file by a stat alone: size and modification time, and
// the content hash that decides whether a changed stat is a real edit.
type FileState struct {
	Path    string
	Size    int64
	ModTime time.Time
	Hash    string
	// Error is the last parse error of the file ("file:line: reason"), or "".
	Error string
	// Draft: the post indexed from the file is a draft (published: false),
	// so a delivery pass need not load it to learn that it waits.
	Draft bool
}

// PostRef names the post a paper appeared in.
type PostRef struct {
	Date  time.Time `json:"date"`
	Title string    `json:"title"`
	Path  string    `json:"path"`
}

// PaperHit is a paper found by id or search, with the post it appeared in.
type PaperHit struct {
	Paper Paper   `json:"paper"`
	Post  PostRef `json:"post"`
	// Score orders search results, higher first; 0 for lookups by id.
	Score float64 `json:"score,omitempty"`
}

// DeliveryState is where a (post, target) delivery stands.
type DeliveryState string

const (
	// Sending: the intent is recorded and messages may have gone out; after
	// a crash the target's Recover decides what did.
	DeliverySending DeliveryState = "sending"
	// Sent: every message is out and Refs lists them.
	DeliverySent DeliveryState = "sent"
	// Failed: a permanent failure (the platform refused the post with a 4xx
	// other than 429, or the post cannot be read or rendered). It is not
	// retried by itself (only when the post is edited, or by Engine.Retry)
	// and does not hold later posts to the target.
	DeliveryFailed DeliveryState = "failed"
	// Retrying: a transient failure (429, 5xx, network); the target's
	// worker tries again by itself and later posts to that target wait
	// behind it, so that the channel keeps date order.
	DeliveryRetrying DeliveryState = "retrying"
	// Queued: due, but waiting behind an earlier post of the same target
	// that is retrying; nothing was sent yet. Recorded so that the catch-up
	// window cannot skip it while the target is down.
	DeliveryQueued DeliveryState = "queued"
	// Skipped: the post is older than the catch-up window; never sent.
	DeliverySkipped DeliveryState = "skipped"
)

// Delivery is the record of one post sent to one target.
type Delivery struct {
	Post   string // Digest.Path
	Target string // Target.Name()
	// Key is the idempotency key attached to every message (Slack metadata,
	// Discord nonce); stable for the (post, target) pair.
	Key   string
	State DeliveryState
	// Hash is the Digest.Hash that was (or is being) sent: a different hash
	// later means the post was edited and its messages need an update.
	Hash      string
	Refs      []MessageRef
	Attempts  int
	LastError string
	UpdatedAt time.Time
}

// Store is paperbot's persistence: the post index (for lookups and change
// detection) and the delivery log (for exactly-once sending). All methods are
// safe for concurrent use; implementations live in bot/store and all pass
// bot/store/storetest.
type Store interface {
	// Files returns the state of every file the store has seen, by path.
	Files(ctx context.Context) (map[string]FileState, error)
	// SaveFile records a file's state without touching its post: for files
	// whose stat changed but content did not, and for files that fail to
	// parse (fs.Error set; the post indexed earlier, if any, stays).
	SaveFile(ctx context.Context, fs FileState) error
	// SavePost indexes d (replacing any earlier version of the same Path and
	// its papers) and records fs, in one transaction.
	SavePost(ctx context.Context, d *Digest, fs FileState) error
	// DeleteFile forgets a file that disappeared, its post and its papers.
	// Deliveries are kept: they are history.
	DeleteFile(ctx context.Context, path string) error

	// Post returns the post with this path, or an ENOTFOUND error, or an
	// error wrapping ErrUnreadable when its stored document is damaged.
	Post(ctx context.Context, path string) (*Digest, error)
	// PostsOn returns the posts of a day ("2006-01-02"), in path order.
	// Posts that cannot be decoded are left out and named by an error
	// wrapping ErrUnreadable, returned together with the others, so that
	// one damaged post does not hide its neighbours.
	PostsOn(ctx context.Context, day string) ([]*Digest, error)
	// LatestPost returns the newest post that is not a draft, or ENOTFOUND,
	// or an error wrapping ErrUnreadable (naming it) when that post is
	// damaged.
	LatestPost(ctx context.Context) (*Digest, error)
	// Posts returns every post, drafts included, oldest first (date, then
	// path); damaged posts as PostsOn does.
	Posts(ctx context.Context) ([]*Digest, error)

	// Paper returns the paper with this id from the newest published post
	// that has it, or an ENOTFOUND error, or an error wrapping ErrUnreadable
	// when that copy cannot be decoded. Drafts are never looked up.
	Paper(ctx context.Context, id ArxivID) (*PaperHit, error)
	// SearchPapers returns up to limit papers matching every word of query
	// in their title or sections, case-insensitively: a word of letters and
	// digits matches the words it starts (확산 finds 확산을 and 확산의, as
	// Korean particles follow the stem; sparse finds sparsely, not
	// nonsparse), a word with other characters ("95%", "snake_case")
	// matches where it appears verbatim. Best first: more query words in the
	// title first, then newer (post date, post path descending, position).
	// Drafts are not searched. A match that cannot be decoded is left out
	// (and logged once with its post): it fails alone, not the search.
	SearchPapers(ctx context.Context, query string, limit int) ([]PaperHit, error)

	// Delivery returns the record of (post, target), or ENOTFOUND.
	Delivery(ctx context.Context, post, target string) (*Delivery, error)
	// PutDelivery creates or replaces the record of (d.Post, d.Target).
	PutDelivery(ctx context.Context, d *Delivery) error
	// Deliveries returns every record of a post (all targets), or of every
	// post when post is "", oldest update first.
	Deliveries(ctx context.Context, post string) ([]Delivery, error)

	// Lease makes holder the owner of the named lease for ttl if it is free,
	// expired, or already held by holder, and reports whether holder owns it
	// now. Replicas use it to elect the one sender.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder owns it.
	ReleaseLease(ctx context.Context, name, holder string) error

	// Meta and SetMeta keep small named values (the last successful scan).
	// Meta returns "" for an unknown key.
	Meta(ctx context.Context, key string) (string, error)
	SetMeta(ctx context.Context, key, value string) error

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}
