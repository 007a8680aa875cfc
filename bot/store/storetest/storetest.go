// Package storetest is the conformance suite every bot.Store passes: Run
// checks each method of the contract in bot/store.go (indexing, lookups,
// search in English and Korean, files, deliveries, leases, meta, concurrent
// use and persistence across a reopen), and the Bench functions measure the
// lookups a running bot makes on a large generated archive. A PostgreSQL
// test's schema of its own on the shared server is postgrestest's.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paperbot/paperbot/bot"
)

// Opener prepares a new, empty database for one test and returns a function
// that opens a Store on it. The suite calls open again after closing the
// first Store to check that data survives; every call must reach the same
// database. The suite closes the Stores it opens; the Opener cleans up the
// database itself (t.Cleanup).
type Opener func(t testing.TB) (open func() bot.Store)

// Run runs the conformance suite against the stores newDB opens.
func Run(t *testing.T, newDB Opener) {
	run(t, newDB, append(coreTests(), lookupTests()...))
	t.Run("Reopen", func(t *testing.T) { testReopen(t, newDB(t)) })
}

// RunCore runs the part of the suite an engine needs of a store (files,
// posts, deliveries, leases, meta, concurrency) and leaves out paper
// lookup and search, which only the real stores implement: for in-memory
// test doubles, so the engine's tests stand on a store that keeps the
// contract where they use it.
func RunCore(t *testing.T, newDB Opener) { run(t, newDB, coreTests()) }

type suiteTest struct {
	name string
	fn   func(t *testing.T, s bot.Store)
}

func coreTests() []suiteTest {
	return []suiteTest{
		{"Ping", testPing},
		{"PostRoundTrip", testPostRoundTrip},
		{"PostNotFound", testPostNotFound},
		{"SavePostReplaces", testSavePostReplaces},
		{"PostsOrder", testPostsOrder},
		{"PostsOn", testPostsOn},
		{"LatestPost", testLatestPost},
		{"Files", testFiles},
		{"Deliveries", testDeliveries},
		{"Lease", testLease},
		{"LeaseRace", testLeaseRace},
		{"Meta", testMeta},
		{"Concurrent", testConcurrent},
	}
}

func lookupTests() []suiteTest {
	return []suiteTest{
		{"PaperNewest", testPaperNewest},
		{"PaperNotFound", testPaperNotFound},
		{"SearchWords", testSearchWords},
		{"SearchKorean", testSearchKorean},
		{"SearchRanking", testSearchRanking},
		{"SearchLimit", testSearchLimit},
		{"SearchDrafts", testSearchDrafts},
		{"SearchWildcards", testSearchWildcards},
		{"SearchWordStarts", testSearchWordStarts},
		{"SearchAcrossFields", testSearchAcrossFields},
		{"SearchSyntax", testSearchSyntax},
		{"SearchOrder", testSearchOrder},
		{"SearchManyWords", testSearchManyWords},
		{"SearchManyWordsOld", testSearchManyWordsOld},
		{"SearchLikeScan", testSearchLikeScan},
		{"PutDeliveries", testPutDeliveries},
		{"DeleteFile", testDeleteFile}, // checks search after the delete
	}
}

// run runs each test on a database of its own, in parallel: the tests share
// nothing, and the SQLite ones are CPU-bound under -race, so a package
// whose suite ran on one core now uses every core the go command leaves it.
func run(t *testing.T, newDB Opener, tests []suiteTest) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, newDB(t))
			tc.fn(t, s)
		})
	}
}

func openStore(t testing.TB, open func() bot.Store) bot.Store {
	t.Helper()
	s := open()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

var (
	seoul = time.FixedZone("KST", 9*60*60)
	ctx   = context.Background()
)

func day(s string, hour int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, seoul)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour)*time.Hour + 123456789*time.Nanosecond)
}

func para(s string) []bot.Block {
	return []bot.Block{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.TextInline, Text: s}}}}
}

// paper makes a paper with one Introduction section holding text.
func paper(n int, id, title, text string) bot.Paper {
	return bot.Paper{
		Number: n, Title: title, ID: bot.ArxivID(id), URL: bot.ArxivID(id).AbsURL(),
		AlphaxivURL: "https://www.alphaxiv.org/ko/overview/" + id,
		Sections: []bot.Section{
			{Name: "Introduction", Blocks: []bot.Block{{Kind: bot.ListBlock, Items: [][]bot.Block{
				para("Goal: " + text),
				{{Kind: bot.ParagraphBlock, Inlines: []bot.Inline{{Kind: bot.StrongInline, Children: []bot.Inline{{Kind: bot.TextInline, Text: "bold"}}}, {Kind: bot.MathInline, Text: "x^2"}}}},
			}}}, Line: 12},
			{Name: "Limitations", Blocks: para("정보 부족"), NoInfo: true, Line: 20},
		},
		Line: 10,
	}
}

func post(path string, date time.Time, draft bool, papers ...bot.Paper) *bot.Digest {
	return &bot.Digest{
		Date: date, Title: "Daily Papers — " + date.Format(time.DateOnly), Tags: []string{"papers", "hf"},
		Categories: []string{"ml"}, Draft: draft, Path: path, Hash: "h-" + path, Papers: papers,
	}
}

func fileOf(d *bot.Digest) bot.FileState {
	return bot.FileState{Path: d.Path, Size: 1234, ModTime: d.Date.Add(time.Hour), Hash: d.Hash}
}

func save(t testing.TB, s bot.Store, ds ...*bot.Digest) {
	t.Helper()
	for _, d := range ds {
		if err := s.SavePost(ctx, d, fileOf(d)); err != nil {
			t.Fatalf("SavePost(%s): %v", d.Path, err)
		}
	}
}

// sameDigest compares through JSON (what the store keeps) and checks that
// the date kept its instant and its zone offset.
func sameDigest(t testing.TB, got, want *bot.Digest) {
	t.Helper()
	if got == nil {
		t.Fatalf("got nil digest, want %s", want.Path)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("digest %s differs:\n got %s\nwant %s", want.Path, g, w)
	}
	sameLocalTime(t, "Digest.Date", got.Date, want.Date)
}

func sameLocalTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	_, goff := got.Zone()
	_, woff := want.Zone()
	if !got.Equal(want) || goff != woff {
		t.Errorf("%s = %s, want %s (same instant and offset)", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := bot.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func paths(ds []*bot.Digest) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Path)
	}
	return out
}

func hitKeys(hs []bot.PaperHit) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s#%d", h.Post.Path, h.Paper.Number))
	}
	return out
}

func testPing(t *testing.T, s bot.Store) {
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testPostRoundTrip(t *testing.T, s bot.Store) {
	d := post("2025-09-30-daily-papers.md", day("2025-09-30", 8), false,
		paper(1, "2509.24006", "SLA: Sparse-Linear Attention", "희소 주의와 선형 주의"),
		paper(2, "", "A paper without an id", "no link"))
	d.Papers[1].URL = "https://example.org/paper"
	save(t, s, d)
	got, err := s.Post(ctx, d.Path)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	sameDigest(t, got, d)
}

func testPostNotFound(t *testing.T, s bot.Store) {
	_, err := s.Post(ctx, "2025-01-01-nothing.md")
	wantCode(t, err, bot.ENOTFOUND)
	_, err = s.LatestPost(ctx)
	wantCode(t, err, bot.ENOTFOUND)
	ds, err := s.PostsOn(ctx, "2025-01-01")
	if err != nil || len(ds) != 0 {
		t.Fatalf("PostsOn(empty day) = %v, %v; want none", paths(ds), err)
	}
	ds, err = s.Posts(ctx)
	if err != nil || len(ds) != 0 {
		t.Fatalf("Posts(empty store) = %v, %v; want none", paths(ds), err)
	}
}

func testSavePostReplaces(t *testing.T, s bot.Store) {
	d := post("p.md", day("2025-09-30", 8), false,
		paper(1, "2509.00001", "Old one", "alpha"), paper(2, "2509.00002", "Old two", "beta"))
	save(t, s, d)
	d2 := post("p.md", day("2025-09-30", 9), false, paper(1, "2509.00003", "New one", "gamma"))
	d2.Title = "Edited"
	d2.Hash = "h2"
	fs := fileOf(d2)
	fs.Size = 999
	if err := s.SavePost(ctx, d2, fs); err != nil {
		t.Fatalf("SavePost again: %v", err)
	}
	got, err := s.Post(ctx, "p.md")
	if err != nil {
		t.Fatal(err)
	}
	sameDigest(t, got, d2)
	for _, id := range []bot.ArxivID{"2509.00001", "2509.00002"} {
		_, err := s.Paper(ctx, id)
		wantCode(t, err, bot.ENOTFOUND)
	}
	if h, err := s.Paper(ctx, "2509.00003"); err != nil || h.Post.Title != "Edited" {
		t.Fatalf("Paper(new) = %+v, %v", h, err)
	}
	if hs, _ := s.SearchPapers(ctx, "beta", 10); len(hs) != 0 {
		t.Errorf("search finds a replaced paper: %v", hitKeys(hs))
	}
	ds, _ := s.Posts(ctx)
	if len(ds) != 1 {
		t.Errorf("Posts after replace = %v, want one", paths(ds))
	}
	files, err := s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f := files["p.md"]; f.Size != 999 || f.Hash != "h2" {
		t.Errorf("file state after SavePost = %+v", f)
	}
}

func testPostsOrder(t *testing.T, s bot.Store) {
	a := post("b.md", day("2025-09-29", 8), false)
	b := post("a.md", day("2025-09-30", 8), true) // drafts are listed too
	c := post("c.md", day("2025-09-30", 8), false)
	e := post("0.md", day("2025-10-01", 0), false)
	save(t, s, e, c, b, a)
	ds, err := s.Posts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(paths(ds), " "), "b.md a.md c.md 0.md"; got != want {
		t.Errorf("Posts order = %s, want %s", got, want)
	}
}

func testPostsOn(t *testing.T, s bot.Store) {
	// 08:15 in Seoul is the previous day in UTC: the day is the post's own.
	a := post("z.md", day("2025-09-30", 8), false)
	b := post("a.md", day("2025-09-30", 23), true)
	c := post("c.md", day("2025-09-29", 8), false)
	save(t, s, a, b, c)
	ds, err := s.PostsOn(ctx, "2025-09-30")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(paths(ds), " "), "a.md z.md"; got != want {
		t.Errorf("PostsOn(2025-09-30) = %s, want %s", got, want)
	}
	for _, d := range ds {
		if d.Path == "z.md" {
			sameDigest(t, d, a)
		}
	}
	ds, _ = s.PostsOn(ctx, "2025-09-28")
	if len(ds) != 0 {
		t.Errorf("PostsOn(2025-09-28) = %v, want none", paths(ds))
	}
}

func testLatestPost(t *testing.T, s bot.Store) {
	save(t, s,
		post("old.md", day("2025-09-28", 8), false),
		post("new.md", day("2025-09-29", 8), false),
		post("draft.md", day("2025-09-30", 8), true))
	got, err := s.LatestPost(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != "new.md" {
		t.Errorf("LatestPost = %s, want new.md (the newer one is a draft)", got.Path)
	}
}

func testPaperNewest(t *testing.T, s bot.Store) {
	old := post("old.md", day("2025-09-28", 8), false, paper(1, "2509.11111", "Old title", "old text"))
	newer := post("new.md", day("2025-09-29", 8), false, paper(3, "2509.22222", "Other", "x"), paper(4, "2509.11111", "New title", "new text"))
	draft := post("draft.md", day("2025-09-30", 8), true, paper(1, "2509.11111", "Draft title", "draft"), paper(2, "2509.33333", "Only in a draft", "d"))
	save(t, s, newer, old, draft)
	h, err := s.Paper(ctx, "2509.11111")
	if err != nil {
		t.Fatal(err)
	}
	if h.Post.Path != "new.md" || h.Paper.Number != 4 || h.Paper.Title != "New title" {
		t.Fatalf("Paper = %s#%d %q, want new.md#4 (newest published post)", h.Post.Path, h.Paper.Number, h.Paper.Title)
	}
	if h.Post.Title != newer.Title {
		t.Errorf("Post.Title = %q, want %q", h.Post.Title, newer.Title)
	}
	sameLocalTime(t, "PostRef.Date", h.Post.Date, newer.Date)
	g, _ := json.Marshal(h.Paper)
	w, _ := json.Marshal(newer.Papers[1])
	if string(g) != string(w) {
		t.Errorf("paper differs:\n got %s\nwant %s", g, w)
	}
	if h.Score != 0 {
		t.Errorf("Score of a lookup = %v, want 0", h.Score)
	}
	// A paper that only a draft has is not found: drafts are not public.
	h, err = s.Paper(ctx, "2509.33333")
	if bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Fatalf("Paper(only in draft) = %+v, %v; want ENOTFOUND", h, err)
	}
}

func testPaperNotFound(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false, paper(1, "", "No id", "text")))
	_, err := s.Paper(ctx, "2509.99999")
	wantCode(t, err, bot.ENOTFOUND)
	if msg := bot.ErrorMessage(err); !strings.Contains(msg, "2509.99999") {
		t.Errorf("message %q does not name the id", msg)
	}
	_, err = s.Paper(ctx, "")
	wantCode(t, err, bot.ENOTFOUND)
}

func searchKeys(t *testing.T, s bot.Store, q string, limit int) string {
	t.Helper()
	hs, err := s.SearchPapers(ctx, q, limit)
	if err != nil {
		t.Fatalf("SearchPapers(%q): %v", q, err)
	}
	return strings.Join(hitKeys(hs), " ")
}

// searchCase is a query and the keys SearchPapers must return for it with
// a limit of 10, best first, separated by spaces ("" for none).
type searchCase struct{ q, want string }

// checkSearches asks s each case's query and reports every answer that
// differs from the case's.
func checkSearches(t *testing.T, s bot.Store, cases []searchCase) {
	t.Helper()
	for _, tc := range cases {
		if got := searchKeys(t, s, tc.q, 10); got != tc.want {
			t.Errorf("SearchPapers(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func testSearchWords(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false,
		paper(1, "2509.00001", "Sparse-Linear Attention for Video", "we cut the cost"),
		paper(2, "2509.00002", "A Speech Tokenizer", "robust to NOISE, sparse codes"),
		paper(3, "2509.00003", "Graph Agents", "planning with tools")))
	checkSearches(t, s, []searchCase{
		{"sparse", "p.md#1 p.md#2"},
		{"SPARSE", "p.md#1 p.md#2"},
		{"noise", "p.md#2"},
		{"Sparse video", "p.md#1"},
		{"sparse   noise", "p.md#2"},
		{"sparse graph", ""},
		{"introduction", "p.md#1 p.md#2 p.md#3"}, // section names are searched
		{"", ""},
		{"   ", ""},
	})
}

func testSearchKorean(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false,
		paper(1, "2509.00001", "SLA", "희소성과 저차원 근사 방식의 장점을 활용한다"),
		paper(2, "2509.00002", "StableToken", "잡음에 강인한 음성 토크나이저"),
		paper(3, "2509.00003", "희소 주의 연구", "선형 주의")))
	checkSearches(t, s, []searchCase{
		{"희소", "p.md#3 p.md#1"}, // title match first
		{"희소성", "p.md#1"},
		{"주의 선형", "p.md#3"},
		{"토크나이저 잡음", "p.md#2"},
		{"근사 잡음", ""},
	})
}

func testSearchRanking(t *testing.T, s bot.Store) {
	save(t, s,
		post("old.md", day("2025-09-01", 8), false,
			paper(1, "2509.00011", "Diffusion Transformers", "sparse attention in the body"),
			paper(2, "2509.00012", "Sparse Attention", "diffusion in the body")),
		post("new.md", day("2025-09-20", 8), false,
			paper(1, "2509.00021", "Video models", "sparse attention and diffusion"),
			paper(2, "2509.00022", "Sparse diffusion", "attention")))
	// Words in the title count first, then the newer post.
	if got, want := searchKeys(t, s, "sparse diffusion", 10), "new.md#2 old.md#1 old.md#2 new.md#1"; got != want {
		t.Errorf("ranking = %q, want %q", got, want)
	}
	hs, err := s.SearchPapers(ctx, "sparse diffusion", 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].Score > hs[i-1].Score {
			t.Errorf("scores not descending: %v then %v", hs[i-1].Score, hs[i].Score)
		}
	}
	if hs[0].Score <= hs[len(hs)-1].Score {
		t.Errorf("a title match scores %v, a body match %v: want higher", hs[0].Score, hs[len(hs)-1].Score)
	}
	if hs[0].Post.Title == "" || hs[0].Post.Date.IsZero() || hs[0].Paper.ID != "2509.00022" {
		t.Errorf("hit lacks its post or paper: %+v", hs[0])
	}
}

func testSearchLimit(t *testing.T, s bot.Store) {
	var ps []bot.Paper
	for i := 1; i <= 12; i++ {
		ps = append(ps, paper(i, fmt.Sprintf("2509.%05d", i), fmt.Sprintf("Model %d", i), "common word"))
	}
	save(t, s, post("p.md", day("2025-09-28", 8), false, ps...))
	for _, limit := range []int{1, 5, 12, 50} {
		hs, err := s.SearchPapers(ctx, "common", limit)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(limit, 12); len(hs) != want {
			t.Errorf("limit %d: %d hits, want %d", limit, len(hs), want)
		}
	}
	if hs, err := s.SearchPapers(ctx, "common", 0); err != nil || len(hs) != 0 {
		t.Errorf("limit 0: %d hits, %v; want none", len(hs), err)
	}
}

func testSearchDrafts(t *testing.T, s bot.Store) {
	save(t, s,
		post("draft.md", day("2025-09-30", 8), true, paper(1, "2509.00001", "Secret draft", "unpublished")),
		post("pub.md", day("2025-09-29", 8), false, paper(1, "2509.00002", "Public", "published")))
	if got := searchKeys(t, s, "draft", 10); got != "" {
		t.Errorf("drafts are searched: %q", got)
	}
	if got := searchKeys(t, s, "published", 10); got != "pub.md#1" {
		t.Errorf("SearchPapers(published) = %q", got)
	}
}

func testSearchWildcards(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false,
		paper(1, "2509.00001", "Plain", "nothing special"),
		paper(2, "2509.00002", "Percent", "95% fewer FLOPs"),
		paper(3, "2509.00003", "Snake", "uses snake_case names"),
		paper(4, "2509.00004", "Backslash", `a \ b`)))
	checkSearches(t, s, []searchCase{
		{"%", "p.md#2"},
		{"_", "p.md#3"},
		{"e_c", "p.md#3"},
		{"5%", "p.md#2"},
		{"s%s", ""},
		{`\`, "p.md#4"},
		{"n_thing", ""},
	})
}

// testSearchWordStarts pins the rule for where a word may match: a query
// word of letters and digits finds the words it starts (Korean particles
// follow the stem: 확산 finds 확산을 and 확산의; two-syllable words are
// the common case), case-insensitively, but not the middle of a word.
func testSearchWordStarts(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false,
		paper(1, "2509.00001", "Diffusion Models", "확산을 줄이고 확산의 비용을 낮춘다"),
		paper(2, "2509.00002", "Hallucination", "환각 현상을 분석한다"),
		paper(3, "2509.00003", "Sparsity", "역확산 과정과 SPARSELY gated experts"),
		paper(4, "2509.00004", "Long", "supercalifragilisticexpialidocious-and-then-some-more-letters-than-any-index-keeps-for-one-word")))
	checkSearches(t, s, []searchCase{
		{"확산", "p.md#1"},
		{"확산을", "p.md#1"},
		{"확산의 비용", "p.md#1"},
		{"환각", "p.md#2"},
		{"환각 현상", "p.md#2"},
		{"산을", ""}, // the middle of a word
		{"역확산", "p.md#3"},
		{"sparse", "p.md#3"}, // SPARSELY
		{"parse", ""},
		{"diffusion", "p.md#1"},
		{"ffusion", ""},
		{"분석한다", "p.md#2"},
		{"supercalifragilisticexpialidocious-and-then-some-more-letters-than-any-index-keeps", "p.md#4"},
		{"supercalifragilisticexpialidocious-and-then-some-more-letters-than-any-index-keepsX", ""},
	})
}

// testSearchAcrossFields: each word may be in the title or in any section;
// all of them must be somewhere.
func testSearchAcrossFields(t *testing.T, s bot.Store) {
	p := paper(1, "2509.00001", "Sparse Attention", "video generation")
	p.Sections = append(p.Sections, bot.Section{Name: "Results", Blocks: para("13.7배 속도 향상")})
	save(t, s, post("p.md", day("2025-09-28", 8), false, p,
		paper(2, "2509.00002", "Dense attention", "video")))
	checkSearches(t, s, []searchCase{
		{"sparse video", "p.md#1"},
		{"sparse 속도", "p.md#1"},
		{"video 속도 attention", "p.md#1"},
		{"attention video", "p.md#1 p.md#2"},
		{"attention video 품질", ""},
		{"13.7배", "p.md#1"},
		{"results 향상", "p.md#1"},
	})
}

// testSearchSyntax: what a query language would read as operators is text.
func testSearchSyntax(t *testing.T, s bot.Store) {
	save(t, s, post("p.md", day("2025-09-28", 8), false,
		paper(1, "2509.00001", "Plain", "sparse and dense"),
		paper(2, "2509.00002", "Star", `sparse* "quoted" (x) a:b it's {c} ^d`),
		paper(3, "2509.00003", "Or", "or not near")))
	checkSearches(t, s, []searchCase{
		{"sparse*", "p.md#2"},
		{`"quoted"`, "p.md#2"},
		{`"quoted`, "p.md#2"},
		{"(x)", "p.md#2"},
		{"a:b", "p.md#2"},
		{"it's", "p.md#2"},
		{"{c}", "p.md#2"},
		{"^d", "p.md#2"},
		{"and", "p.md#1"},
		{"OR", "p.md#3"},
		{"NOT near", "p.md#3"},
		{"NEAR(sparse dense)", ""},
		{"'", "p.md#2"},
		{`\'`, ""},
		{"~", ""},
		{"*", "p.md#2"},
	})
}

// testSearchOrder: across many posts, title matches come first, each group
// newest first (post date, then path descending, then paper order), and the
// limit cuts that order.
func testSearchOrder(t *testing.T, s bot.Store) {
	var want []string
	var titled, body []string
	for i := 0; i < 30; i++ {
		d := day("2025-08-01", 8).AddDate(0, 0, i/2)
		path := fmt.Sprintf("p%02d.md", i)
		title, text := "Other", "common words"
		if i%3 == 0 {
			title = "Common Title"
		}
		save(t, s, post(path, d, i%7 == 6, paper(1, fmt.Sprintf("2508.%05d", i), title, text), paper(2, fmt.Sprintf("2508.%05d", 100+i), "Other", "no match")))
		if i%7 == 6 {
			continue
		}
		if i%3 == 0 {
			titled = append([]string{path + "#1"}, titled...)
		} else {
			body = append([]string{path + "#1"}, body...)
		}
	}
	want = append(titled, body...)
	for _, limit := range []int{1, 3, 7, 100} {
		if got := searchKeys(t, s, "common", limit); got != strings.Join(want[:min(limit, len(want))], " ") {
			t.Errorf("SearchPapers(common, %d) = %q, want %q", limit, got, strings.Join(want[:min(limit, len(want))], " "))
		}
	}
}

// testSearchManyWords: a query of five to eight words ranks by how many of
// them the title holds (6, 5, 3, 2, 1, 0 here), newer first within each
// count, as the scan of every paper does. A word with punctuation whose
// pieces are all in the title ("95 %") but not the word itself ("95%") is
// in the text only, which the index cannot tell.
// testSearchManyWordsOld: five words or more, with a word only the oldest
// paper has, behind more papers than a store may check one by one before
// it asks its index (PostgreSQL's probeRows), or only a draft has.
func testSearchManyWordsOld(t *testing.T, s bot.Store) {
	posts := GenPosts(30, 10, day("2025-01-01", 8), 3)
	posts = append(posts,
		post("old.md", day("2024-01-01", 8), false, paper(1, "2401.00011", "Quokka alpha beta", "gamma delta")),
		post("draft.md", day("2026-01-01", 8), true, paper(1, "2601.00011", "Wombat alpha beta", "gamma delta")))
	Load(t, s, posts)
	for _, tc := range []struct{ q, want string }{
		{"quokka alpha beta gamma delta", "old.md#1"},
		{"alpha beta gamma delta quokka", "old.md#1"},
		{"wombat alpha beta gamma delta", ""},
		{"quokka wombat alpha beta gamma", ""},
	} {
		for _, limit := range []int{1, 100} {
			got := searchKeys(t, s, tc.q, limit)
			if got != tc.want {
				t.Errorf("SearchPapers(%q, %d) = %q, want %q", tc.q, limit, got, tc.want)
			}
			if scan := strings.Join(scanSearch(posts, tc.q, limit), " "); got != scan {
				t.Errorf("SearchPapers(%q, %d) = %q, the scan finds %q", tc.q, limit, got, scan)
			}
		}
	}
}

func testSearchManyWords(t *testing.T, s bot.Store) {
	all := "sparse attention diffusion video model training"
	posts := []*bot.Digest{
		post("old.md", day("2025-09-01", 8), false,
			paper(1, "2509.00011", "Sparse Attention for Diffusion", "video model training"),
			paper(2, "2509.00012", "Video Model", "sparse attention diffusion training"),
			paper(3, "2509.00013", "Other", all),
			paper(4, "2509.00014", "Cut 95% of Sparse Attention", "e_c in snake_case"),
			paper(5, "2509.00015", "Sparse: 95 % cut", "attention, 95% fewer, snake_case")),
		post("mid.md", day("2025-09-10", 8), false,
			paper(1, "2509.00021", "Training Sparse Attention Diffusion Video", "model"),
			paper(2, "2509.00022", "Sparse snake_case attention", "cut 95%")),
		post("new.md", day("2025-09-20", 8), false,
			paper(1, "2509.00031", "Sparse Video", "attention diffusion model training"),
			paper(2, "2509.00032", "Diffusion Attention Training", "sparse video model"),
			paper(3, "2509.00033", "Sparse attention diffusion video model training", "all of it"),
			paper(4, "2509.00034", "Model", all),
			paper(5, "2509.00035", "Attention Diffusion Video Model", "training but not the first word"),
			paper(6, "2509.00036", "Cut cost", "sparse attention 95% e_c")),
		post("draft.md", day("2025-09-30", 8), true,
			paper(1, "2509.00041", "Sparse attention diffusion video model training", all)),
	}
	save(t, s, posts...)
	for _, tc := range []struct{ q, want string }{
		{all, "new.md#3 mid.md#1 new.md#2 old.md#1 new.md#1 old.md#2 new.md#4 old.md#3"},
		{"training video model diffusion attention sparse", "new.md#3 mid.md#1 new.md#2 old.md#1 new.md#1 old.md#2 new.md#4 old.md#3"},
		{"sparse attention diffusion video model training introduction goal", "new.md#3 mid.md#1 new.md#2 old.md#1 new.md#1 old.md#2 new.md#4 old.md#3"},
		{"sparse attention diffusion video model training zyzzyva", ""},
		// 95% is in old.md#5's text, not its title.
		{"95% cut sparse attention e_c", "old.md#4 mid.md#2 old.md#5 new.md#6"},
	} {
		for _, limit := range []int{1, 3, 100} {
			want := strings.Join(strings.Fields(tc.want)[:min(limit, len(strings.Fields(tc.want)))], " ")
			got := searchKeys(t, s, tc.q, limit)
			if got != want {
				t.Errorf("SearchPapers(%q, %d) = %q, want %q", tc.q, limit, got, want)
			}
			if scan := strings.Join(scanSearch(posts, tc.q, limit), " "); got != scan {
				t.Errorf("SearchPapers(%q, %d) = %q, the scan finds %q", tc.q, limit, got, scan)
			}
		}
	}
}

// scanSearch is the search rule written as a scan of every paper, apart
// from any index: each word of query starts a word of the title or text
// when it is made of letters and digits, or appears verbatim otherwise;
// best first as SearchPapers orders.
func scanSearch(posts []*bot.Digest, query string, limit int) []string {
	return newScan(posts)(query, limit)
}

// newScan returns scanSearch over posts with each paper's lowercased title
// and text made once: testSearchLikeScan asks a hundred queries of the same
// archive, and lowering every paper's text again for each was most of the
// scan's time under -race.
func newScan(posts []*bot.Digest) func(query string, limit int) []string {
	type paperText struct {
		key, title, text string
		date             time.Time
		path             string
		idx              int
	}
	var papers []paperText
	for _, d := range posts {
		if d.Draft {
			continue
		}
		for j := range d.Papers {
			p := &d.Papers[j]
			title := strings.ToLower(p.Title)
			text := title
			for k := range p.Sections {
				text += "\n" + strings.ToLower(p.Sections[k].Name) + "\n" + strings.ToLower(p.Sections[k].Text())
			}
			papers = append(papers, paperText{fmt.Sprintf("%s#%d", d.Path, p.Number), title, text, d.Date, d.Path, j})
		}
	}
	type hit struct {
		key   string
		score int
		date  time.Time
		path  string
		idx   int
	}
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }
	in := func(s, w string) bool {
		if strings.IndexFunc(w, func(r rune) bool { return !isWord(r) }) >= 0 {
			return strings.Contains(s, w)
		}
		// Every place w occurs, until one starts a word.
		for i := 0; i+len(w) <= len(s); i++ {
			k := strings.Index(s[i:], w)
			if k < 0 {
				return false
			}
			i += k
			r, _ := utf8.DecodeLastRuneInString(s[:i])
			if i == 0 || !isWord(r) {
				return true
			}
		}
		return false
	}
	return func(query string, limit int) []string {
		words := strings.Fields(strings.ToLower(query))
		var hits []hit
		for _, p := range papers {
			ok, score := len(words) > 0, 1
			for _, w := range words {
				if !in(p.text, w) {
					ok = false
					break
				}
				if in(p.title, w) {
					score++
				}
			}
			if ok {
				hits = append(hits, hit{p.key, score, p.date, p.path, p.idx})
			}
		}
		sort.Slice(hits, func(i, j int) bool {
			a, b := hits[i], hits[j]
			switch {
			case a.score != b.score:
				return a.score > b.score
			case !a.date.Equal(b.date):
				return a.date.After(b.date)
			case a.path != b.path:
				return a.path > b.path
			}
			return a.idx < b.idx
		})
		var out []string
		for i := 0; i < len(hits) && i < limit; i++ {
			out = append(out, hits[i].key)
		}
		return out
	}
}

// testSearchLikeScan compares SearchPapers with scanSearch on a generated
// archive (several posts a day, drafts, Korean and English): what the index
// finds, and its order, must be what a scan of every paper finds.
func testSearchLikeScan(t *testing.T, s bot.Store) {
	posts := GenPosts(40, 6, day("2025-01-01", 8), 7)
	for i, d := range posts {
		// Two posts a day, one at the same time as the other.
		d.Date = day("2025-01-01", 8).AddDate(0, 0, i/2)
		d.Path = fmt.Sprintf("%s-%02d.md", d.Date.Format(time.DateOnly), i)
		if i%5 == 0 && len(d.Papers) > 1 {
			d.Papers[1].Title = "Sparse 확산 model: 95% snake_case"
		}
	}
	for _, d := range posts {
		save(t, s, d)
	}
	queries := []string{"sparse", "확산", "확", "희소", "희소성", "소성", "model", "mod", "odel", "95%", "snake_case", "e_c",
		"sparse 확산", "attention diffusion", "학습 데이터", "goal", "motivation 추론", "zzz", "a", "성능 효율 모델", ":", ".",
		// Five to eight words: title matches are counted, not asked level by level.
		"sparse 확산 model 95% snake_case", "sparse 확산 model 95% snake_case e_c", "sparse 확산 mod 95% _ 학습",
		"model 모델 데이터 학습 성능", "attention diffusion 모델 데이터 학습 성능", "learning reinforcement 모델 데이터 성능 학습 goal motivation"}
	// A new slice: appending to englishWords[:6] would write the Korean
	// words over englishWords[6:12], the list GenPosts draws from, while
	// other tests generate posts with it.
	for _, w := range slices.Concat(englishWords[:6], koreanWords[:6]) {
		queries = append(queries, w, string([]rune(w)[:2]))
	}
	scan := newScan(posts)
	found := 0
	for _, q := range queries {
		for _, limit := range []int{3, 1000} {
			got := searchKeys(t, s, q, limit)
			if want := strings.Join(scan(q, limit), " "); got != want {
				t.Errorf("SearchPapers(%q, %d):\n got %s\nwant %s", q, limit, got, want)
			}
			if got != "" {
				found++
			}
		}
	}
	if found < len(queries) {
		t.Errorf("only %d of %d searches found anything: the test compares too little", found, 2*len(queries))
	}
}

// testPutDeliveries: a store that batches deliveries (bot.DeliveryBatcher)
// stores each record as PutDelivery would, and refuses a batch with an
// invalid record whole.
func testPutDeliveries(t *testing.T, s bot.Store) {
	bs, ok := s.(bot.DeliveryBatcher)
	if !ok {
		t.Skip("the store has no PutDeliveries")
	}
	at := day("2025-09-30", 9)
	var batch []bot.Delivery
	for i := 0; i < 700; i++ {
		p := fmt.Sprintf("p%03d.md", i)
		batch = append(batch, bot.Delivery{Post: p, Target: "team", Key: "k-" + p, State: bot.DeliverySkipped, Hash: "h" + p,
			LastError: "skipped: dated before the catch-up window", UpdatedAt: at.Add(time.Duration(i) * time.Millisecond)})
	}
	batch[5].Refs = []bot.MessageRef{{Channel: "C", ID: "1"}}
	if err := bs.PutDeliveries(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.Deliveries(ctx, "")
	if err != nil || len(got) != len(batch) {
		t.Fatalf("Deliveries: %d, %v; want %d", len(got), err, len(batch))
	}
	for i := range batch {
		sameDelivery(t, &got[i], &batch[i])
	}
	bad := []bot.Delivery{{Post: "q.md", Target: "team", Key: "k", State: bot.DeliverySkipped}, {Post: "", Target: "team"}}
	if err := bs.PutDeliveries(ctx, bad); err == nil {
		t.Error("a batch with a record without a post was taken")
	}
	if _, err := s.Delivery(ctx, "q.md", "team"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("a refused batch left a record: %v", err)
	}
}

func testFiles(t *testing.T, s bot.Store) {
	files, err := s.Files(ctx)
	if err != nil || len(files) != 0 {
		t.Fatalf("Files(empty) = %v, %v", files, err)
	}
	mt := time.Date(2025, 9, 30, 8, 15, 1, 987654321, seoul)
	want := map[string]bot.FileState{
		"a.md":      {Path: "a.md", Size: 10, ModTime: mt, Hash: "ha"},
		"draft.md":  {Path: "draft.md", Size: 10, ModTime: mt, Hash: "hd", Draft: true},
		"b/c.md":    {Path: "b/c.md", Size: 0, ModTime: mt.Add(time.Nanosecond), Hash: "hb", Error: "b/c.md:3: no title"},
		"zero.md":   {Path: "zero.md"},
		"한글.md":     {Path: "한글.md", Size: 1 << 40, ModTime: mt, Hash: "hk"},
		"README.md": {Path: "README.md", Size: 5, ModTime: mt, Hash: "hr"},
	}
	for _, fs := range want {
		if err := s.SaveFile(ctx, fs); err != nil {
			t.Fatalf("SaveFile: %v", err)
		}
	}
	// Overwrite: a parse error is recorded, then cleared.
	upd := want["a.md"]
	upd.Error = "a.md: broken"
	if err := s.SaveFile(ctx, upd); err != nil {
		t.Fatal(err)
	}
	upd.Error = ""
	upd.Size = 11
	if err := s.SaveFile(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want["a.md"] = upd
	files, err = s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("Files has %d entries, want %d", len(files), len(want))
	}
	for p, w := range want {
		g, ok := files[p]
		if !ok {
			t.Errorf("Files lacks %s", p)
			continue
		}
		if g.Path != w.Path || g.Size != w.Size || g.Hash != w.Hash || g.Error != w.Error || !g.ModTime.Equal(w.ModTime) || g.ModTime.IsZero() != w.ModTime.IsZero() {
			t.Errorf("Files[%s] = %+v, want %+v", p, g, w)
		}
	}
	// SaveFile leaves the post alone.
	d := post("p.md", day("2025-09-28", 8), false, paper(1, "2509.00001", "Kept", "text"))
	save(t, s, d)
	if err := s.SaveFile(ctx, bot.FileState{Path: "p.md", Size: 1, Hash: "other", Error: "p.md:1: bad"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Paper(ctx, "2509.00001"); err != nil {
		t.Errorf("SaveFile dropped the post's papers: %v", err)
	}
	got, err := s.Post(ctx, "p.md")
	if err != nil {
		t.Fatal(err)
	}
	sameDigest(t, got, d)
}

func testDeleteFile(t *testing.T, s bot.Store) {
	d := post("p.md", day("2025-09-28", 8), false, paper(1, "2509.00001", "Gone", "text"))
	keep := post("q.md", day("2025-09-29", 8), false, paper(1, "2509.00002", "Kept", "text"))
	save(t, s, d, keep)
	del := &bot.Delivery{Post: "p.md", Target: "team", Key: "k", State: bot.DeliverySent, UpdatedAt: time.Now()}
	if err := s.PutDelivery(ctx, del); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFile(ctx, "p.md"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Post(ctx, "p.md"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("Post after delete: %v", err)
	}
	if _, err := s.Paper(ctx, "2509.00001"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("Paper after delete: %v", err)
	}
	if got := searchKeys(t, s, "text", 10); got != "q.md#1" {
		t.Errorf("search after delete = %q", got)
	}
	files, _ := s.Files(ctx)
	if _, ok := files["p.md"]; ok || len(files) != 1 {
		t.Errorf("Files after delete = %v", files)
	}
	if _, err := s.Delivery(ctx, "p.md", "team"); err != nil {
		t.Errorf("delivery lost with the file: %v", err)
	}
	// Deleting what is not there is no error.
	if err := s.DeleteFile(ctx, "nothing.md"); err != nil {
		t.Errorf("DeleteFile(unknown) = %v", err)
	}
	// A file without a post (it never parsed) can be deleted too.
	if err := s.SaveFile(ctx, bot.FileState{Path: "bad.md", Error: "bad.md: x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFile(ctx, "bad.md"); err != nil {
		t.Fatal(err)
	}
	if files, _ := s.Files(ctx); len(files) != 1 {
		t.Errorf("Files = %v, want q.md only", files)
	}
}

func sameDelivery(t *testing.T, got, want *bot.Delivery) {
	t.Helper()
	g, w := *got, *want
	if !g.UpdatedAt.Equal(w.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v", g.UpdatedAt, w.UpdatedAt)
	}
	g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}
	if len(g.Refs) == 0 && len(w.Refs) == 0 {
		g.Refs, w.Refs = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("delivery = %+v, want %+v", g, w)
	}
}

func testDeliveries(t *testing.T, s bot.Store) {
	_, err := s.Delivery(ctx, "p.md", "team")
	wantCode(t, err, bot.ENOTFOUND)
	base := time.Date(2025, 9, 30, 0, 15, 0, 123456789, time.UTC)
	a := &bot.Delivery{Post: "p.md", Target: "team", Key: "k1", State: bot.DeliverySending, Hash: "h1", Attempts: 1, UpdatedAt: base.Add(2 * time.Second)}
	b := &bot.Delivery{Post: "p.md", Target: "lab", Key: "k2", State: bot.DeliveryFailed, Hash: "h1", Attempts: 3, LastError: "429 too many", UpdatedAt: base.Add(time.Second)}
	c := &bot.Delivery{Post: "q.md", Target: "team", Key: "k3", State: bot.DeliverySkipped, UpdatedAt: base}
	for _, d := range []*bot.Delivery{a, b, c} {
		if err := s.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Delivery(ctx, "p.md", "team")
	if err != nil {
		t.Fatal(err)
	}
	sameDelivery(t, got, a)
	// Replace: sent, with refs.
	a2 := *a
	a2.State = bot.DeliverySent
	a2.Refs = []bot.MessageRef{{Channel: "C1", ID: "1727.0001"}, {Channel: "C1", ID: "1727.0002", Thread: "1727.0001"}}
	a2.UpdatedAt = base.Add(3 * time.Second)
	if err := s.PutDelivery(ctx, &a2); err != nil {
		t.Fatal(err)
	}
	got, err = s.Delivery(ctx, "p.md", "team")
	if err != nil {
		t.Fatal(err)
	}
	sameDelivery(t, got, &a2)
	ds, err := s.Deliveries(ctx, "p.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Target != "lab" || ds[1].Target != "team" {
		t.Errorf("Deliveries(p.md) = %+v, want lab then team", ds)
	} else {
		sameDelivery(t, &ds[1], &a2)
	}
	all, err := s.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range all {
		order = append(order, d.Post+"/"+d.Target)
	}
	if got, want := strings.Join(order, " "), "q.md/team p.md/lab p.md/team"; got != want {
		t.Errorf("Deliveries(all) = %s, want %s (oldest update first)", got, want)
	}
	if ds, err := s.Deliveries(ctx, "none.md"); err != nil || len(ds) != 0 {
		t.Errorf("Deliveries(none.md) = %v, %v", ds, err)
	}
}

func testLease(t *testing.T, s bot.Store) {
	const ttl = 300 * time.Millisecond
	lease := func(holder string) bool {
		t.Helper()
		ok, err := s.Lease(ctx, "sender", holder, ttl)
		if err != nil {
			t.Fatalf("Lease(%s): %v", holder, err)
		}
		return ok
	}
	if !lease("a") {
		t.Fatal("a cannot take a free lease")
	}
	if lease("b") {
		t.Fatal("b took a lease that a holds")
	}
	if !lease("a") {
		t.Fatal("a cannot renew its lease")
	}
	// Another name is another lease.
	if ok, err := s.Lease(ctx, "other", "b", ttl); err != nil || !ok {
		t.Fatalf("b cannot take another lease: %v %v", ok, err)
	}
	// b releasing a's lease does nothing.
	if err := s.ReleaseLease(ctx, "sender", "b"); err != nil {
		t.Fatal(err)
	}
	if lease("b") {
		t.Fatal("b took a's lease after releasing what it did not hold")
	}
	time.Sleep(ttl + 100*time.Millisecond)
	if !lease("b") {
		t.Fatal("b cannot take an expired lease")
	}
	if lease("a") {
		t.Fatal("a took the lease back from b")
	}
	if err := s.ReleaseLease(ctx, "sender", "b"); err != nil {
		t.Fatal(err)
	}
	if !lease("a") {
		t.Fatal("a cannot take a released lease")
	}
	if err := s.ReleaseLease(ctx, "unknown", "a"); err != nil {
		t.Errorf("releasing an unknown lease: %v", err)
	}
}

func testLeaseRace(t *testing.T, s bot.Store) {
	const n = 8
	var wg sync.WaitGroup
	won := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := fmt.Sprintf("replica-%d", i)
			ok, err := s.Lease(ctx, "race", h, time.Minute)
			if err != nil {
				t.Errorf("Lease(%s): %v", h, err)
			}
			if ok {
				won <- h
			}
		}()
	}
	wg.Wait()
	close(won)
	var winners []string
	for h := range won {
		winners = append(winners, h)
	}
	if len(winners) != 1 {
		t.Fatalf("%d holders won the lease: %v", len(winners), winners)
	}
}

func testMeta(t *testing.T, s bot.Store) {
	if v, err := s.Meta(ctx, "last_scan"); err != nil || v != "" {
		t.Fatalf("Meta(unknown) = %q, %v", v, err)
	}
	for _, v := range []string{"2025-09-30T00:00:00Z", "2025-10-01T00:00:00Z", ""} {
		if err := s.SetMeta(ctx, "last_scan", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Meta(ctx, "last_scan"); err != nil || got != v {
			t.Errorf("Meta = %q, %v; want %q", got, err, v)
		}
	}
}

// testConcurrent hammers one store from many goroutines: under -race it
// shows the implementation shares nothing unguarded, and every call must
// succeed (no "database is locked").
func testConcurrent(t *testing.T, s bot.Store) {
	const workers, rounds = 6, 10
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				path := fmt.Sprintf("w%d-%d.md", w, i%4)
				id := fmt.Sprintf("2509.%02d%03d", w, i)
				d := post(path, day("2025-09-01", w*24+i), false, paper(1, id, "Concurrent sparse", "희소성 text"))
				if err := s.SavePost(ctx, d, fileOf(d)); err != nil {
					t.Errorf("SavePost: %v", err)
					return
				}
				if _, err := s.Paper(ctx, bot.ArxivID(id)); err != nil {
					t.Errorf("Paper(%s): %v", id, err)
				}
				if _, err := s.SearchPapers(ctx, "희소 sparse", 5); err != nil {
					t.Errorf("SearchPapers: %v", err)
				}
				if err := s.PutDelivery(ctx, &bot.Delivery{Post: path, Target: "t", Key: path, State: bot.DeliverySent, UpdatedAt: time.Now()}); err != nil {
					t.Errorf("PutDelivery: %v", err)
				}
				if _, err := s.Lease(ctx, "sender", fmt.Sprint(w), time.Second); err != nil {
					t.Errorf("Lease: %v", err)
				}
				if err := s.SetMeta(ctx, fmt.Sprint("k", w), fmt.Sprint(i)); err != nil {
					t.Errorf("SetMeta: %v", err)
				}
				if _, err := s.Files(ctx); err != nil {
					t.Errorf("Files: %v", err)
				}
				if _, err := s.Posts(ctx); err != nil {
					t.Errorf("Posts: %v", err)
				}
				if i%5 == 4 {
					if err := s.DeleteFile(ctx, path); err != nil {
						t.Errorf("DeleteFile: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	ds, err := s.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != workers*4 {
		t.Errorf("%d deliveries, want %d", len(ds), workers*4)
	}
}

func testReopen(t *testing.T, open func() bot.Store) {
	s := open()
	d := post("p.md", day("2025-09-30", 8), false, paper(1, "2509.24006", "Survives", "희소성"))
	save(t, s, d)
	if err := s.SaveFile(ctx, bot.FileState{Path: "bad.md", Size: 3, ModTime: day("2025-09-30", 1), Error: "bad.md:1: x"}); err != nil {
		t.Fatal(err)
	}
	del := &bot.Delivery{Post: "p.md", Target: "team", Key: "k", State: bot.DeliverySent, Refs: []bot.MessageRef{{Channel: "C", ID: "1"}}, UpdatedAt: time.Now()}
	if err := s.PutDelivery(ctx, del); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta(ctx, "last_scan", "x"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Lease(ctx, "sender", "a", time.Minute); err != nil || !ok {
		t.Fatalf("Lease: %v %v", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, open)
	got, err := s.Post(ctx, "p.md")
	if err != nil {
		t.Fatalf("Post after reopen: %v", err)
	}
	sameDigest(t, got, d)
	if h, err := s.Paper(ctx, "2509.24006"); err != nil || h.Post.Path != "p.md" {
		t.Errorf("Paper after reopen: %+v %v", h, err)
	}
	if got := searchKeys(t, s, "희소", 5); got != "p.md#1" {
		t.Errorf("search after reopen = %q", got)
	}
	files, err := s.Files(ctx)
	if err != nil || len(files) != 2 || files["bad.md"].Error != "bad.md:1: x" {
		t.Errorf("Files after reopen = %v, %v", files, err)
	}
	gd, err := s.Delivery(ctx, "p.md", "team")
	if err != nil {
		t.Fatal(err)
	}
	sameDelivery(t, gd, del)
	if v, _ := s.Meta(ctx, "last_scan"); v != "x" {
		t.Errorf("Meta after reopen = %q", v)
	}
	if ok, _ := s.Lease(ctx, "sender", "b", time.Minute); ok {
		t.Error("a lease did not survive the reopen")
	}
}
