package chat_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/channel/chat"
)

// rawFrame encodes a client text frame (masked, RFC 6455 section 5.2) of up to 125 bytes.
func rawFrame(payload string) []byte {
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b := []byte{0x81, 0x80 | byte(len(payload))}
	b = append(b, mask[:]...)
	for i := range len(payload) {
		b = append(b, payload[i]^mask[i%4])
	}
	return b
}

// readRawFrame reads one unmasked server frame and returns its payload.
func readRawFrame(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatalf("read frame header: %v", err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	case 127:
		t.Fatal("frame too large for the test")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatalf("read frame payload: %v", err)
	}
	return string(p)
}

// TestSocketFrameSentWithUpgrade: a client that sends its aws/subscribe frame in the same
// write as the upgrade request (before the 101 answer) is subscribed: the bytes net/http
// read past the request reach the socket's own, smaller reader.
func TestSocketFrameSentWithUpgrade(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	u, err := url.Parse(cust.wsURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host)
	out := append([]byte(req), rawFrame(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)...)
	out = append(out, rawFrame(`{"topic":"aws/heartbeat"}`)...)
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %d", resp.StatusCode)
	}
	if got := readRawFrame(t, r); !strings.Contains(got, `"status":"success"`) {
		t.Fatalf("first frame = %s, want the subscription's success", got)
	}
	if got := readRawFrame(t, r); got != `{"topic":"aws/heartbeat"}` {
		t.Fatalf("second frame = %s, want the heartbeat's answer", got)
	}
	sent := cust.send("hello over a raw socket")
	var f struct {
		Topic   string `json:"topic"`
		Content string `json:"content"`
	}
	if err := json.Unmarshal([]byte(readRawFrame(t, r)), &f); err != nil || f.Topic != chat.TopicChat || !strings.Contains(f.Content, sent.ID) {
		t.Fatalf("frame after the message = %+v (%v), want the aws/chat item %s", f, err, sent.ID)
	}
}

// TestSocketIdleClosed: a socket that sends nothing for SocketIdle is closed; one that beats
// stays open; the participant's socket count is given back either way.
func TestSocketIdleClosed(t *testing.T) {
	e := newEnv(t, chat.Limits{MaxSocketsPerParticipant: 1})
	h, err := chat.NewHandler(chat.HandlerConfig{Service: e.svc, SocketIdle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cust := e.start("contact-1", "Customer")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// dial opens a socket of the customer on srv; it answers nil while the participant
	// still holds its one socket.
	dial := func() *websocket.Conn {
		t.Helper()
		cust.reconnect()
		u, _ := url.Parse(cust.wsURL)
		u.Host = strings.TrimPrefix(srv.URL, "http://")
		c, resp, err := websocket.Dial(ctx, u.String(), nil)
		if err != nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			return nil
		}
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		return c
	}
	idle := dial()
	start := time.Now()
	if _, _, err := idle.Read(ctx); err == nil {
		t.Fatal("an idle socket received a frame")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("the idle socket closed after %s, before its idle time", d)
	}
	// The count was given back: the participant may open its one socket again, and a
	// socket that beats outlives the idle time.
	var beating *websocket.Conn
	for beating == nil && ctx.Err() == nil {
		if beating = dial(); beating == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if beating == nil {
		t.Fatal("the participant's socket count was not given back after the idle close")
	}
	defer beating.CloseNow()
	for range 6 {
		if err := beating.Write(ctx, websocket.MessageText, []byte(`{"topic":"aws/heartbeat"}`)); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		if _, b, err := beating.Read(ctx); err != nil || string(b) != `{"topic":"aws/heartbeat"}` {
			t.Fatalf("heartbeat answer = %s, %v", b, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSocketOverHTTP2Refused: an upgrade cannot take over an HTTP/2 stream, so a socket
// asked for over HTTP/2 is refused with a client error (400 InvalidRequestException), not
// an internal one, and the participant's socket count is given back.
func TestSocketOverHTTP2Refused(t *testing.T) {
	e := newEnv(t, chat.Limits{MaxSocketsPerParticipant: 1})
	h, err := chat.NewHandler(chat.HandlerConfig{Service: e.svc})
	if err != nil {
		t.Fatal(err)
	}
	cust := e.start("contact-1", "Customer")
	u, err := url.Parse(cust.wsURL)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r := httptest.NewRequest(http.MethodGet, u.RequestURI(), nil)
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "HTTP/1.1") {
			t.Fatalf("socket over HTTP/2: %d %s", w.Code, w.Body.String())
		}
	}
}
