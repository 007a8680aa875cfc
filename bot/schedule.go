package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parseSchedule parses a robfig/cron spec: the standard five fields, an
// optional CRON_TZ= (or TZ=) prefix, or a descriptor such as @daily or
// @every 1h. A spec without a zone is read in the zone of the time given to
// Next (cron.WithLocation decides it for a cron.Cron); ParseScheduleIn pins
// it instead. The error names the spec.
//
// Across DST changes robfig/cron skips a job whose time the spring-forward
// removes (02:30 in New York on 2025-03-09) and runs twice one whose time
// the fall-back repeats; both are harmless for paperbot's idempotent scans
// (schedule_test.go pins them).
func parseSchedule(spec string) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("schedule %q: empty spec", spec)
	}
	// robfig/cron slices past the zone up to the first space and panics when
	// there is none ("CRON_TZ=Asia/Seoul" alone); catch that here, and keep
	// a recover so no other malformed spec can take the process down.
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if !strings.ContainsAny(spec, " \t") {
			return nil, fmt.Errorf("schedule %q: a time zone but no schedule fields", spec)
		}
		// Tabs are not separators for the zone prefix in robfig/cron.
		spec = strings.Replace(spec, "\t", " ", 1)
	}
	if zone, _, _ := strings.Cut(spec, " "); strings.HasSuffix(zone, "=") {
		return nil, fmt.Errorf("schedule %q: empty time zone", spec)
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("schedule %q: malformed spec (%v)", spec, r)
		}
	}()
	sched, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return sched, nil
}

// ParseScheduleIn is parseSchedule with a default zone: a spec without a
// CRON_TZ= prefix runs in loc (nil: UTC) whatever zone the caller's clock
// reports. An explicit prefix wins.
func ParseScheduleIn(spec string, loc *time.Location) (cron.Schedule, error) {
	sched, err := parseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	if s, ok := sched.(*cron.SpecSchedule); ok && s.Location == time.Local {
		s.Location = loc
	}
	return sched, nil
}

// ExpectBy is the parsed `expect_by` setting: the time of day by which a
// new post should exist, and the weekdays on which one is expected.
//
// Accepted forms: "09:30" (every day), "10:00 Mon-Fri", "10:00 Mon,Wed,Fri",
// "10:00 Mon-Wed,Fri", "10:00 Fri-Mon" (a range may wrap past Sunday), and
// the words "daily", "weekdays" and "weekends". Day names are English,
// three letters or in full, any case.
type ExpectBy struct {
	Hour, Minute int
	// Days is indexed by time.Weekday: Days[time.Sunday] ... Days[time.Saturday].
	Days [7]bool
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseExpectBy parses an `expect_by` value such as "10:00 Mon-Fri". The
// error names the value and what is wrong with it.
func ParseExpectBy(s string) (ExpectBy, error) {
	var e ExpectBy
	bad := func(format string, args ...any) (ExpectBy, error) {
		return ExpectBy{}, fmt.Errorf("expect_by %q: %s", s, fmt.Sprintf(format, args...))
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return bad("empty; want a time like \"10:00\" and optional days like \"Mon-Fri\"")
	}
	if len(fields) > 2 {
		return bad("want a time and one list of days, like \"10:00 Mon-Fri\"")
	}
	hh, mm, ok := strings.Cut(fields[0], ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return bad("time %q is not HH:MM", fields[0])
	}
	var err error
	if e.Hour, err = atoiDigits(hh); err != nil || e.Hour > 23 {
		return bad("hour %q is not 0-23", hh)
	}
	if e.Minute, err = atoiDigits(mm); err != nil || e.Minute > 59 {
		return bad("minute %q is not 00-59", mm)
	}
	if len(fields) == 1 {
		for i := range e.Days {
			e.Days[i] = true
		}
		return e, nil
	}
	for part := range strings.SplitSeq(fields[1], ",") {
		switch strings.ToLower(part) {
		case "daily", "everyday":
			for i := range e.Days {
				e.Days[i] = true
			}
			continue
		case "weekdays":
			for d := time.Monday; d <= time.Friday; d++ {
				e.Days[d] = true
			}
			continue
		case "weekends":
			e.Days[time.Saturday], e.Days[time.Sunday] = true, true
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, ok := weekdayNames[strings.ToLower(from)]
		if !ok {
			return bad("%q is not a day (want Mon, Tue, ... or a range like Mon-Fri)", from)
		}
		b := a
		if isRange {
			if b, ok = weekdayNames[strings.ToLower(to)]; !ok {
				return bad("%q is not a day (want Mon, Tue, ... or a range like Mon-Fri)", to)
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			e.Days[d] = true
			if d == b {
				break
			}
		}
	}
	return e, nil
}

// atoiDigits is strconv.Atoi for ASCII digits only (no sign, no spaces).
func atoiDigits(s string) (int, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// Deadline returns the expect_by deadline on the calendar day of day as
// seen in loc (nil: day's own zone), and whether a post is expected on
// that weekday at all.
//
// Across a DST change the deadline keeps its wall-clock time. A deadline
// that falls in the hour a spring-forward skips is moved forward by the
// length of the gap (02:30 becomes 03:30), so it never fires early; one in
// the hour a fall-back repeats is the first of the two instants.
func (e ExpectBy) Deadline(day time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = day.Location()
	}
	y, m, d := day.In(loc).Date()
	t := wallClock(y, m, d, e.Hour, e.Minute, loc)
	return t, e.Days[t.Weekday()]
}

// wallClock is time.Date made deterministic across DST changes: time.Date
// may pick either instant of a repeated wall time and, for one inside a
// spring-forward gap, lands before the gap. wallClock picks the earlier of
// two repeated instants and moves a skipped time forward past the gap.
func wallClock(y int, m time.Month, d, hour, minute int, loc *time.Location) time.Time {
	want := time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
	t := time.Date(y, m, d, hour, minute, 0, 0, loc)
	// Try the offsets in force a day either side: no zone changes twice in
	// a day, so these include both sides of any change affecting t.
	var best time.Time
	for _, probe := range []time.Time{t.Add(-24 * time.Hour), t, t.Add(24 * time.Hour)} {
		_, off := probe.Zone()
		c := want.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(c, want) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best
	}
	// A skipped wall time: t is before the gap; comparing as UTC wall
	// clocks also covers zones whose gap is at midnight, where the day
	// itself slips back.
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	if diff := want.Sub(got); diff > 0 {
		t = t.Add(diff)
	}
	return t
}

func sameWall(t, want time.Time) bool {
	y, m, d := t.Date()
	wy, wm, wd := want.Date()
	return y == wy && m == wm && d == wd && t.Hour() == want.Hour() && t.Minute() == want.Minute()
}

// NextDeadline returns the first expected deadline strictly after t, in
// loc (nil: t's zone); false when no weekday is expected.
func (e ExpectBy) NextDeadline(t time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = t.Location()
	}
	y, m, d := t.In(loc).Date()
	// Eight days cover a full week plus today when today's deadline passed.
	for i := range 8 {
		dl, ok := e.Deadline(time.Date(y, m, d+i, 12, 0, 0, 0, loc), loc)
		if ok && dl.After(t) {
			return dl, true
		}
	}
	return time.Time{}, false
}

// String formats e the way ParseExpectBy reads it, e.g. "10:00 Mon-Fri" or
// "09:30" for every day.
func (e ExpectBy) String() string {
	clock := fmt.Sprintf("%02d:%02d", e.Hour, e.Minute)
	all, none := true, true
	for _, on := range e.Days {
		all = all && on
		none = none && !on
	}
	if all {
		return clock
	}
	if none {
		return clock + " never"
	}
	// Runs of consecutive days from Monday, so Mon-Fri reads as a range.
	var parts []string
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	for i := 0; i < len(order); {
		if !e.Days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < len(order) && e.Days[order[j+1]] {
			j++
		}
		name := order[i].String()[:3]
		switch {
		case j == i:
		case j == i+1:
			name += "," + order[j].String()[:3]
		default:
			name += "-" + order[j].String()[:3]
		}
		parts = append(parts, name)
		i = j + 1
	}
	return clock + " " + strings.Join(parts, ",")
}
