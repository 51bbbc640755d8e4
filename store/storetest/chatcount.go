package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// testActiveChatCount checks CountActiveChats against a count of the chats themselves
// through a random run of starts, ends (also twice), expiries, rolled-back starts and an
// instance deletion; and that a limit checked with it holds exactly under concurrent starts.
func testActiveChatCount(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := newInstance("chat-count-a"), newInstance("chat-count-b")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	for _, in := range []instance.Instance{a, b} {
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, in) }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(inst string, at time.Time) int {
		t.Helper()
		var n int
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.CountActiveChats(ctx, inst, at)
			return err
		}); err != nil {
			t.Fatalf("CountActiveChats: %v", err)
		}
		return n
	}
	// want counts the stored chats one by one, as the definition says.
	want := func(inst string, at time.Time) int {
		t.Helper()
		rows := h.Query(t, s, `SELECT COUNT(*) FROM chats WHERE instance_id = ? AND ended_at_ms IS NULL AND expires_at_ms > ?`,
			inst, at.UnixMilli())
		defer rows.Close()
		var n int
		if !rows.Next() {
			t.Fatalf("count chats: %v", rows.Err())
		}
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(a.ID, chatTime(0)); got != 0 {
		t.Errorf("CountActiveChats of an instance without chats = %d, want 0", got)
	}

	mk := func(inst string, i int, expires time.Time) chat.Chat {
		id := fmt.Sprintf("count-%d", i)
		return chat.Chat{InstanceID: inst, ContactID: id, InitialContactID: id, SupportedContentTypes: []string{chat.ContentTypePlain},
			CreatedTime: chatTime(0), ExpiresTime: expires}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var started []chat.Chat
	for i := range 300 {
		inst := a.ID
		if i%5 == 0 {
			inst = b.ID
		}
		switch op := rng.IntN(10); {
		case op < 5 || len(started) == 0: // start, expiring somewhere in the first 100 s
			c := mk(inst, i, chatTime(1+rng.IntN(100)))
			if rng.IntN(8) == 0 {
				c.EndedTime = chatTime(0) // stored already ended
			}
			if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChat(ctx, c) }); err != nil {
				t.Fatalf("CreateChat: %v", err)
			}
			started = append(started, c)
		case op < 8: // end one, perhaps again
			c, at := started[rng.IntN(len(started))], chatTime(rng.IntN(100))
			if err := up(func(ctx context.Context, tx store.Tx) error {
				return tx.EndChat(ctx, c.InstanceID, c.ContactID, at)
			}); err != nil {
				t.Fatalf("EndChat: %v", err)
			}
		case op < 9: // a start rolled back with its caller's failure
			c := mk(inst, i, chatTime(100))
			err := up(func(ctx context.Context, tx store.Tx) error {
				if err := tx.CreateChat(ctx, c); err != nil {
					return err
				}
				return apierr.InvalidParameter("changed my mind")
			})
			wantCode(t, err, apierr.CodeInvalidParameter)
		default: // a duplicate start, refused
			c := started[rng.IntN(len(started))]
			wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreateChat(ctx, c) }), apierr.CodeDuplicateResource)
		}
		if i%25 == 0 {
			for _, inst := range []string{a.ID, b.ID} {
				for _, sec := range []int{0, 30, 60, 101} {
					if got, w := count(inst, chatTime(sec)), want(inst, chatTime(sec)); got != w {
						t.Fatalf("after %d operations: CountActiveChats(%ds) = %d, counted %d", i+1, sec, got, w)
					}
				}
			}
		}
	}
	for _, inst := range []string{a.ID, b.ID} {
		for _, sec := range []int{0, 50, 101} {
			if got, w := count(inst, chatTime(sec)), want(inst, chatTime(sec)); got != w {
				t.Errorf("CountActiveChats(%s, %ds) = %d, counted %d", inst, sec, got, w)
			}
		}
	}

	// Deleting the instance deletes its chats; an instance created again with its ID starts
	// from none.
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, b.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreateInstance(ctx, b) }); err != nil {
		t.Fatal(err)
	}
	if got := count(b.ID, chatTime(0)); got != 0 {
		t.Errorf("CountActiveChats of a re-created instance = %d, want 0", got)
	}

	// A limit checked with CountActiveChats in the transaction that starts the chat holds
	// exactly, however many start at once.
	const limit, tries = 10, 40
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, full int
	)
	for i := range tries {
		wg.Go(func() {
			c := mk(b.ID, 1000+i, chatTime(3600))
			err := up(func(ctx context.Context, tx store.Tx) error {
				n, err := tx.CountActiveChats(ctx, b.ID, chatTime(0))
				if err != nil {
					return err
				}
				if n >= limit {
					return apierr.New(apierr.CodeLimitExceeded, "full")
				}
				return tx.CreateChat(ctx, c)
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case apierr.HasCode(err, apierr.CodeLimitExceeded):
				full++
			default:
				t.Errorf("start: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != limit || full != tries-limit {
		t.Errorf("concurrent starts against a limit of %d: %d started, %d refused; want %d and %d", limit, ok, full, limit, tries-limit)
	}
	if got := count(b.ID, chatTime(0)); got != limit {
		t.Errorf("CountActiveChats after the concurrent starts = %d, want %d", got, limit)
	}
}
