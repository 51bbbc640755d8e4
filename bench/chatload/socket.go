package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/channel/chat"
)

// socket is one participant's chat WebSocket, as amazon-connect-chatjs holds it: subscribed to
// aws/chat, beating aws/heartbeat. It is leaner than participantclient.Subscription (no
// buffered channels): every item goes to a callback on the socket's one reading goroutine,
// so thousands of sockets fit in one load generator.
type socket struct {
	conn   *websocket.Conn
	open   atomic.Bool
	closed chan struct{}

	mu  sync.Mutex
	err error
}

// wireItem is the part of a transcript item the load generator reads from an aws/chat frame.
type wireItem struct {
	ID              string `json:"Id"`
	Type            string `json:"Type"`
	ContentType     string `json:"ContentType"`
	Content         string `json:"Content"`
	ParticipantRole string `json:"ParticipantRole"`
}

// dialSocket opens the WebSocket at url (a Websocket.Url), subscribes to aws/chat, waits for
// the success answer and then calls onItem, on the socket's reading goroutine, with the
// receive time of every chat item until the socket closes.
func dialSocket(ctx context.Context, hc *http.Client, url string, onItem func(it wireItem, at time.Time)) (*socket, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("dial websocket: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/subscribe","content":{"topics":["`+chat.TopicChat+`"]}}`)); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	s := &socket{conn: conn, closed: make(chan struct{})}
	subscribed := make(chan error, 1)
	go s.read(onItem, subscribed)
	select {
	case err := <-subscribed:
		if err != nil {
			conn.CloseNow()
			return nil, err
		}
	case <-ctx.Done():
		conn.CloseNow()
		return nil, ctx.Err()
	}
	s.open.Store(true)
	return s, nil
}

// frame is an aws/... frame the server sends.
type frame struct {
	Topic   string          `json:"topic"`
	Content json.RawMessage `json:"content"`
}

func (s *socket) read(onItem func(wireItem, time.Time), subscribed chan<- error) {
	defer close(s.closed)
	defer s.open.Store(false)
	waiting := true
	for {
		_, b, err := s.conn.Read(context.Background())
		at := time.Now()
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			if waiting {
				subscribed <- fmt.Errorf("subscribe: %w", err)
			}
			return
		}
		var f frame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		switch f.Topic {
		case "aws/subscribe":
			if waiting {
				var c struct{ Status string }
				_ = json.Unmarshal(f.Content, &c)
				if c.Status != "success" {
					subscribed <- fmt.Errorf("subscribe: status %q", c.Status)
					return
				}
				subscribed <- nil
				waiting = false
			}
		case chat.TopicChat:
			var inner string
			var it wireItem
			if json.Unmarshal(f.Content, &inner) == nil && json.Unmarshal([]byte(inner), &it) == nil {
				onItem(it, at)
			}
		}
	}
}

// heartbeat sends aws/heartbeat, as chatjs does every 10 s.
func (s *socket) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.conn.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/heartbeat"}`))
}

// closeErr returns why the socket closed (nil while it is open).
func (s *socket) closeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && !s.open.Load() {
		return errors.New("closed")
	}
	return s.err
}

// close closes the socket and waits for its reader.
func (s *socket) close() {
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
	<-s.closed
}
