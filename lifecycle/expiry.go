package lifecycle

import (
	"context"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// Chat duration. Every chat ends ChatDurationInMinutes after it started (default 25 hours,
// at most 7 days, as Connect). Participants are refused the moment the duration runs out
// (the chat channel checks it on every call); the sweeper then ends the contact with
// DisconnectReason EXPIRED: a connected contact goes to after-contact work, any other ends
// and gets its contact record, and the chat records chat.ended and closes its sockets. The
// sweeper reads the expiries from storage, so chats that expired while the node was down
// end when it starts.

// DefaultChatSweepInterval is how often expired chats are looked for.
const DefaultChatSweepInterval = 30 * time.Second

// chatSweepBatch is how many expired chats of one instance one query returns.
const chatSweepBatch = 100

// sweepChats ends expired chats now and then every interval until ctx ends.
func (m *Manager) sweepChats(ctx context.Context) {
	d := m.cfg.ChatSweepInterval
	if d <= 0 {
		d = DefaultChatSweepInterval
	}
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := m.SweepExpiredChats(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("lifecycle: chat sweep", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepExpiredChats ends every chat of every instance whose duration has run out (see the
// chat duration notes above) and returns the first storage error it met. The Manager runs
// it on its own every ChatSweepInterval; calling it is only needed to end chats at once.
func (m *Manager) SweepExpiredChats(ctx context.Context) error {
	var first error
	after := ""
	for {
		var insts []instance.Instance
		err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			insts, err = tx.ListInstances(ctx, after, 100)
			return err
		})
		if err != nil {
			return err
		}
		for _, in := range insts {
			if err := m.sweepInstance(ctx, in.ID); err != nil && first == nil {
				first = err
			}
		}
		if len(insts) < 100 {
			return first
		}
		after = insts[len(insts)-1].ID
	}
}

func (m *Manager) sweepInstance(ctx context.Context, instanceID string) error {
	done := map[string]bool{}
	for ctx.Err() == nil {
		var ids []string
		err := m.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			ids, err = tx.ListExpiredChats(ctx, instanceID, m.now(), chatSweepBatch)
			return err
		})
		if err != nil {
			return err
		}
		progress := false
		for _, id := range ids {
			if done[id] {
				continue
			}
			done[id], progress = true, true
			m.expireChat(ctx, instanceID, id)
		}
		if len(ids) < chatSweepBatch || !progress {
			return nil
		}
	}
	return ctx.Err()
}

// expireChat ends an expired chat contact (EXPIRED), or, when its contact has already left
// the customer (ended, or in after-contact work), just the chat.
func (m *Manager) expireChat(ctx context.Context, instanceID, contactID string) {
	err := m.Stop(ctx, hostEvent("ChatExpired", instanceID, contactID), instanceID, contactID, "EXPIRED")
	if err == nil {
		return
	}
	if !apierr.HasCode(err, apierr.CodeResourceNotFound) {
		m.log.Warn("lifecycle: end expired chat", "instance_id", instanceID, "contact_id", contactID, "error", err.Error())
		return
	}
	if m.cfg.Chat != nil {
		if err := m.cfg.Chat.EndChat(ctx, instanceID, contactID, "EXPIRED"); err != nil {
			m.log.Warn("lifecycle: end expired chat", "instance_id", instanceID, "contact_id", contactID, "error", err.Error())
		}
	}
}
