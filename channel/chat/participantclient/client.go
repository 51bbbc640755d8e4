// Package participantclient is a small client of the participant API (Amazon Connect's
// Participant Service as Ringfence serves it) and of its WebSocket, for tests, end-to-end
// checks and load generators. It speaks the same wire format as the AWS SDK's
// ConnectParticipant client and amazon-connect-chatjs: JSON over HTTPS with the bearer token
// in X-Amz-Bearer, then aws/subscribe and aws/chat frames on the WebSocket.
package participantclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/channel/chat"
)

// Client calls one participant API endpoint.
type Client struct {
	// Endpoint is the base URL, e.g. "https://127.0.0.1:8443".
	Endpoint string
	// HTTP is the client used for calls and WebSocket dials (default http.DefaultClient).
	HTTP *http.Client
	// UserAgent is sent with every call ("" sends Go's default).
	UserAgent string
}

// New returns a Client for endpoint using hc (nil: http.DefaultClient).
func New(endpoint string, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{Endpoint: strings.TrimSuffix(endpoint, "/"), HTTP: hc}
}

// Error is an error answer: the HTTP status, the exception name from x-amzn-ErrorType and
// the Message of the body.
type Error struct {
	Status  int
	Type    string
	Message string
}

// Error implements error as "Type (status): Message".
func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Type, e.Status, e.Message) }

// ErrorType returns the exception name of err when it is an *Error, else "".
func ErrorType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

// call POSTs in as JSON to path with the bearer token and decodes the answer into out.
func (c *Client) call(ctx context.Context, path, token string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Bearer", token)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode, Type: resp.Header.Get("X-Amzn-ErrorType")}
		var m struct{ Message string }
		if json.Unmarshal(b, &m) == nil {
			e.Message = m.Message
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", path, err)
	}
	return nil
}

// Connection is CreateParticipantConnection's answer.
type Connection struct {
	Websocket *struct {
		URL              string `json:"Url"`
		ConnectionExpiry string `json:"ConnectionExpiry"`
	} `json:"Websocket"`
	ConnectionCredentials *struct {
		ConnectionToken string `json:"ConnectionToken"`
		Expiry          string `json:"Expiry"`
	} `json:"ConnectionCredentials"`
}

// CreateParticipantConnection asks for the given connection types ("WEBSOCKET",
// "CONNECTION_CREDENTIALS"; nil asks for both) with the participant token.
func (c *Client) CreateParticipantConnection(ctx context.Context, participantToken string, types []string) (Connection, error) {
	if types == nil {
		types = []string{"WEBSOCKET", "CONNECTION_CREDENTIALS"}
	}
	var out Connection
	err := c.call(ctx, "/participant/connection", participantToken, map[string]any{"Type": types}, &out)
	return out, err
}

// Sent is SendMessage's and SendEvent's answer.
type Sent struct {
	ID           string `json:"Id"`
	AbsoluteTime string `json:"AbsoluteTime"`
}

// SendMessage sends a message; clientToken "" sends none.
func (c *Client) SendMessage(ctx context.Context, connectionToken, contentType, content, clientToken string) (Sent, error) {
	in := map[string]string{"ContentType": contentType, "Content": content}
	if clientToken != "" {
		in["ClientToken"] = clientToken
	}
	var out Sent
	err := c.call(ctx, "/participant/message", connectionToken, in, &out)
	return out, err
}

// SendEvent sends an event (content "" sends none).
func (c *Client) SendEvent(ctx context.Context, connectionToken, contentType, content, clientToken string) (Sent, error) {
	in := map[string]string{"ContentType": contentType}
	if content != "" {
		in["Content"] = content
	}
	if clientToken != "" {
		in["ClientToken"] = clientToken
	}
	var out Sent
	err := c.call(ctx, "/participant/event", connectionToken, in, &out)
	return out, err
}

// StartPosition is GetTranscript's StartPosition; set at most one member.
type StartPosition struct {
	ID           string `json:"Id,omitempty"`
	AbsoluteTime string `json:"AbsoluteTime,omitempty"`
	MostRecent   *int   `json:"MostRecent,omitempty"`
}

// TranscriptInput is GetTranscript's request body.
type TranscriptInput struct {
	ContactID     string         `json:"ContactId,omitempty"`
	MaxResults    int            `json:"MaxResults,omitempty"`
	NextToken     string         `json:"NextToken,omitempty"`
	ScanDirection string         `json:"ScanDirection,omitempty"`
	SortOrder     string         `json:"SortOrder,omitempty"`
	StartPosition *StartPosition `json:"StartPosition,omitempty"`
}

// TranscriptOutput is GetTranscript's answer.
type TranscriptOutput struct {
	InitialContactID string      `json:"InitialContactId"`
	Transcript       []chat.Item `json:"Transcript"`
	NextToken        string      `json:"NextToken"`
}

// GetTranscript fetches one page of the transcript.
func (c *Client) GetTranscript(ctx context.Context, connectionToken string, in TranscriptInput) (TranscriptOutput, error) {
	var out TranscriptOutput
	err := c.call(ctx, "/participant/transcript", connectionToken, in, &out)
	return out, err
}

// FullTranscript pages through the whole transcript oldest first.
func (c *Client) FullTranscript(ctx context.Context, connectionToken string) ([]chat.Item, error) {
	var all []chat.Item
	in := TranscriptInput{MaxResults: 100, ScanDirection: "FORWARD", SortOrder: "ASCENDING"}
	for {
		out, err := c.GetTranscript(ctx, connectionToken, in)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Transcript...)
		if out.NextToken == "" {
			return all, nil
		}
		in.NextToken = out.NextToken
	}
}

// DisconnectParticipant makes the participant leave.
func (c *Client) DisconnectParticipant(ctx context.Context, connectionToken, clientToken string) error {
	in := map[string]string{}
	if clientToken != "" {
		in["ClientToken"] = clientToken
	}
	return c.call(ctx, "/participant/disconnect", connectionToken, in, nil)
}

// Subscription is an open WebSocket subscribed to aws/chat.
type Subscription struct {
	conn  *websocket.Conn
	items chan chat.Item
	other chan []byte

	mu  sync.Mutex
	err error // why the socket ended
}

// Subscribe opens the WebSocket at url (a Websocket.Url), subscribes to aws/chat and waits
// for the success answer.
func (c *Client) Subscribe(ctx context.Context, url string) (*Subscription, error) {
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: c.HTTP})
	if err != nil {
		if resp != nil {
			e := &Error{Status: resp.StatusCode, Type: resp.Header.Get("X-Amzn-ErrorType")}
			if resp.Body != nil {
				var m struct{ Message string }
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
				if json.Unmarshal(b, &m) == nil {
					e.Message = m.Message
				}
			}
			return nil, e
		}
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	s := &Subscription{conn: conn, items: make(chan chat.Item, 1024), other: make(chan []byte, 64)}
	go s.read()
	if err := s.Send(ctx, `{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`); err != nil {
		conn.CloseNow()
		return nil, err
	}
	for {
		b, err := s.NextFrame(ctx)
		if err != nil {
			conn.CloseNow()
			return nil, err
		}
		var f struct {
			Topic   string
			Content struct{ Status string }
		}
		if json.Unmarshal(b, &f) == nil && f.Topic == "aws/subscribe" {
			if f.Content.Status != "success" {
				conn.CloseNow()
				return nil, fmt.Errorf("subscribe: status %q", f.Content.Status)
			}
			return s, nil
		}
	}
}

func (s *Subscription) read() {
	defer close(s.items)
	defer close(s.other)
	for {
		_, b, err := s.conn.Read(context.Background())
		if err != nil {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return
		}
		var f struct {
			Topic   string `json:"topic"`
			Content string `json:"content"`
		}
		if json.Unmarshal(b, &f) == nil && f.Topic == chat.TopicChat {
			var it chat.Item
			if err := json.Unmarshal([]byte(f.Content), &it); err == nil {
				s.items <- it
				continue
			}
		}
		select {
		case s.other <- b:
		default: // nobody reads control frames: drop them
		}
	}
}

// Send writes one text frame.
func (s *Subscription) Send(ctx context.Context, frame string) error {
	return s.conn.Write(ctx, websocket.MessageText, []byte(frame))
}

// Next returns the next chat item. When the socket closed it returns the close error
// (websocket.CloseStatus tells the code).
func (s *Subscription) Next(ctx context.Context) (chat.Item, error) {
	select {
	case it, ok := <-s.items:
		if !ok {
			return chat.Item{}, s.closeErr()
		}
		return it, nil
	case <-ctx.Done():
		return chat.Item{}, ctx.Err()
	}
}

// NextFrame returns the next frame that is not a chat item (answers to subscribe, heartbeat,
// ping, errors).
func (s *Subscription) NextFrame(ctx context.Context) ([]byte, error) {
	select {
	case b, ok := <-s.other:
		if !ok {
			return nil, s.closeErr()
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Subscription) closeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return io.EOF
	}
	return s.err
}

// Close closes the socket normally.
func (s *Subscription) Close() error {
	return s.conn.Close(websocket.StatusNormalClosure, "")
}
