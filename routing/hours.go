package routing

import (
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// TimeOfDay is a wall-clock time in an hours-of-operation time zone (Connect's
// HoursOfOperationTimeSlice: Hours 0–23, Minutes 0–59).
type TimeOfDay struct {
	Hours, Minutes int
}

func (t TimeOfDay) minutes() int { return t.Hours*60 + t.Minutes }

// HoursConfig is one open period of a weekday (Connect's HoursOfOperationConfig). End at or
// before Start means the period runs past midnight into the next day; End equal to Start
// means 24 hours.
type HoursConfig struct {
	Day        time.Weekday
	Start, End TimeOfDay
}

// HoursOverride replaces the standard hours on the dates EffectiveFrom..EffectiveTill
// (inclusive, "YYYY-MM-DD" in the hours' time zone), like Connect's
// HoursOfOperationOverride. When Closed is true the hours are closed all day on those dates;
// otherwise Config gives the open periods of those dates (a weekday absent from Config is
// closed). When overrides overlap, the first listed wins.
type HoursOverride struct {
	Name                         string
	EffectiveFrom, EffectiveTill string
	Closed                       bool
	Config                       []HoursConfig
}

// Hours is an hours-of-operation definition (Connect's HoursOfOperation; administrator guide
// "Set up hours of operation"). Check it with Compile.
type Hours struct {
	ID string
	// TimeZone is an IANA zone name ("America/New_York", "UTC"), loaded with
	// time.LoadLocation.
	TimeZone  string
	Config    []HoursConfig
	Overrides []HoursOverride
}

// CompiledHours is an Hours whose zone is loaded and dates parsed; IsOpen answers from it.
// It is immutable and safe for concurrent use.
type CompiledHours struct {
	def       Hours
	loc       *time.Location
	overrides []compiledOverride
}

type compiledOverride struct {
	from, till string // YYYY-MM-DD; compare as strings
	closed     bool
	config     []HoursConfig
}

const dateLayout = "2006-01-02"

// Compile checks h and loads its time zone. Errors are InvalidParameterException naming the
// field: an unknown zone, an hour outside 0–23 or minute outside 0–59, a day outside
// Sunday–Saturday, a date not in YYYY-MM-DD form or a range whose end precedes its start.
func Compile(h Hours) (*CompiledHours, error) {
	if h.ID == "" {
		return nil, apierr.InvalidParameter("hours of operation ID is required")
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil || h.TimeZone == "" {
		return nil, apierr.InvalidParameter(fmt.Sprintf("hours %q: unknown time zone %q", h.ID, h.TimeZone))
	}
	if err := checkHoursConfig(h.ID, h.Config); err != nil {
		return nil, err
	}
	c := &CompiledHours{def: h, loc: loc}
	for _, o := range h.Overrides {
		from, err1 := time.Parse(dateLayout, o.EffectiveFrom)
		till, err2 := time.Parse(dateLayout, o.EffectiveTill)
		if err1 != nil || err2 != nil {
			return nil, apierr.InvalidParameter(fmt.Sprintf("hours %q: override %q: dates must be YYYY-MM-DD", h.ID, o.Name))
		}
		if till.Before(from) {
			return nil, apierr.InvalidParameter(fmt.Sprintf("hours %q: override %q ends before it starts", h.ID, o.Name))
		}
		if err := checkHoursConfig(h.ID, o.Config); err != nil {
			return nil, err
		}
		c.overrides = append(c.overrides, compiledOverride{from: o.EffectiveFrom, till: o.EffectiveTill, closed: o.Closed, config: o.Config})
	}
	return c, nil
}

func checkHoursConfig(id string, cfg []HoursConfig) error {
	for _, p := range cfg {
		if p.Day < time.Sunday || p.Day > time.Saturday {
			return apierr.InvalidParameter(fmt.Sprintf("hours %q: day must be Sunday–Saturday, got %d", id, int(p.Day)))
		}
		for _, t := range []TimeOfDay{p.Start, p.End} {
			if t.Hours < 0 || t.Hours > 23 || t.Minutes < 0 || t.Minutes > 59 {
				return apierr.InvalidParameter(fmt.Sprintf("hours %q: time %02d:%02d out of range", id, t.Hours, t.Minutes))
			}
		}
	}
	return nil
}

// Definition returns the Hours c was compiled from.
func (c *CompiledHours) Definition() Hours { return c.def }

// periods returns the open periods that start on the local date d.
func (c *CompiledHours) periods(d time.Time) []HoursConfig {
	key := d.Format(dateLayout)
	cfg := c.def.Config
	for _, o := range c.overrides {
		if strings.Compare(key, o.from) >= 0 && strings.Compare(key, o.till) <= 0 {
			if o.closed {
				return nil
			}
			cfg = o.config
			break
		}
	}
	return cfg
}

// IsOpen reports whether the hours are open at instant t (any zone; it is converted to the
// hours' zone). A period is half open: open at Start, closed at End. This answers Connect's
// CheckHoursOfOperation flow action.
func (c *CompiledHours) IsOpen(t time.Time) bool {
	local := t.In(c.loc)
	m := local.Hour()*60 + local.Minute()
	for _, p := range c.periods(local) {
		if p.Day != local.Weekday() {
			continue
		}
		s, e := p.Start.minutes(), p.End.minutes()
		if e > s {
			if m >= s && m < e {
				return true
			}
		} else if m >= s { // runs past midnight (or all day when e == s)
			return true
		}
	}
	// Periods of yesterday that run past midnight into today.
	y := time.Date(local.Year(), local.Month(), local.Day()-1, 12, 0, 0, 0, c.loc)
	for _, p := range c.periods(y) {
		if p.Day != y.Weekday() {
			continue
		}
		s, e := p.Start.minutes(), p.End.minutes()
		if e <= s && m < e {
			return true
		}
		if e == s && m < s { // 24-hour period that started yesterday at s
			return true
		}
	}
	return false
}
