package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// BenchmarkRetention measures retention batches (store DeleteContactsBefore, one audited,
// durable Update each) of 50, 200 and 500 ended chat contacts, each stored with what a
// handled chat leaves: 5 flow-log entries, 3 indexed attributes, an agent's handled-contact
// entry, a contact record, a chat with 2 participants and a connection token, 20 messages,
// 40 transcript index entries and a ClientToken (about 75 rows per contact). ms/batch is how
// long a batch holds the store's single writer. Run it with
//
//	go test -run '^$' -bench Retention -benchtime 4x ./store/sqlite/
func BenchmarkRetention(b *testing.B) {
	for _, size := range []int{50, 200, 500} {
		b.Run(fmt.Sprintf("batch-%d", size), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			kr, err := keyring.OpenLocal(keyring.DefaultPath(dir), keyring.LocalOptions{})
			if err != nil {
				b.Fatal(err)
			}
			s, err := sqlite.Open(ctx, filepath.Join(dir, "ringfence.db"),
				sqlstore.Options{Sealer: keyring.NewEnvelope(kr, nil), Hasher: keyring.NewHasher(secret.New([]byte("benchmark index key")))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			old := time.Date(2023, 11, 21, 0, 0, 0, 0, time.UTC)
			inst := instance.Instance{ID: "00000000-0000-4000-8000-0000000be4c6", Alias: "bench", IdentityManagementType: instance.IdentityManagementConnectManaged,
				Status: instance.StatusActive, CreatedTime: old, Tags: map[string]string{}}
			if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
				b.Fatal(err)
			}
			total := size * b.N
			for first := 0; first < total; first += 100 {
				if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
					for i := first; i < min(first+100, total); i++ {
						if err := storeHandledChat(ctx, tx, inst.ID, i, old.Add(time.Duration(i)*time.Second)); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			deleted := 0
			for range b.N {
				ev := &audit.Event{Code: "records.retention", Actor: "system", Operation: "DeleteContactsBefore", Resource: "contacts"}
				if err := s.Update(ctx, ev, func(ctx context.Context, tx store.Tx) error {
					p, err := tx.DeleteContactsBefore(ctx, old.AddDate(1, 0, 0), size)
					deleted += p.Contacts
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if deleted != total {
				b.Fatalf("deleted %d contacts, want %d", deleted, total)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/batch")
			b.ReportMetric(float64(deleted)/b.Elapsed().Seconds(), "contacts/s")
		})
	}
}

// storeHandledChat stores contact n of inst, ENDED, as a handled chat leaves it.
func storeHandledChat(ctx context.Context, tx store.Tx, inst string, n int, at time.Time) error {
	id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", n)
	attrs := map[string]string{"tier": "gold", "order": fmt.Sprintf("A-%d", n), "lang": "en"}
	if err := tx.CreateContact(ctx, contact.Contact{InstanceID: inst, ID: id, Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		State: contact.StateEnded, Attributes: attrs, Agent: contact.AgentInfo{AgentID: fmt.Sprintf("agent-%d", n%50), ConnectedToAgentTimestamp: at},
		InitiationTimestamp: at, LastUpdateTimestamp: at}); err != nil {
		return err
	}
	if err := tx.IndexAttributes(ctx, inst, id, attrs); err != nil {
		return err
	}
	logs := make([][]byte, 5)
	for i := range logs {
		logs[i] = []byte(fmt.Sprintf(`{"ContactId":"%s","ContactFlowModuleType":"SetAttributes","Identifier":"block-%d"}`, id, i))
	}
	if err := tx.AppendFlowLogs(ctx, inst, id, at, logs); err != nil {
		return err
	}
	if err := tx.AppendContactRecord(ctx, contact.RecordEntry{InstanceID: inst, ContactID: id, LastUpdate: at, Initiated: at, Body: make([]byte, 1500)}); err != nil {
		return err
	}
	if err := tx.CreateChat(ctx, chat.Chat{InstanceID: inst, ContactID: id, InitialContactID: id,
		SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: at, ExpiresTime: at.Add(time.Hour)}); err != nil {
		return err
	}
	for i, role := range []chat.Role{chat.RoleCustomer, chat.RoleAgent} {
		pid := fmt.Sprintf("p%d-%s", i, id)
		if err := tx.CreateChatParticipant(ctx, chat.Participant{InstanceID: inst, ContactID: id, ParticipantID: pid, Role: role,
			DisplayNameCiphertext: make([]byte, 60), TokenHash: []byte(pid), JoinedTime: at, TokenExpiry: at.Add(time.Hour)}); err != nil {
			return err
		}
	}
	if err := tx.CreateChatConnection(ctx, chat.Connection{TokenHash: []byte("conn-" + id), Kind: chat.ConnectionCredentials, InstanceID: inst,
		ContactID: id, ParticipantID: "p0-" + id, CreatedTime: at, ExpiresTime: at.Add(time.Hour)}); err != nil {
		return err
	}
	for i := range 20 {
		role := []chat.Role{chat.RoleCustomer, chat.RoleAgent}[i%2]
		if _, err := tx.AppendChatItem(ctx, chat.StoredItem{InstanceID: inst, ContactID: id, ID: fmt.Sprintf("i%d-%s", i, id), Type: chat.TypeMessage,
			ContentType: chat.ContentTypePlain, ParticipantID: fmt.Sprintf("p%d-%s", i%2, id), ParticipantRole: role,
			ContentCiphertext: make([]byte, 120), AbsoluteTime: at.Add(time.Duration(i) * time.Second)}); err != nil {
			return err
		}
	}
	for _, role := range []chat.Role{chat.RoleCustomer, chat.RoleAgent} {
		words := make([]string, 20)
		for i := range words {
			words[i] = fmt.Sprintf("w%d", (n+i*7)%400)
		}
		if err := tx.IndexTranscriptWords(ctx, inst, id, role, words); err != nil {
			return err
		}
	}
	if err := tx.EndChat(ctx, inst, id, at.Add(time.Minute)); err != nil {
		return err
	}
	return tx.PutClientToken(ctx, contact.ClientToken{InstanceID: inst, Operation: "StartChatContact", Token: "token-" + id, ContactID: id,
		ParticipantID: "p0-" + id, CreatedTime: at}, time.Time{})
}
