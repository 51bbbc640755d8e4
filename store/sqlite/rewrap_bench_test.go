package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// BenchmarkRewrap measures `keys rewrap` on SQLite: 5,000 contacts, each with sealed
// attributes, customer endpoint and a 2 KB flow session (15,000 values); every iteration
// rotates the keyring and re-seals all of them in batches of 100 (one audited, durable
// transaction each). Beside it, the ceiling: Envelope.Rewrap alone on the same values.
// Run: go test -run '^$' -bench Rewrap -benchtime 3x ./store/sqlite/
func BenchmarkRewrap(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	kr, err := keyring.OpenLocal(keyring.DefaultPath(dir), keyring.LocalOptions{})
	if err != nil {
		b.Fatal(err)
	}
	env := keyring.NewEnvelope(kr, nil)
	s, err := sqlite.Open(ctx, filepath.Join(dir, "ringfence.db"), sqlstore.Options{Sealer: env})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const contacts = 5000
	inst := instance.Instance{ID: "00000000-0000-4000-8000-00000000be00", Alias: "bench", IdentityManagementType: instance.IdentityManagementConnectManaged,
		Status: instance.StatusActive, CreatedTime: time.Now().UTC().Truncate(time.Millisecond), Tags: map[string]string{}}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
		b.Fatal(err)
	}
	session := []byte(`{"history":"` + strings.Repeat("x", 2048) + `"}`)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := 0; i < contacts; i += 500 {
		err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			for j := i; j < i+500; j++ {
				c := contact.Contact{InstanceID: inst.ID, ID: fmt.Sprintf("c0000000-0000-4000-8000-%012d", j), Channel: contact.ChannelTask,
					InitiationMethod: contact.InitiationAPI, State: contact.StateInitiated, Name: "t",
					Attributes:          map[string]string{"tier": "gold", "account": fmt.Sprint(j)},
					CustomerEndpoint:    &contact.Endpoint{Type: "TELEPHONE_NUMBER", Address: "+14155550100"},
					InitiationTimestamp: now, LastUpdateTimestamp: now}
				if err := tx.CreateContact(ctx, c); err != nil {
					return err
				}
				if err := tx.PutFlowSession(ctx, inst.ID, c.ID, session); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var values int
	for b.Loop() {
		if _, err := kr.Rotate(ctx); err != nil {
			b.Fatal(err)
		}
		counts, err := s.RewrapSealed(ctx, sqlstore.RewrapOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range counts {
			values += c.Rewrapped
		}
	}
	b.ReportMetric(float64(values)/b.Elapsed().Seconds(), "values/s")
	// The ceiling: Envelope.Rewrap alone (open and seal in memory) on the same mix of values.
	b.StopTimer()
	aad := keyring.AAD{InstanceID: inst.ID, Table: "bench", RowID: "r", Column: "c"}
	var mix [][]byte
	for _, v := range [][]byte{[]byte(`{"account":"1","tier":"gold"}`), []byte(`{"Type":"TELEPHONE_NUMBER","Address":"+14155550100"}`), session} {
		ct, err := env.Seal(ctx, v, aad)
		if err != nil {
			b.Fatal(err)
		}
		mix = append(mix, ct)
	}
	start := time.Now()
	const calls = 3000
	for i := range calls {
		if _, err := env.Rewrap(ctx, mix[i%len(mix)], aad); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(calls/time.Since(start).Seconds(), "ceiling-rewrap-calls/s")
}
