package flow

import (
	"context"
	"time"
)

// RecordKind separates contact flows from flow modules; both live in one store.
type RecordKind string

// Record kinds.
const (
	KindFlow   RecordKind = "flow"
	KindModule RecordKind = "module"
)

// Noun names the kind in messages: "contact flow" or "flow module".
func (k RecordKind) Noun() string {
	if k == KindModule {
		return "flow module"
	}
	return "contact flow"
}

// Record is a stored contact flow or flow module of one instance, as the Connect API
// describes it (API_ContactFlow, API_ContactFlowModule).
type Record struct {
	InstanceID string
	// ID is a random UUID.
	ID   string
	Kind RecordKind
	// Name is unique per instance and kind; 1–512 characters.
	Name string
	// Type is the flow type (CONTACT_FLOW, CUSTOMER_QUEUE, ...); empty for modules.
	Type        string
	Description string
	// State is ACTIVE or ARCHIVED.
	State string
	// Status is PUBLISHED or SAVED.
	Status string
	// Content is the published Flow-language document ("" until first published).
	Content string
	// SavedContent is the latest saved document (equal to Content right after publishing).
	SavedContent string
	// Settings is a module's Settings JSON ("" for flows).
	Settings string
	// Version counts content changes, from 1.
	Version      int64
	Tags         map[string]string
	LastModified time.Time
}

// RecordState is a flow or module without its documents: what the checks before starting or
// transferring a contact into a flow read.
type RecordState struct {
	// Type is the flow type (CONTACT_FLOW, ...); empty for modules.
	Type string
	// State is ACTIVE or ARCHIVED.
	State string
	// Published is true once the record has been published (its Content is not empty).
	Published bool
}

// RecordStore persists flows and modules; every method is scoped by instance ID. Errors are
// *apierr.Error with ResourceNotFoundException for an unknown ID and DuplicateResourceException
// for a name in use.
type RecordStore interface {
	// CreateFlowRecord stores a new flow or module.
	CreateFlowRecord(ctx context.Context, r Record) error
	// GetFlowRecord returns the record of the given kind and ID in the instance.
	GetFlowRecord(ctx context.Context, instanceID string, kind RecordKind, id string) (Record, error)
	// GetFlowRecordState returns the type, state and published flag of the record of the
	// given kind and ID in the instance without reading its documents.
	GetFlowRecordState(ctx context.Context, instanceID string, kind RecordKind, id string) (RecordState, error)
	// ListFlowRecords returns up to limit records of a kind ordered by ID, after the ID given
	// ("" for the first page), restricted to the given types when types is not empty.
	ListFlowRecords(ctx context.Context, instanceID string, kind RecordKind, types []string, after string, limit int) ([]Record, error)
	// UpdateFlowRecord replaces every mutable field of an existing record.
	UpdateFlowRecord(ctx context.Context, r Record) error
	// DeleteFlowRecord removes a record.
	DeleteFlowRecord(ctx context.Context, instanceID string, kind RecordKind, id string) error
}
