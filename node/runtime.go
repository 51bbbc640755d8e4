package node

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ringfence/ringfence/agentapi"
	"github.com/ringfence/ringfence/api"
	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/lifecycle"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// Runtime is the node's contact runtime: the lifecycle manager that runs contacts, the chat
// channel they talk through, and the hub that brings router events to agents' desktops,
// wired to each other.
type Runtime struct {
	Contacts *lifecycle.Manager
	Chat     *chat.Service
	// Agents delivers router events to the agent API's event WebSockets; it is registered as
	// a notifier.
	Agents    *agentapi.Hub
	mu        sync.RWMutex
	notifiers []lifecycle.Notifier
}

// AddNotifier registers a receiver of the router events of every instance (agents'
// desktops, supervisors). It must not block.
func (rt *Runtime) AddNotifier(x lifecycle.Notifier) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.notifiers = append(rt.notifiers, x)
}

// Runtime returns the node's contact runtime, built on first use; Serve runs it.
func (n *Node) Runtime() (*Runtime, error) { return n.runtime() }

// runtime builds the node's Runtime once.
func (n *Node) runtime() (*Runtime, error) {
	n.rtOnce.Do(func() { n.rt, n.rtErr = n.buildRuntime() })
	return n.rt, n.rtErr
}

func (n *Node) buildRuntime() (*Runtime, error) {
	rt := &Runtime{Agents: agentapi.NewHub(agentapi.HubConfig{Logger: n.Config.Logger})}
	rt.AddNotifier(rt.Agents)
	provider := inputcrypt.NewProvider()
	fns, err := n.functions()
	if err != nil {
		return nil, err
	}
	m, err := lifecycle.New(lifecycle.Config{
		Store: n.Store, Region: n.Config.Region, AccountID: n.AccountID, Functions: fns,
		Encryptors: func(instanceID, contactID string) flow.InputEncryptor {
			return provider.ForContact(instanceID, contactID)
		},
		Routing:  routingSource{st: n.Store},
		Chat:     chatOutput{rt: rt},
		Notifier: notifiers{rt: rt},
		// Flow logs hash sensitive values with a key derived from the keyring's keyed-hash key.
		LogKey: secret.New([]byte(n.Keyring.Hasher().Sum(secret.New([]byte("ringfence flow-log key v1"))))),
		Logger: n.Config.Logger,
	})
	if err != nil {
		return nil, err
	}
	svc, err := chat.New(chat.Config{Store: store.ChatTransactor(n.Store), Secrets: n.Secrets, NewID: api.NewID,
		Events: chatInput{m: m}, Logger: n.Config.Logger})
	if err != nil {
		return nil, err
	}
	rt.Contacts, rt.Chat = m, svc
	return rt, nil
}

// functions returns what the node's flows call external functions through: the associations
// stored per instance, endpoints reached through the guarded egress client (verified with
// Config.FunctionsCAFile when set), and the standard built-ins.
func (n *Node) functions() (*lifecycle.StoreFunctions, error) {
	base, err := n.functionEgress()
	if err != nil {
		return nil, err
	}
	return lifecycle.NewStoreFunctions(n.Store, base, extfn.StandardBuiltins(), extfn.InvokerOptions{})
}

// functionEgress is the egress configuration external function endpoints are called with.
func (n *Node) functionEgress() (egress.Config, error) {
	base := egress.Config{UserAgent: "ringfence-functions"}
	if f := n.Config.FunctionsCAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return base, fmt.Errorf("functions CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return base, fmt.Errorf("functions CA file %s holds no PEM certificate", f)
		}
		base.RootCAs = pool
	}
	return base, nil
}

// routingSource reads an instance's routing configuration and agents from the store.
type routingSource struct{ st store.Store }

// RoutingSnapshot implements lifecycle.RoutingSource: the stored hours, queues and routing
// profiles, and every user whose current status is not offline, as an agent of their routing
// profile.
func (s routingSource) RoutingSnapshot(ctx context.Context, instanceID string) (routing.Snapshot, error) {
	var snap routing.Snapshot
	err := s.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		r := routing.New(routing.Config{})
		if _, err := routing.LoadConfig(ctx, tx, instanceID, r); err != nil {
			return err
		}
		snap = r.Snapshot()
		return store.EachUser(ctx, tx, instanceID, func(u identity.User) (bool, error) {
			us, err := tx.GetUserStatus(ctx, instanceID, u.ID)
			if apierr.HasCode(err, apierr.CodeResourceNotFound) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			st, err := tx.GetAgentStatus(ctx, instanceID, us.AgentStatusID)
			if err != nil || st.Type == routing.StatusOffline {
				return false, nil
			}
			snap.Agents = append(snap.Agents, routing.AgentSnapshot{ID: u.ID, RoutingProfileID: u.RoutingProfileID, Status: st.AgentStatus, AvailableSince: us.Since})
			return false, nil
		})
	})
	return snap, err
}

// AgentRoutingProfile implements lifecycle.AgentDirectory: the routing profile of a user who
// has not chosen a status since the router was built, so contacts can wait in their agent
// queue.
func (s routingSource) AgentRoutingProfile(ctx context.Context, instanceID, agentID string) (string, error) {
	var profile string
	err := s.st.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, instanceID, agentID)
		profile = u.RoutingProfileID
		return err
	})
	return profile, err
}

// chatOutput delivers flow messages to chat contacts.
type chatOutput struct{ rt *Runtime }

func (c chatOutput) PostFlowMessages(ctx context.Context, instanceID, contactID string, messages []flow.Message) error {
	var errs []error
	for _, msg := range messages {
		text := msg.Text
		if text == "" {
			continue
		}
		var err error
		if len(msg.Options) > 0 {
			// A menu: quick-reply buttons for clients that declared interactive messages.
			_, err = c.rt.Chat.PostSystemMenu(ctx, instanceID, contactID, text, msg.Options)
		} else {
			_, err = c.rt.Chat.PostSystem(ctx, instanceID, contactID, chat.SystemMessage{ContentType: "text/plain", Content: text})
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c chatOutput) EndChat(ctx context.Context, instanceID, contactID, _ string) error {
	err := c.rt.Chat.EndChat(ctx, instanceID, contactID)
	if apierr.HasCode(err, apierr.CodeAccessDenied) || apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return nil // already ended, or never started
	}
	return err
}

// chatInput turns customer activity in a chat into contact events.
type chatInput struct{ m *lifecycle.Manager }

func (c chatInput) CustomerMessage(ctx context.Context, instanceID, contactID string, item chat.Item) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// A message that arrives while no flow waits for input (queued, with an agent) is only
	// part of the transcript.
	_ = c.m.CustomerInput(ctx, instanceID, contactID, item.Content)
}

// AwaitsSecureInput implements chat.SecureInputs: a message answering a flow that stores
// the input goes to the flow only.
func (c chatInput) AwaitsSecureInput(instanceID, contactID string) bool {
	return c.m.AwaitsSecureInput(instanceID, contactID)
}

func (c chatInput) SecureInput(ctx context.Context, instanceID, contactID string, content secret.Value[string]) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// A flow no longer waiting for it drops the input: it is never used as ordinary input.
	_ = c.m.SecureInput(ctx, instanceID, contactID, content)
}

func (c chatInput) ParticipantLeft(ctx context.Context, instanceID, contactID, _ string, role chat.Role) {
	if role != chat.RoleCustomer {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ev := hostEvent("host.customer_left", "StopContact", instanceID, fmt.Sprintf("contact/%s", contactID))
	_ = c.m.Stop(ctx, ev, instanceID, contactID, "CUSTOMER_DISCONNECT")
}

// notifiers fans router events out to every registered notifier.
type notifiers struct{ rt *Runtime }

func (n notifiers) Notify(instanceID string, events []routing.Event) {
	n.rt.mu.RLock()
	defer n.rt.mu.RUnlock()
	for _, x := range n.rt.notifiers {
		x.Notify(instanceID, events)
	}
}
