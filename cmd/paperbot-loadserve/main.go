// Command paperbot-loadserve is the server side of the web API load test: it builds
// an SQLite store of a large synthetic archive (by default 10,000 posts of
// 16 papers: 160,000 papers) in a temporary folder, serves web.Server on a
// loopback port, prints the address and the file of paper ids to request,
// and runs until interrupted. Pair it with paperbot-loadgen, which must run
// as a second process so client and server do not share a runtime.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // -pprof: profiles of the server under load
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/paperbot/paperbot/bot"
	"github.com/paperbot/paperbot/bot/store/sqlite"
	"github.com/paperbot/paperbot/bot/web"
	"github.com/paperbot/paperbot/internal/gcfloor"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadserve:", err)
		os.Exit(1)
	}
}

func run() error {
	posts := flag.Int("posts", 10000, "posts in the archive")
	papers := flag.Int("papers", 16, "papers per post")
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6060)")
	dir := flag.String("dir", "", "folder for the database and the ids file, kept and reused when it has them (default: a new temp folder, removed at exit)")
	floor := flag.Uint64("gcfloor", gcfloor.DefaultFloor, "heap goal floor in bytes, as paperbot run keeps it (0: Go's default pacing)")
	flag.Parse()
	defer gcfloor.Start(*floor)()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: only loopback addresses are allowed", *addr)
	}
	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }()
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "paperbot-loadserve-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dbPath := filepath.Join(*dir, "paperbot.db")
	idsPath := filepath.Join(*dir, "ids.txt")
	_, statErr := os.Stat(idsPath)
	reuse := statErr == nil
	st, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		return err
	}
	defer st.Close()

	start := time.Now()
	if reuse {
		fmt.Printf("reusing the archive in %s\n", *dir)
	} else {
		if err := build(ctx, st, idsPath, *posts, *papers); err != nil {
			return err
		}
		fmt.Printf("built %d posts x %d papers in %s\n", *posts, *papers, time.Since(start).Round(time.Millisecond))
	}

	srv, err := web.New(web.Config{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	if err := srv.Open(*addr); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("heap %d MiB\n", ms.HeapAlloc>>20)
	fmt.Printf("ids %s\n", idsPath)
	fmt.Printf("listening http://%s\n", srv.Addr())

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Close(sctx)
}

// build indexes the synthetic archive in batches of one transaction each
// and writes every paper id, one a line, to idsPath.
func build(ctx context.Context, st *sqlite.Store, idsPath string, nPosts, nPapers int) error {
	f, err := os.Create(idsPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	day0 := time.Date(2000, 1, 1, 8, 15, 0, 0, time.UTC)
	const batch = 500
	var ds []*bot.Digest
	var fs []bot.FileState
	for i := 0; i < nPosts; i++ {
		d := synthPost(day0.AddDate(0, 0, i), nPapers)
		for _, p := range d.Papers {
			fmt.Fprintln(w, p.ID)
		}
		ds = append(ds, d)
		fs = append(fs, bot.FileState{Path: d.Path, Size: 30000, ModTime: d.Date, Hash: d.Hash})
		if len(ds) == batch || i == nPosts-1 {
			if err := st.SavePosts(ctx, ds, fs); err != nil {
				return err
			}
			ds, fs = ds[:0], fs[:0]
		}
	}
	return errors.Join(w.Flush(), f.Close())
}

func text(s string) bot.Block {
	return bot.Block{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: s}}}
}

func bullets(items ...string) bot.Block {
	b := bot.Block{Kind: bot.ListBlock}
	for _, it := range items {
		b.Items = append(b.Items, []bot.Block{text(it)})
	}
	return b
}

var words = strings.Fields("sparse attention diffusion language model agent reasoning retrieval vision token " +
	"benchmark alignment 강화학습 멀티모달 효율적인 추론 데이터 평가 scaling robust")

// synthPost is a post the size of a real one: five sections of a few
// hundred characters per paper. Ids are unique: YYMM of the post's month
// and the day*100 + paper number.
func synthPost(date time.Time, nPapers int) *bot.Digest {
	day := date.Format(time.DateOnly)
	d := &bot.Digest{
		Date:  date,
		Title: "Daily Papers " + day,
		Tags:  []string{"daily-papers"},
		Path:  "_posts/" + day + "-daily-papers.md",
		Hash:  fmt.Sprintf("%064x", date.Unix()),
	}
	for j := 1; j <= nPapers; j++ {
		id := bot.ArxivID(fmt.Sprintf("%02d%02d.%05d", date.Year()%100, int(date.Month()), date.Day()*100+j))
		w := func(k int) string { return words[(date.YearDay()*7+j*3+k)%len(words)] }
		long := strings.Repeat("The method "+w(1)+" improves "+w(2)+" on "+w(3)+" benchmarks. ", 4)
		d.Papers = append(d.Papers, bot.Paper{
			Number:      j,
			Title:       fmt.Sprintf("%s %s for %s %s (%d)", strings.ToUpper(w(0)[:1])+w(0)[1:], w(1), w(2), w(3), j),
			ID:          id,
			URL:         id.AbsURL(),
			AlphaxivURL: "https://www.alphaxiv.org/ko/overview/" + string(id),
			Sections: []bot.Section{
				{Name: "Introduction", Blocks: []bot.Block{bullets("Goal: "+long[:120], "Motivation: "+long[:160], "Contribution: "+long[:140])}},
				{Name: "Method", Blocks: []bot.Block{text(long)}},
				{Name: "Results", Blocks: []bot.Block{bullets(long[:100], long[:150])}},
				{Name: "Limitations", Blocks: []bot.Block{text("정보 부족")}, NoInfo: true},
				{Name: "Conclusion", Blocks: []bot.Block{text(long[:200])}},
			},
		})
	}
	return d
}
