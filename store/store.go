// Package store defines the persistence contract of Ringfence: one Store with transactions
// that expose each domain's store interface, and the audit gate. Two engines implement it:
// store/sqlite (embedded, the default) and store/postgres (cluster); store/storetest is the
// contract suite both must pass.
//
// Acknowledged means durable: Update and View return only after the change and its audit event
// are committed (SQLite: WAL with synchronous=FULL; PostgreSQL: default fsync). Concurrent
// callers are committed together (group commit), so durability costs one fsync per batch.
package store

import (
	"context"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
)

// Tx is a transaction. Inside Update it may read and write; inside View it is read-only and a
// write fails.
type Tx interface {
	instance.Store
	instance.SecurityKeyStore
	instance.PromptStore
	instance.DataProtectionStore
	instance.ApprovedOriginStore
	identity.KeyStore
	identity.UserDirectory
	identity.SecurityProfileStore
	identity.CredentialStore
	identity.TOTPSecretStore
	identity.TOTPStore
	identity.RecoveryCodeStore
	identity.RecoveryCodeWriter
	identity.SessionStore
	identity.SessionLister
	identity.AttemptStore
	identity.PasskeyStore
	identity.AuthProfileStore
	identity.SSOConfigStore
	identity.SSOLinkStore
	identity.SAMLReplayStore
	identity.EmergencyAccessStore
	flow.RecordStore
	extfn.Store
	contact.Store
	contact.ClientTokenStore
	routing.ConfigStore
	chat.Tx
	chat.WidgetStore
	// Setting returns a deployment-wide setting, or ok=false when unset.
	Setting(ctx context.Context, name string) (value string, ok bool, err error)
	// SetSettingOnce stores a deployment-wide setting unless it is already set, and returns the
	// value in force afterwards (the existing one when it was set).
	SetSettingOnce(ctx context.Context, name, value string) (string, error)
}

// Store is a database with the audit gate.
type Store interface {
	// Update runs fn in a write transaction and appends ev to the audit chain in the same
	// transaction, then commits. When fn returns an error its changes are rolled back, ev is
	// recorded with outcome failure and the error's code, and Update returns fn's error. When
	// the event cannot be made durable nothing is committed and Update returns an *apierr.Error
	// with code ServiceUnavailableException. ev may be nil for internal writes no request
	// caused. fn runs once, on the store's writer goroutine inside a shared batch: it must be
	// quick and must not have effects outside tx.
	Update(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx Tx) error) error
	// View runs fn in a read-only transaction, then appends ev durably. If ev cannot be made
	// durable, View returns ServiceUnavailableException and the caller must not use what fn
	// read. ev may be nil.
	View(ctx context.Context, ev *audit.Event, fn func(ctx context.Context, tx Tx) error) error
	// Record appends ev, whose outcome the caller has stamped, on its own: for a request that
	// ended before it reached the store (refused signature, throttled, invalid input). It
	// returns ServiceUnavailableException when ev cannot be made durable.
	Record(ctx context.Context, ev *audit.Event) error
	// ScanAudit walks the audit chain (see audit.Reader).
	ScanAudit(ctx context.Context, after int64, fn func(audit.Record) error) error
	// Close stops accepting work, finishes what was accepted and closes the database.
	Close() error
}

// EachFlowRecord calls fn for every flow (or module) of the instance, in ID order, a page at
// a time, until fn returns stop=true or an error.
func EachFlowRecord(ctx context.Context, tx Tx, instanceID string, kind flow.RecordKind, fn func(flow.Record) (stop bool, err error)) error {
	const page = 200
	after := ""
	for {
		recs, err := tx.ListFlowRecords(ctx, instanceID, kind, nil, after, page)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if stop, err := fn(r); stop || err != nil {
				return err
			}
		}
		if len(recs) < page {
			return nil
		}
		after = recs[len(recs)-1].ID
	}
}

// ChatTransactor adapts s to the transaction interface of the chat channel (store.Tx
// satisfies chat.Tx, and chat must not import this package).
func ChatTransactor(s Store) chat.Transactor { return chatTransactor{s} }

type chatTransactor struct{ s Store }

func (c chatTransactor) Update(ctx context.Context, ev *audit.Event, fn func(context.Context, chat.Tx) error) error {
	return c.s.Update(ctx, ev, func(ctx context.Context, tx Tx) error { return fn(ctx, tx) })
}

func (c chatTransactor) View(ctx context.Context, ev *audit.Event, fn func(context.Context, chat.Tx) error) error {
	return c.s.View(ctx, ev, func(ctx context.Context, tx Tx) error { return fn(ctx, tx) })
}

func (c chatTransactor) Record(ctx context.Context, ev *audit.Event) error {
	return c.s.Record(ctx, ev)
}
