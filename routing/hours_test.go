package routing

import (
	"testing"
	"time"
	_ "time/tzdata" // the test must not depend on the machine's zoneinfo
)

// TestHoursIsOpen checks CheckHoursOfOperation's answer. Source: Connect administrator guide,
// "Set up hours of operation" (time zone, per-day start/end, overrides) and the
// HoursOfOperationConfig / HoursOfOperationOverride shapes in the Connect API reference.
func TestHoursIsOpen(t *testing.T) {
	weekdays := func(start, end TimeOfDay) []HoursConfig {
		var c []HoursConfig
		for d := time.Monday; d <= time.Friday; d++ {
			c = append(c, HoursConfig{Day: d, Start: start, End: end})
		}
		return c
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	nineToFive := Hours{ID: "h", TimeZone: "America/New_York", Config: weekdays(TimeOfDay{9, 0}, TimeOfDay{17, 0})}
	overnight := Hours{ID: "h", TimeZone: "UTC", Config: []HoursConfig{{Day: time.Friday, Start: TimeOfDay{22, 0}, End: TimeOfDay{2, 0}}}}
	allDay := Hours{ID: "h", TimeZone: "UTC", Config: []HoursConfig{{Day: time.Sunday, Start: TimeOfDay{0, 0}, End: TimeOfDay{0, 0}}}}
	withHoliday := nineToFive
	withHoliday.Overrides = []HoursOverride{
		{Name: "Independence Day", EffectiveFrom: "2026-07-03", EffectiveTill: "2026-07-03", Closed: true},
		{Name: "Saturday sale", EffectiveFrom: "2026-07-04", EffectiveTill: "2026-07-04", Config: []HoursConfig{{Day: time.Saturday, Start: TimeOfDay{10, 0}, End: TimeOfDay{14, 0}}}},
	}
	tests := []struct {
		name  string
		hours Hours
		at    time.Time
		want  bool
	}{
		{"UTC inside", Hours{ID: "h", TimeZone: "UTC", Config: weekdays(TimeOfDay{9, 0}, TimeOfDay{17, 0})}, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), true},
		{"UTC end is exclusive", Hours{ID: "h", TimeZone: "UTC", Config: weekdays(TimeOfDay{9, 0}, TimeOfDay{17, 0})}, time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC), false},
		{"UTC weekend", Hours{ID: "h", TimeZone: "UTC", Config: weekdays(TimeOfDay{9, 0}, TimeOfDay{17, 0})}, time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), false},
		{"New York 9:00 EST is 14:00 UTC", nineToFive, time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), true},
		{"New York 8:59 EST", nineToFive, time.Date(2026, 3, 2, 13, 59, 0, 0, time.UTC), false},
		{"New York 9:00 EDT is 13:00 UTC after the DST change", nineToFive, time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC), true},
		{"New York 16:59 EDT", nineToFive, time.Date(2026, 3, 9, 16, 59, 0, 0, ny), true},
		{"New York Monday 12:00 UTC is Monday 8:00 EDT", nineToFive, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), false},
		{"overnight before midnight", overnight, time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC), true},
		{"overnight after midnight (Saturday)", overnight, time.Date(2026, 3, 7, 1, 59, 0, 0, time.UTC), true},
		{"overnight over", overnight, time.Date(2026, 3, 7, 2, 0, 0, 0, time.UTC), false},
		{"overnight not on Thursday night", overnight, time.Date(2026, 3, 5, 23, 0, 0, 0, time.UTC), false},
		{"start equals end is all day", allDay, time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC), true},
		{"all-day Sunday is not Monday", allDay, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), false},
		{"closed override on a Friday", withHoliday, time.Date(2026, 7, 3, 12, 0, 0, 0, ny), false},
		{"day after a closed override is normal", withHoliday, time.Date(2026, 7, 6, 12, 0, 0, 0, ny), true},
		{"open override on a Saturday", withHoliday, time.Date(2026, 7, 4, 11, 0, 0, 0, ny), true},
		{"open override hours end", withHoliday, time.Date(2026, 7, 4, 14, 0, 0, 0, ny), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.hours)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.IsOpen(tt.at); got != tt.want {
				t.Errorf("IsOpen(%v): got %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestHoursCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		hours Hours
		want  string
	}{
		{"no zone", Hours{ID: "h"}, `InvalidParameterException: hours "h": unknown time zone ""`},
		{"hour 24", Hours{ID: "h", TimeZone: "UTC", Config: []HoursConfig{{Day: time.Monday, End: TimeOfDay{24, 0}}}}, `InvalidParameterException: hours "h": time 24:00 out of range`},
		{"bad date", Hours{ID: "h", TimeZone: "UTC", Overrides: []HoursOverride{{Name: "x", EffectiveFrom: "2026-13-01", EffectiveTill: "2026-13-02"}}}, `InvalidParameterException: hours "h": override "x": dates must be YYYY-MM-DD`},
		{"reversed dates", Hours{ID: "h", TimeZone: "UTC", Overrides: []HoursOverride{{Name: "x", EffectiveFrom: "2026-02-02", EffectiveTill: "2026-02-01"}}}, `InvalidParameterException: hours "h": override "x" ends before it starts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.hours)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error: got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestQueueOpen(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.r.PutHours(Hours{ID: "weekdays", TimeZone: "UTC", Config: []HoursConfig{{Day: time.Monday, Start: TimeOfDay{8, 0}, End: TimeOfDay{18, 0}}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.r.PutQueue(Queue{ID: "q", HoursOfOperationID: "weekdays"}); err != nil {
		t.Fatal(err)
	}
	h.queue("always")
	for _, tt := range []struct {
		queue string
		at    time.Time
		want  bool
	}{
		{"q", t0, true},
		{"q", t0.Add(10 * time.Hour), false},
		{"always", t0.Add(10 * time.Hour), true},
	} {
		got, err := h.r.QueueOpen(tt.queue, tt.at)
		if err != nil || got != tt.want {
			t.Errorf("QueueOpen(%s, %v): got %v %v, want %v", tt.queue, tt.at, got, err, tt.want)
		}
	}
	if err := h.r.PutQueue(Queue{ID: "bad", HoursOfOperationID: "nope"}); err == nil {
		t.Error("queue with unknown hours accepted")
	}
}
