package api

import (
	"context"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// hoursOperations are the hours-of-operation operations (Amazon Connect API reference:
// CreateHoursOfOperation, DescribeHoursOfOperation, ListHoursOfOperations,
// UpdateHoursOfOperation, DeleteHoursOfOperation, CreateHoursOfOperationOverride,
// ListHoursOfOperationOverrides).
func hoursOperations() []operation {
	return []operation{
		{name: "CreateHoursOfOperation", pattern: "PUT /hours-of-operations/{InstanceId}", handle: (*Server).createHours},
		{name: "DescribeHoursOfOperation", pattern: "GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}", handle: (*Server).describeHours},
		{name: "ListHoursOfOperations", pattern: "GET /hours-of-operations-summary/{InstanceId}", handle: (*Server).listHours},
		{name: "UpdateHoursOfOperation", pattern: "POST /hours-of-operations/{InstanceId}/{HoursOfOperationId}", handle: (*Server).updateHours},
		{name: "DeleteHoursOfOperation", pattern: "DELETE /hours-of-operations/{InstanceId}/{HoursOfOperationId}", handle: (*Server).deleteHours},
		{name: "CreateHoursOfOperationOverride", pattern: "PUT /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides", handle: (*Server).createHoursOverride},
		{name: "ListHoursOfOperationOverrides", pattern: "GET /hours-of-operations/{InstanceId}/{HoursOfOperationId}/overrides", handle: (*Server).listHoursOverrides},
	}
}

// maxHoursOverrides is the most overrides one hours of operation has (administrator guide:
// "up to 50 overrides per hours of operation").
const maxHoursOverrides = 50

// weekdays are Connect's HoursOfOperationDays values.
var weekdays = map[string]time.Weekday{
	"SUNDAY": time.Sunday, "MONDAY": time.Monday, "TUESDAY": time.Tuesday, "WEDNESDAY": time.Wednesday,
	"THURSDAY": time.Thursday, "FRIDAY": time.Friday, "SATURDAY": time.Saturday,
}

// timeSliceJSON is Connect's HoursOfOperationTimeSlice (and OverrideTimeSlice).
type timeSliceJSON struct {
	Hours   *int `json:"Hours"`
	Minutes *int `json:"Minutes"`
}

// hoursConfigJSON is Connect's HoursOfOperationConfig (and HoursOfOperationOverrideConfig).
type hoursConfigJSON struct {
	Day       string         `json:"Day"`
	StartTime *timeSliceJSON `json:"StartTime"`
	EndTime   *timeSliceJSON `json:"EndTime"`
}

// hoursConfig turns a Config member into the router's periods; the router's Compile checks
// the ranges. Errors: InvalidParameterException naming the missing or unknown member.
func hoursConfig(in []hoursConfigJSON) ([]routing.HoursConfig, error) {
	if err := routing.CheckHoursConfigCount(len(in)); err != nil {
		return nil, err
	}
	out := make([]routing.HoursConfig, 0, len(in))
	for _, c := range in {
		day, ok := weekdays[c.Day]
		if !ok {
			return nil, apierr.InvalidParameter(fmt.Sprintf("Config Day must be one of SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, got %q", truncate(c.Day, 32)))
		}
		if c.StartTime == nil || c.EndTime == nil || c.StartTime.Hours == nil || c.StartTime.Minutes == nil || c.EndTime.Hours == nil || c.EndTime.Minutes == nil {
			return nil, apierr.InvalidParameter("Config entries need StartTime and EndTime, each with Hours and Minutes")
		}
		out = append(out, routing.HoursConfig{Day: day,
			Start: routing.TimeOfDay{Hours: *c.StartTime.Hours, Minutes: *c.StartTime.Minutes},
			End:   routing.TimeOfDay{Hours: *c.EndTime.Hours, Minutes: *c.EndTime.Minutes}})
	}
	return out, nil
}

var dayNames = [...]string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

func hoursConfigOut(cfg []routing.HoursConfig) []hoursConfigJSON {
	out := make([]hoursConfigJSON, 0, len(cfg))
	for _, c := range cfg {
		sh, sm, eh, em := c.Start.Hours, c.Start.Minutes, c.End.Hours, c.End.Minutes
		out = append(out, hoursConfigJSON{Day: dayNames[c.Day], StartTime: &timeSliceJSON{Hours: &sh, Minutes: &sm},
			EndTime: &timeSliceJSON{Hours: &eh, Minutes: &em}})
	}
	return out
}

type createHoursInput struct {
	Name                          *string           `json:"Name"`
	Description                   *string           `json:"Description"`
	TimeZone                      string            `json:"TimeZone"`
	Config                        []hoursConfigJSON `json:"Config"`
	ParentHoursOfOperationConfigs []any             `json:"ParentHoursOfOperationConfigs"`
	Tags                          map[string]string `json:"Tags"`
}

// createHours implements CreateHoursOfOperation (PUT /hours-of-operations/{InstanceId}). The
// time zone must be an IANA name time.LoadLocation knows; periods follow the router's rules
// (routing.HoursConfig).
func (s *Server) createHours(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in createHoursInput
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apierr.InvalidParameter("Name is required")
	}
	if in.Config == nil {
		return nil, apierr.InvalidParameter("Config is required")
	}
	if len(in.ParentHoursOfOperationConfigs) > 0 {
		return nil, unsupported("ParentHoursOfOperationConfigs")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	cfg, err := hoursConfig(in.Config)
	if err != nil {
		return nil, err
	}
	h := routing.HoursRecord{InstanceID: inst, ID: NewID(), Name: *in.Name, TimeZone: in.TimeZone, Config: cfg, Tags: tags, LastModified: s.now()}
	if in.Description != nil {
		h.Description = *in.Description
	}
	arn := s.resourceARN(inst, arnHours, h.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.CreateHoursOfOperation(ctx, tx, h) })
	if err != nil {
		return nil, err
	}
	return map[string]string{"HoursOfOperationId": h.ID, "HoursOfOperationArn": arn}, nil
}

func (s *Server) hoursJSON(h routing.HoursRecord) map[string]any {
	return withoutEmpty(map[string]any{
		"HoursOfOperationId": h.ID, "HoursOfOperationArn": s.resourceARN(h.InstanceID, arnHours, h.ID), "Name": h.Name,
		"Description": h.Description, "TimeZone": h.TimeZone, "Config": hoursConfigOut(h.Config), "Tags": h.Tags,
		"LastModifiedTime": epochSeconds(h.LastModified), "LastModifiedRegion": s.cfg.Region,
	}, "Description")
}

// describeHours implements DescribeHoursOfOperation.
func (s *Server) describeHours(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "HoursOfOperationId", inst, arnHours)
	if err != nil {
		return nil, err
	}
	var h routing.HoursRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		h, err = tx.GetHours(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"HoursOfOperation": s.hoursJSON(h)}, nil
}

// listHours implements ListHoursOfOperations (maxResults 1–1000, default 100).
func (s *Server) listHours(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "hours", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []routing.HoursRecord
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListHours(ctx, inst, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("hours", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, h := range page {
		items = append(items, map[string]any{"Id": h.ID, "Arn": s.resourceARN(inst, arnHours, h.ID), "Name": h.Name,
			"LastModifiedTime": epochSeconds(h.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["HoursOfOperationSummaryList"] = items
	return out, nil
}

// updateHours implements UpdateHoursOfOperation: each member given replaces the stored one;
// Config replaces the whole weekly schedule.
func (s *Server) updateHours(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "HoursOfOperationId", inst, arnHours)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name        *string           `json:"Name"`
		Description *string           `json:"Description"`
		TimeZone    *string           `json:"TimeZone"`
		Config      []hoursConfigJSON `json:"Config"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	var cfg []routing.HoursConfig
	if in.Config != nil {
		if cfg, err = hoursConfig(in.Config); err != nil {
			return nil, err
		}
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		return store.UpdateHoursOfOperation(ctx, tx, inst, id, s.now(), in.Name, in.Description, in.TimeZone, cfg)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// createHoursOverride implements CreateHoursOfOperationOverride for STANDARD overrides: on
// EffectiveFrom..EffectiveTill (YYYY-MM-DD, inclusive) Config replaces the weekly schedule; an
// empty Config closes those dates. The dates of two overrides of one hours may not overlap, so
// the override in force on a date is never ambiguous. Recurring overrides (RecurrenceConfig) and the OPEN and
// CLOSED override types are refused with InvalidParameterException. At most 50 overrides per
// hours of operation (ServiceQuotaExceededException).
func (s *Server) createHoursOverride(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	hoursID, err := s.pathResourceID(c, "HoursOfOperationId", inst, arnHours)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name             *string           `json:"Name"`
		Description      *string           `json:"Description"`
		Config           []hoursConfigJSON `json:"Config"`
		EffectiveFrom    string            `json:"EffectiveFrom"`
		EffectiveTill    string            `json:"EffectiveTill"`
		OverrideType     string            `json:"OverrideType"`
		RecurrenceConfig any               `json:"RecurrenceConfig"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, apierr.InvalidParameter("Name is required")
	}
	if err := checkNameDescription(in.Name, in.Description); err != nil {
		return nil, err
	}
	if in.OverrideType != "" && in.OverrideType != "STANDARD" {
		return nil, unsupported("OverrideType " + truncate(in.OverrideType, 32))
	}
	if in.RecurrenceConfig != nil {
		return nil, unsupported("RecurrenceConfig")
	}
	if in.Config == nil || in.EffectiveFrom == "" || in.EffectiveTill == "" {
		return nil, apierr.InvalidParameter("Config, EffectiveFrom and EffectiveTill are required")
	}
	cfg, err := hoursConfig(in.Config)
	if err != nil {
		return nil, err
	}
	o := routing.HoursOverrideRecord{InstanceID: inst, HoursID: hoursID, ID: NewID(), Name: *in.Name,
		EffectiveFrom: in.EffectiveFrom, EffectiveTill: in.EffectiveTill, Config: cfg}
	if in.Description != nil {
		o.Description = *in.Description
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		h, err := tx.GetHours(ctx, inst, hoursID)
		if err != nil {
			return err
		}
		existing, err := tx.ListHoursOverrides(ctx, inst, hoursID, "", maxHoursOverrides)
		if err != nil {
			return err
		}
		if len(existing) >= maxHoursOverrides {
			return apierr.New(apierr.CodeServiceQuotaExceeded, "hours of operation %s already has %d overrides", hoursID, maxHoursOverrides)
		}
		if _, err := routing.Compile(h.Definition([]routing.HoursOverrideRecord{o})); err != nil {
			return err
		}
		for _, e := range existing {
			if o.EffectiveFrom <= e.EffectiveTill && e.EffectiveFrom <= o.EffectiveTill {
				return apierr.InvalidParameter(fmt.Sprintf("override dates %s..%s overlap override %q (%s..%s)", o.EffectiveFrom, o.EffectiveTill, e.Name, e.EffectiveFrom, e.EffectiveTill))
			}
		}
		if err := tx.CreateHoursOverride(ctx, o); err != nil {
			return err
		}
		h.LastModified = s.now()
		return tx.UpdateHours(ctx, h)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"HoursOfOperationOverrideId": o.ID}, nil
}

// listHoursOverrides implements ListHoursOfOperationOverrides (maxResults 1–100, default 100).
func (s *Server) listHoursOverrides(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	hoursID, err := s.pathResourceID(c, "HoursOfOperationId", inst, arnHours)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "override", 100, 100)
	if err != nil {
		return nil, err
	}
	var (
		h    routing.HoursRecord
		page []routing.HoursOverrideRecord
	)
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if h, err = tx.GetHours(ctx, inst, hoursID); err != nil {
			return err
		}
		page, err = tx.ListHoursOverrides(ctx, inst, hoursID, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"LastModifiedTime": epochSeconds(h.LastModified), "LastModifiedRegion": s.cfg.Region}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("override", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, o := range page {
		items = append(items, withoutEmpty(map[string]any{
			"HoursOfOperationOverrideId": o.ID, "HoursOfOperationId": hoursID, "HoursOfOperationArn": s.resourceARN(inst, arnHours, hoursID),
			"Name": o.Name, "Description": o.Description, "Config": hoursConfigOut(o.Config), "EffectiveFrom": o.EffectiveFrom,
			"EffectiveTill": o.EffectiveTill, "OverrideType": "STANDARD",
		}, "Description"))
	}
	out["HoursOfOperationOverrideList"] = items
	return out, nil
}

// deleteHours implements DeleteHoursOfOperation (DELETE
// /hours-of-operations/{InstanceId}/{HoursOfOperationId}): the hours go with their
// overrides. Hours a queue uses are ResourceInUseException.
func (s *Server) deleteHours(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "HoursOfOperationId", inst, arnHours)
	if err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error { return store.DeleteHoursOfOperation(ctx, tx, inst, id) })
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
