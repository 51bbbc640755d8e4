package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
	"github.com/ringfence/ringfence/store/sqlite"
	"github.com/ringfence/ringfence/store/sqlstore"
)

// BenchmarkChatMessageStore measures durable chat message appends (one Update each, 32
// concurrent senders over 64 chats, group commit) without and with the transcript index
// entry of the message (a 14-word message, about half its words new to the chat), so the
// cost of the index shows as the ratio of the two. Run it with
//
//	go test -run '^$' -bench ChatMessageStore -benchtime 3s ./store/sqlite/
func BenchmarkChatMessageStore(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		name := "append"
		if indexed {
			name = "append+index"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ringfence.db"),
				sqlstore.Options{Hasher: keyring.NewHasher(secret.New([]byte("benchmark index key")))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now().UTC().Truncate(time.Millisecond)
			inst := instance.Instance{ID: "00000000-0000-4000-8000-0000000be4c4", Alias: "bench", IdentityManagementType: instance.IdentityManagementConnectManaged,
				Status: instance.StatusActive, CreatedTime: now, Tags: map[string]string{}}
			const chats = 64
			if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
				if err := tx.CreateInstance(ctx, inst); err != nil {
					return err
				}
				for i := range chats {
					if err := tx.CreateChat(ctx, chat.Chat{InstanceID: inst.ID, ContactID: fmt.Sprintf("chat-%d", i), InitialContactID: fmt.Sprintf("chat-%d", i),
						SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: now, ExpiresTime: now.Add(24 * time.Hour)}); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(16) // 32 senders on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					contactID := fmt.Sprintf("chat-%d", i%chats)
					it := chat.StoredItem{InstanceID: inst.ID, ContactID: contactID, ID: fmt.Sprintf("item-%d", i), Type: chat.TypeMessage,
						ContentType: chat.ContentTypePlain, ParticipantID: "p", ParticipantRole: chat.RoleCustomer,
						ContentCiphertext: make([]byte, 120), AbsoluteTime: now}
					var words []string
					if indexed {
						words = contact.TranscriptWords(fmt.Sprintf("Hello, my order %d has not arrived yet; could you check order %d and word%d please?", i%500, i%97, i%1000))
					}
					err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
						if _, err := tx.AppendChatItem(ctx, it); err != nil {
							return err
						}
						return tx.IndexTranscriptWords(ctx, inst.ID, contactID, chat.RoleCustomer, words)
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkTranscriptSearch measures SearchContacts with one transcript criterion over a
// day of 10,000 chat contacts, each with 20 customer words indexed: a word every contact has
// (the first page of 100 comes at once), a word 1 contact in 100 has, and a word none has
// (the search probes every contact of the range). Run it with
//
//	go test -run '^$' -bench TranscriptSearch ./store/sqlite/
func BenchmarkTranscriptSearch(b *testing.B) {
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
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	inst := instance.Instance{ID: "00000000-0000-4000-8000-0000000be4c5", Alias: "bench", IdentityManagementType: instance.IdentityManagementConnectManaged,
		Status: instance.StatusActive, CreatedTime: day, Tags: map[string]string{}}
	if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, inst) }); err != nil {
		b.Fatal(err)
	}
	const contacts = 10000
	for batch := 0; batch < contacts; batch += 500 {
		if err := s.Update(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			for i := batch; i < batch+500; i++ {
				at := day.Add(time.Duration(i) * 8 * time.Second)
				id := fmt.Sprintf("c0000000-0000-4000-8000-%012d", i)
				if err := tx.CreateContact(ctx, contact.Contact{InstanceID: inst.ID, ID: id, Channel: contact.ChannelChat,
					InitiationMethod: contact.InitiationAPI, State: contact.StateEnded, InitiationTimestamp: at, LastUpdateTimestamp: at}); err != nil {
					return err
				}
				if err := tx.CreateChat(ctx, chat.Chat{InstanceID: inst.ID, ContactID: id, InitialContactID: id,
					SupportedContentTypes: []string{chat.ContentTypePlain}, CreatedTime: at, ExpiresTime: at.Add(time.Hour)}); err != nil {
					return err
				}
				words := contact.TranscriptWords(fmt.Sprintf("hello my order %d has not arrived yet could you check it please rare%d thanks w%d w%d w%d w%d",
					i, i%100, i%7, i%11, i%13, i%17))
				if err := tx.IndexTranscriptWords(ctx, inst.ID, id, chat.RoleCustomer, words); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct{ name, text string }{{"every-contact", "arrived"}, {"1-in-100", "rare42"}, {"none", "refund"}} {
		b.Run(bc.name, func(b *testing.B) {
			q := contact.Query{Start: day, End: day.Add(24 * time.Hour), Limit: 100,
				Transcript: []contact.TranscriptCriterion{{ParticipantRole: contact.TranscriptRoleCustomer, Texts: [][]string{contact.TranscriptWords(bc.text)}}}}
			for b.Loop() {
				if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
					_, err := tx.SearchContacts(ctx, inst.ID, q)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
