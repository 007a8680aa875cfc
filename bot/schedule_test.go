package bot

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below must not depend on the machine's tzdata
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// mustExpectBy is ParseExpectBy for a rule the test knows to be valid.
func mustExpectBy(t testing.TB, rule string) ExpectBy {
	t.Helper()
	e, err := ParseExpectBy(rule)
	if err != nil {
		t.Fatalf("ParseExpectBy(%q): %v", rule, err)
	}
	return e
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestScheduleNext pins robfig/cron's Next for the zones paperbot is run in,
// including its behaviour across DST changes: a job in the hour a
// spring-forward skips does not run that day, and a job in the hour a
// fall-back repeats runs twice. Both are harmless for paperbot, whose scans
// are idempotent and whose catch_up window covers a day's delay, but they
// are pinned here so a library upgrade that changes them is noticed.
func TestScheduleNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec string
		from string // RFC 3339
		want []string
	}{
		{"seoul daily", "CRON_TZ=Asia/Seoul 30 9 * * *", "2025-09-30T00:00:00Z",
			[]string{"2025-09-30T00:30:00Z", "2025-10-01T00:30:00Z"}},
		{"seoul after today's run", "CRON_TZ=Asia/Seoul 30 9 * * *", "2025-09-30T00:30:00Z",
			[]string{"2025-10-01T00:30:00Z"}},
		{"seoul weekdays over a weekend", "CRON_TZ=Asia/Seoul 0 10 * * 1-5", "2025-10-03T02:00:00Z", // Fri 11:00 KST
			[]string{"2025-10-06T01:00:00Z"}}, // Mon 10:00 KST
		{"TZ= prefix", "TZ=Asia/Seoul 0 0 * * *", "2025-09-30T16:00:00Z",
			[]string{"2025-10-01T15:00:00Z"}},
		{"utc", "0 8 * * *", "2025-03-09T08:00:00Z",
			[]string{"2025-03-10T08:00:00Z"}},
		{"utc descriptor", "@daily", "2025-03-09T08:00:00Z",
			[]string{"2025-03-10T00:00:00Z"}},
		{"every", "@every 15m", "2025-03-09T08:00:00Z",
			[]string{"2025-03-09T08:15:00Z"}},
		{"descriptor with zone", "CRON_TZ=Asia/Seoul @daily", "2025-09-30T00:00:00Z",
			[]string{"2025-09-30T15:00:00Z"}},

		// America/New_York springs forward 2025-03-09 02:00 EST -> 03:00 EDT.
		{"new york 02:30 the day before", "CRON_TZ=America/New_York 30 2 * * *", "2025-03-08T06:00:00Z",
			[]string{"2025-03-08T07:30:00Z", "2025-03-10T06:30:00Z"}}, // 3/9 02:30 does not exist: skipped
		{"new york 09:30 across spring forward", "CRON_TZ=America/New_York 30 9 * * *", "2025-03-08T15:00:00Z",
			[]string{"2025-03-09T13:30:00Z", "2025-03-10T13:30:00Z"}}, // EDT from 3/9: an hour earlier in UTC
		{"new york hourly across spring forward", "CRON_TZ=America/New_York 0 * * * *", "2025-03-09T06:01:00Z",
			[]string{"2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z"}}, // 03:00 EDT, 04:00 EDT
		// America/New_York falls back 2025-11-02 02:00 EDT -> 01:00 EST.
		{"new york 01:30 on fall back", "CRON_TZ=America/New_York 30 1 * * *", "2025-11-01T12:00:00Z",
			[]string{"2025-11-02T05:30:00Z", "2025-11-02T06:30:00Z", "2025-11-03T06:30:00Z"}}, // 01:30 EDT and 01:30 EST
		{"new york 09:30 across fall back", "CRON_TZ=America/New_York 30 9 * * *", "2025-11-01T12:00:00Z",
			[]string{"2025-11-01T13:30:00Z", "2025-11-02T14:30:00Z"}},

		// Europe/Berlin: 2025-03-30 02:00 CET -> 03:00 CEST; 2025-10-26 03:00 CEST -> 02:00 CET.
		{"berlin 02:30 spring forward", "CRON_TZ=Europe/Berlin 30 2 * * *", "2025-03-29T12:00:00Z",
			[]string{"2025-03-31T00:30:00Z"}},
		{"berlin 02:30 fall back", "CRON_TZ=Europe/Berlin 30 2 * * *", "2025-10-25T12:00:00Z",
			[]string{"2025-10-26T00:30:00Z", "2025-10-26T01:30:00Z", "2025-10-27T01:30:00Z"}},
		{"berlin 08:00 weekdays", "CRON_TZ=Europe/Berlin 0 8 * * MON-FRI", "2025-10-24T07:00:00Z", // Fri 09:00 CEST
			[]string{"2025-10-27T07:00:00Z"}}, // Mon 08:00 CET
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := parseSchedule(tt.spec)
			if err != nil {
				t.Fatalf("parseSchedule(%q): %v", tt.spec, err)
			}
			at := utc(tt.from)
			for i, w := range tt.want {
				at = sched.Next(at)
				if !at.Equal(utc(w)) {
					t.Fatalf("Next #%d = %s (%s), want %s", i+1, at.UTC().Format(time.RFC3339), at, w)
				}
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{
		"",
		"   ",
		"CRON_TZ=Asia/Seoul",
		"TZ=Asia/Seoul",
		"CRON_TZ=Nowhere/Land 0 9 * * *",
		"61 9 * * *",
		"0 25 * * *",
		"* * *",
		"0 9 * * * *", // six fields: seconds are not part of the standard spec
		"@fortnightly",
		"@every banana",
		"CRON_TZ= 0 9 * * *",
	} {
		sched, err := parseSchedule(spec)
		if err == nil {
			t.Errorf("parseSchedule(%q) = %v, want an error", spec, sched)
			continue
		}
		if want := strings.TrimSpace(spec); !strings.Contains(err.Error(), want) {
			t.Errorf("parseSchedule(%q) error %q does not name the spec", spec, err)
		}
	}
}

func TestParseScheduleIn(t *testing.T) {
	t.Parallel()
	seoul := mustLoc(t, "Asia/Seoul")
	tests := []struct {
		spec string
		loc  *time.Location
		from string
		want string
	}{
		{"30 9 * * *", seoul, "2025-09-30T00:00:00Z", "2025-09-30T00:30:00Z"},
		{"30 9 * * *", nil, "2025-09-30T00:00:00Z", "2025-09-30T09:30:00Z"},
		// An explicit zone wins over the default.
		{"CRON_TZ=UTC 30 9 * * *", seoul, "2025-09-30T00:00:00Z", "2025-09-30T09:30:00Z"},
		{"@daily", seoul, "2025-09-30T00:00:00Z", "2025-09-30T15:00:00Z"},
	}
	for _, tt := range tests {
		sched, err := ParseScheduleIn(tt.spec, tt.loc)
		if err != nil {
			t.Fatalf("ParseScheduleIn(%q): %v", tt.spec, err)
		}
		// The caller's clock is in yet another zone: it must not matter.
		from := utc(tt.from).In(mustLoc(t, "America/New_York"))
		if got := sched.Next(from); !got.Equal(utc(tt.want)) {
			t.Errorf("ParseScheduleIn(%q, %v).Next = %s, want %s", tt.spec, tt.loc, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
	if _, err := ParseScheduleIn("nope", seoul); err == nil {
		t.Error("ParseScheduleIn(nope) succeeded")
	}
}

func days(ds ...time.Weekday) [7]bool {
	var out [7]bool
	for _, d := range ds {
		out[d] = true
	}
	return out
}

var (
	everyDay = days(time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday)
	workdays = days(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
)

func TestParseExpectBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   ExpectBy
		String string
	}{
		{"10:00 Mon-Fri", ExpectBy{10, 0, workdays}, "10:00 Mon-Fri"},
		{"09:30", ExpectBy{9, 30, everyDay}, "09:30"},
		{"9:30", ExpectBy{9, 30, everyDay}, "09:30"},
		{"  23:59   daily ", ExpectBy{23, 59, everyDay}, "23:59"},
		{"00:00 Mon,Wed,Fri", ExpectBy{0, 0, days(time.Monday, time.Wednesday, time.Friday)}, "00:00 Mon,Wed,Fri"},
		{"10:00 mon-wed,FRI", ExpectBy{10, 0, days(time.Monday, time.Tuesday, time.Wednesday, time.Friday)}, "10:00 Mon-Wed,Fri"},
		{"10:00 Fri-Mon", ExpectBy{10, 0, days(time.Friday, time.Saturday, time.Sunday, time.Monday)}, "10:00 Mon,Fri-Sun"},
		{"10:00 Sunday", ExpectBy{10, 0, days(time.Sunday)}, "10:00 Sun"},
		{"10:00 weekdays", ExpectBy{10, 0, workdays}, "10:00 Mon-Fri"},
		{"10:00 weekends", ExpectBy{10, 0, days(time.Saturday, time.Sunday)}, "10:00 Sat,Sun"},
		{"10:00 Mon-Sun", ExpectBy{10, 0, everyDay}, "10:00"},
		{"10:00 Tue-Tue", ExpectBy{10, 0, days(time.Tuesday)}, "10:00 Tue"},
	}
	for _, tt := range tests {
		got, err := ParseExpectBy(tt.in)
		if err != nil {
			t.Errorf("ParseExpectBy(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseExpectBy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.String {
			t.Errorf("ParseExpectBy(%q).String() = %q, want %q", tt.in, s, tt.String)
		}
		if again, err := ParseExpectBy(got.String()); err != nil || again != got {
			t.Errorf("ParseExpectBy(%q) does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
}

func TestParseExpectByErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "  ", "10", "10:0", "10:000", "24:00", "10:60", "-1:30", "+9:30", "1a:30",
		"10:00 Mon-Fri extra", "10:00 Funday", "10:00 Mon-", "10:00 Mon,,Fri", "10:00 -Fri",
		"10.00 Mon", "Mon-Fri 10:00", "10:00 Mon-Fri-Sat", "१०:00",
	} {
		got, err := ParseExpectBy(in)
		if err == nil {
			t.Errorf("ParseExpectBy(%q) = %+v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "expect_by") || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseExpectBy(%q) error %q does not name the setting and value", in, err)
		}
	}
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	seoul := mustLoc(t, "Asia/Seoul")
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name     string
		e        string
		day      time.Time
		loc      *time.Location
		want     string // RFC 3339 UTC
		expected bool
	}{
		{"seoul weekday", "10:00 Mon-Fri", utc("2025-09-30T03:00:00Z"), seoul, "2025-09-30T01:00:00Z", true},
		{"seoul saturday", "10:00 Mon-Fri", utc("2025-10-04T03:00:00Z"), seoul, "2025-10-04T01:00:00Z", false},
		// 20:00 UTC Monday is already Tuesday in Seoul: the day is Seoul's.
		{"seoul day from a utc instant", "10:00 Mon-Fri", utc("2025-09-29T20:00:00Z"), seoul, "2025-09-30T01:00:00Z", true},
		{"nil loc is the day's zone", "10:00", utc("2025-09-29T20:00:00Z").In(seoul), nil, "2025-09-30T01:00:00Z", true},
		{"utc", "09:30", utc("2025-09-30T23:59:00Z"), time.UTC, "2025-09-30T09:30:00Z", true},
		// New York, spring forward 2025-03-09 (a Sunday).
		{"ny day before spring forward", "10:00", utc("2025-03-08T12:00:00Z"), ny, "2025-03-08T15:00:00Z", true},
		{"ny spring forward day", "10:00", utc("2025-03-09T12:00:00Z"), ny, "2025-03-09T14:00:00Z", true},
		{"ny spring forward 02:30 does not exist", "02:30", utc("2025-03-09T12:00:00Z"), ny, "2025-03-09T07:30:00Z", true}, // 03:30 EDT
		{"ny spring forward 02:00 does not exist", "02:00", utc("2025-03-09T12:00:00Z"), ny, "2025-03-09T07:00:00Z", true}, // 03:00 EDT
		{"ny spring forward 03:00 exists", "03:00", utc("2025-03-09T12:00:00Z"), ny, "2025-03-09T07:00:00Z", true},
		{"ny spring forward 01:59", "01:59", utc("2025-03-09T12:00:00Z"), ny, "2025-03-09T06:59:00Z", true},
		// New York, fall back 2025-11-02: 01:30 happens twice; the first counts.
		{"ny fall back 01:30", "01:30", utc("2025-11-02T12:00:00Z"), ny, "2025-11-02T05:30:00Z", true},
		{"ny fall back 10:00", "10:00", utc("2025-11-02T12:00:00Z"), ny, "2025-11-02T15:00:00Z", true},
		{"ny fall back sunday not expected", "10:00 Mon-Fri", utc("2025-11-02T12:00:00Z"), ny, "2025-11-02T15:00:00Z", false},
		// Berlin: 2025-03-30 and 2025-10-26.
		{"berlin spring forward 02:30", "02:30", utc("2025-03-30T12:00:00Z"), berlin, "2025-03-30T01:30:00Z", true}, // 03:30 CEST
		{"berlin fall back 02:30", "02:30", utc("2025-10-26T12:00:00Z"), berlin, "2025-10-26T00:30:00Z", true},      // 02:30 CEST
		{"berlin monday after", "10:00 Mon-Fri", utc("2025-10-27T12:00:00Z"), berlin, "2025-10-27T09:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustExpectBy(t, tt.e)
			got, ok := e.Deadline(tt.day, tt.loc)
			if !got.Equal(utc(tt.want)) || ok != tt.expected {
				t.Errorf("Deadline(%s) = %s (%s), %v; want %s, %v", tt.day, got.UTC().Format(time.RFC3339), got, ok, tt.want, tt.expected)
			}
		})
	}
}

func TestNextDeadline(t *testing.T) {
	t.Parallel()
	seoul := mustLoc(t, "Asia/Seoul")
	e := mustExpectBy(t, "10:00 Mon-Fri")
	tests := []struct{ from, want string }{
		{"2025-09-30T00:00:00Z", "2025-09-30T01:00:00Z"}, // Tue 09:00 KST: today
		{"2025-09-30T01:00:00Z", "2025-10-01T01:00:00Z"}, // exactly at the deadline: strictly after
		{"2025-10-03T02:00:00Z", "2025-10-06T01:00:00Z"}, // Fri 11:00 KST: Monday
		{"2025-10-04T00:00:00Z", "2025-10-06T01:00:00Z"}, // Saturday
	}
	for _, tt := range tests {
		got, ok := e.NextDeadline(utc(tt.from), seoul)
		if !ok || !got.Equal(utc(tt.want)) {
			t.Errorf("NextDeadline(%s) = %s, %v; want %s", tt.from, got.UTC().Format(time.RFC3339), ok, tt.want)
		}
	}
	if _, ok := (ExpectBy{Hour: 10}).NextDeadline(utc("2025-09-30T00:00:00Z"), seoul); ok {
		t.Error("NextDeadline with no days reported a deadline")
	}
}

func FuzzParseExpectBy(f *testing.F) {
	for _, s := range []string{"10:00 Mon-Fri", "09:30", "10:00 Mon,Wed,Fri", "23:59 Fri-Mon", "10:00 weekdays", "24:00", "10:00 Mon-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpectBy(s)
		if err != nil {
			return
		}
		if e.Hour < 0 || e.Hour > 23 || e.Minute < 0 || e.Minute > 59 {
			t.Fatalf("ParseExpectBy(%q) = %+v: out of range", s, e)
		}
		again, err := ParseExpectBy(e.String())
		if err != nil || again != e {
			t.Fatalf("ParseExpectBy(%q).String() = %q does not round-trip: %+v, %v", s, e.String(), again, err)
		}
	})
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"CRON_TZ=Asia/Seoul 30 9 * * *", "@daily", "TZ=UTC", "0 9 * * 1-5", "@every 1h", "CRON_TZ=X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sched, err := parseSchedule(s) // must not panic
		if err == nil && sched == nil {
			t.Fatalf("parseSchedule(%q) = nil, nil", s)
		}
	})
}
