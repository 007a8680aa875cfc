// Command paperbot-loadgen measures the web API's latency under load from a process
// of its own. Paced mode is open-loop: c workers share a schedule of rate
// requests per second (worker w sends at start + (w + k*c)/rate), and
// latency counts from the scheduled instant, so a slow server cannot slow
// the load down and hide its queueing (no coordinated omission). -unpaced
// instead sends back-to-back from every worker and reports the most
// requests per second it got. Only loopback targets are accepted.
//
// The default client (-client raw) is a lean HTTP/1.1 keep-alive client, one
// connection per worker, like wrk's: the load generator shares the machine's
// cores with the server, so every microsecond it spends per request is taken
// from the server and shows up in the latency being measured. -client
// nethttp uses net/http's client instead, for comparison.
//
// Every raw client connects before the first measured request, warm-up or
// not: opening 200 connections at once is the load generator's start, not
// the server's latency. -ready waits for the server to say it is ready
// first, so that a run started with the server measures it from that
// moment rather than from when a script's own poll noticed.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type result struct {
	lat      []time.Duration // from the scheduled send (paced) or the send (unpaced)
	at       []time.Duration // when each request was due (paced) or sent, from the run's start
	service  []time.Duration // from the actual send
	errors   int
	firstErr error // the first transport error, to say what went wrong
	statuses map[int]int
	late     int // sends that started more than 1 ms after their slot
}

func run() error {
	base := flag.String("url", "", "server base URL, e.g. http://127.0.0.1:8080 (loopback only)")
	idsFile := flag.String("ids", "", "file of paper ids, one a line")
	idList := flag.String("id", "", "comma-separated paper ids (instead of -ids)")
	path := flag.String("path", "/api/papers/%s", "request path; %s is replaced by an id")
	conc := flag.Int("c", 200, "concurrent clients (connections)")
	rate := flag.Float64("rate", 5000, "requests per second in all, paced mode")
	dur := flag.Duration("d", 10*time.Second, "duration")
	unpaced := flag.Bool("unpaced", false, "send as fast as possible and report the throughput")
	warm := flag.Duration("warmup", time.Second, "unmeasured warm-up at the same load")
	clientKind := flag.String("client", "raw", "raw (lean HTTP/1.1, one connection per worker) or nethttp")
	cpuProfile := flag.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
	slice := flag.Duration("slice", 0, "also report p50/p99/max for each slice of this length (by when a request was due), e.g. 1s: how latency moves after a start")
	ready := flag.String("ready", "", "poll this path (e.g. /readyz) until it answers 200, then connect and start at once: latency from the moment the server says it is ready")
	readyWait := flag.Duration("ready-timeout", 5*time.Minute, "how long -ready waits")
	flag.Parse()

	if err := checkTarget(*base); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ids, err := loadIDs(*idsFile, *idList)
	if err != nil {
		return err
	}
	if *conc < 1 || (!*unpaced && *rate <= 0) {
		return errors.New("-c and -rate must be positive")
	}
	urls := make([]string, len(ids))
	for i, id := range ids {
		urls[i] = strings.TrimRight(*base, "/") + strings.Replace(*path, "%s", url.PathEscape(id), 1)
	}
	var newClient func() getter
	switch *clientKind {
	case "raw":
		targets, err := rawTargets(urls)
		if err != nil {
			return err
		}
		newClient = func() getter { return &rawClient{targets: targets, timeout: 10 * time.Second} }
	case "nethttp":
		newClient = netHTTPClients(urls, *conc)
	default:
		return fmt.Errorf("-client %q: want raw or nethttp", *clientKind)
	}
	if *ready != "" {
		waited, err := waitReady(strings.TrimRight(*base, "/")+*ready, *readyWait)
		if err != nil {
			return err
		}
		fmt.Printf("ready: %s answered 200 after %s of polling\n", *ready, waited.Round(time.Millisecond))
	}
	// The same clients, and so the same connections, serve the warm-up and
	// the measured run: connecting is not part of the measurement, even
	// with no warm-up, so every client connects before the first send.
	clients := make([]getter, *conc)
	for i := range clients {
		clients[i] = newClient()
		defer clients[i].close()
	}
	took, err := connectAll(clients)
	if err != nil {
		return err
	}
	fmt.Printf("connected: %d clients in %s\n", len(clients), took.Round(time.Millisecond))
	if *warm > 0 {
		attack(clients, len(urls), *rate, *warm, *unpaced)
	}
	start := time.Now()
	res := attack(clients, len(urls), *rate, *dur, *unpaced)
	elapsed := time.Since(start)
	if *slice > 0 {
		reportSlices(os.Stdout, res, *slice) // first: report sorts res.lat
	}
	report(res, elapsed, *conc, *rate, *unpaced)
	return nil
}

// waitReady polls url every 5 ms until it answers 200, and returns how
// long that took.
func waitReady(url string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	client := &http.Client{Timeout: time.Second}
	// The poll's keep-alive connection is not one of the run's clients.
	defer client.CloseIdleConnections()
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		if time.Since(start) > timeout {
			if err == nil {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			return 0, fmt.Errorf("-ready %s: not ready after %s: %w", url, timeout, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connectAll connects every client at once and returns how long it took.
func connectAll(clients []getter) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { errs[i] = c.connect(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	return time.Since(start), nil
}

// checkTarget refuses anything but plain HTTP to a loopback address: this
// tool must never load someone else's server.
func checkTarget(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", base)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %q: only loopback targets are allowed", base)
	}
	return nil
}

func loadIDs(file, list string) ([]string, error) {
	var ids []string
	if list != "" {
		for _, s := range strings.Split(list, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ids = append(ids, s)
			}
		}
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" {
				ids = append(ids, s)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("no ids: give -ids FILE or -id LIST")
	}
	return ids, nil
}

// attack runs a worker per client over n targets for d.
func attack(clients []getter, n int, rate float64, d time.Duration, unpaced bool) result {
	conc := len(clients)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	results := make([]result, conc)
	var wg sync.WaitGroup
	start := time.Now().Add(10 * time.Millisecond)
	period := time.Duration(float64(time.Second) * float64(conc) / rate)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := clients[w]
			r := &results[w]
			r.statuses = map[int]int{}
			capHint := int(d.Seconds()*rate/float64(conc)) + 16
			r.lat = make([]time.Duration, 0, capHint)
			r.service = make([]time.Duration, 0, capHint)
			r.at = make([]time.Duration, 0, capHint)
			// Spread ids so workers do not march in step over the same rows.
			next := w * 7919
			var timer *time.Timer
			slot := start.Add(time.Duration(float64(time.Second) * float64(w) / rate))
			for k := 0; ; k++ {
				if !unpaced {
					if wait := time.Until(slot); wait > 0 {
						if timer == nil {
							timer = time.NewTimer(wait)
						} else {
							timer.Reset(wait)
						}
						select {
						case <-ctx.Done():
							timer.Stop()
							return
						case <-timer.C:
						}
					} else if -wait > time.Millisecond {
						r.late++
					}
				}
				if ctx.Err() != nil {
					return
				}
				sent := time.Now()
				status, err := c.get(ctx, next%n)
				done := time.Now()
				next++
				if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
					return // the run ended mid-request: not a server error
				}
				from := sent
				if !unpaced {
					from = slot
					slot = slot.Add(period)
				}
				r.lat = append(r.lat, done.Sub(from))
				r.at = append(r.at, from.Sub(start))
				r.service = append(r.service, done.Sub(sent))
				if err != nil {
					r.errors++
					r.statuses[0]++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.statuses[status]++
				if status != http.StatusOK {
					r.errors++
				}
			}
		}(w)
	}
	wg.Wait()
	var all result
	all.statuses = map[int]int{}
	for _, r := range results {
		all.lat = append(all.lat, r.lat...)
		all.service = append(all.service, r.service...)
		all.at = append(all.at, r.at...)
		all.errors += r.errors
		if all.firstErr == nil {
			all.firstErr = r.firstErr
		}
		all.late += r.late
		for k, v := range r.statuses {
			all.statuses[k] += v
		}
	}
	return all
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// reportSlices prints the latency of the requests due in each slice of the
// run. It must run before report, which sorts r.lat (at[i] goes with
// lat[i]).
func reportSlices(w io.Writer, r result, slice time.Duration) {
	var bySlice [][]time.Duration
	for i, at := range r.at {
		k := max(int(at/slice), 0)
		for len(bySlice) <= k {
			bySlice = append(bySlice, nil)
		}
		bySlice[k] = append(bySlice[k], r.lat[i])
	}
	f := func(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }
	for k, lat := range bySlice {
		slices.Sort(lat)
		fmt.Fprintf(w, "slice %s-%s: requests %d  p50 %s  p99 %s  max %s\n", time.Duration(k)*slice, time.Duration(k+1)*slice,
			len(lat), f(pct(lat, 50)), f(pct(lat, 99)), f(pct(lat, 100)))
	}
}

func report(r result, elapsed time.Duration, conc int, rate float64, unpaced bool) {
	slices.Sort(r.lat)
	slices.Sort(r.service)
	n := len(r.lat)
	mode := fmt.Sprintf("paced %.0f req/s", rate)
	if unpaced {
		mode = "unpaced"
	}
	fmt.Printf("mode: %s, %d clients, %s\n", mode, conc, elapsed.Round(time.Millisecond))
	fmt.Printf("requests: %d, errors: %d, statuses: %v, achieved: %.0f req/s\n", n, r.errors, r.statuses, float64(n)/elapsed.Seconds())
	if r.firstErr != nil {
		fmt.Printf("first transport error (status 0): %v\n", r.firstErr)
	}
	f := func(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }
	label := "latency (from scheduled send)"
	if unpaced {
		label = "latency"
	}
	fmt.Printf("%s: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", label,
		f(pct(r.lat, 50)), f(pct(r.lat, 90)), f(pct(r.lat, 99)), f(pct(r.lat, 99.9)), f(pct(r.lat, 100)))
	if !unpaced {
		fmt.Printf("service time (from actual send): p50 %s  p99 %s  max %s; late sends (>1ms behind schedule): %d\n",
			f(pct(r.service, 50)), f(pct(r.service, 99)), f(pct(r.service, 100)), r.late)
	}
}
