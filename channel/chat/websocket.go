package chat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/ringfence/ringfence/apierr"
)

// WebSocket protocol of Connect's chat transport, as amazon-connect-chatjs speaks it. Every
// frame is a JSON text frame.
//
//	client → server                                   server → client
//	{"topic":"aws/subscribe",                         {"topic":"aws/subscribe","content":
//	 "content":{"topics":["aws/chat"]}}                {"status":"success","topics":["aws/chat"]}}
//	{"topic":"aws/unsubscribe","content":{...}}       {"topic":"aws/unsubscribe","content":{...}}
//	{"topic":"aws/heartbeat"}                         {"topic":"aws/heartbeat"}
//	{"topic":"aws/ping"}                              {"topic":"aws/ping","statusCode":200,...}
//	                                                  {"topic":"aws/chat","contentType":
//	                                                   "application/json","content":"<Item JSON>"}
//
// A frame the server cannot use gets {"message": ..., "connectionId", "requestId"}, the shape
// chatjs reports as a topic failure.
const (
	// MaxFrameBytes is the largest frame a client may send; its frames are a few dozen bytes.
	MaxFrameBytes = 8 << 10
	// socketIdle is the default of HandlerConfig.SocketIdle.
	socketIdle = 90 * time.Second
	// socketWrite bounds one frame write.
	socketWrite = 10 * time.Second
	// socketQueue is how many frames may wait for a slow socket before it is dropped. The
	// queue and the goroutine that writes it exist only while frames wait, so an idle socket
	// holds neither.
	socketQueue = 256
	// socketReadBuffer and socketWriteBuffer are the sizes of a socket's buffered reader
	// and writer, which it holds for its whole life (net/http's are 4 KiB each). Client
	// frames are a few dozen bytes; a server frame up to socketWriteBuffer goes out in one
	// TLS record, a larger one in several.
	socketReadBuffer  = 512
	socketWriteBuffer = 1024
)

// TopicChat is the only subscription topic: chat items.
const TopicChat = "aws/chat"

// serveWebSocket opens a participant's WebSocket: GET WebSocketPath?AuthToken=<token from
// Websocket.Url>. The token is checked before the upgrade (403 AccessDeniedException); a
// participant holding MaxSocketsPerParticipant sockets gets 429 ThrottlingException. Once
// upgraded, the socket runs on a goroutine of its own and the request's goroutine returns,
// so an open socket holds neither net/http's state of the request nor its buffers.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	reqID := h.svc.cfg.NewID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	ev := h.event(r, "ConnectWebSocket", reqID)
	b, err := h.svc.auth(ctx, ev, r.URL.Query().Get("AuthToken"), ConnectionWebSocket)
	key := contactKey(b.part.InstanceID, b.part.ParticipantID)
	acquired := false
	if err == nil {
		if acquired = h.acquire(key); !acquired {
			err = apierr.New(apierr.CodeThrottling, "a participant may hold at most %d WebSocket connections", h.svc.limits.MaxSocketsPerParticipant)
		}
	}
	if rerr := h.svc.record(ctx, ev, err); rerr != nil {
		err = rerr
	}
	if err == nil && len(h.cfg.AllowedOrigins) > 0 && !h.originAllowed(r.Header.Get("Origin")) && r.Header.Get("Origin") != "" {
		err = apierr.AccessDenied("this origin may not open chat sockets")
	}
	if err == nil && r.ProtoMajor != 1 {
		// The upgrade takes over the connection, which HTTP/2 and HTTP/3 do not allow
		// (RFC 6455 runs over HTTP/1.1; RFC 8441 is not supported).
		err = apierr.New(apierr.CodeInvalidRequest, "a WebSocket is opened over HTTP/1.1")
	}
	if err != nil {
		if acquired {
			h.release(key)
		}
		e := participantError(err)
		apierr.Write(w, e.Status(), e)
		return
	}
	// The origin was checked above against the full origin.
	sw := &socketWriter{ResponseWriter: w}
	conn, err := websocket.Accept(sw, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.release(key)
		return // Accept has answered
	}
	conn.SetReadLimit(MaxFrameBytes)
	s := &socket{h: h, conn: conn, nc: sw.conn, id: reqID, inst: b.chat.InstanceID, contact: b.chat.ContactID,
		participant: b.part.ParticipantID, ctx: context.Background()}
	go func() {
		defer h.release(key)
		s.run()
	}()
}

// socketWriter is the ResponseWriter a socket is accepted through: its Hijack hands the
// WebSocket library small buffers (socketReadBuffer, socketWriteBuffer) instead of
// net/http's 4 KiB ones, and keeps the connection so the socket can set deadlines on it.
type socketWriter struct {
	http.ResponseWriter
	conn net.Conn
}

// Hijack implements http.Hijacker.
func (w *socketWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Whatever the client sent after its request is in net/http's reader: move it to the
	// new one, so the library reads it first.
	n := brw.Reader.Buffered()
	pending, _ := brw.Reader.Peek(n)
	rd := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(pending)), conn), max(socketReadBuffer, n))
	if n > 0 {
		if _, err := rd.Peek(n); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	w.conn = conn
	return conn, bufio.NewReadWriter(rd, bufio.NewWriterSize(conn, socketWriteBuffer)), nil
}

// Unwrap returns the ResponseWriter it wraps (http.ResponseController follows it).
func (w *socketWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (h *Handler) acquire(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sockets[key] >= h.svc.limits.MaxSocketsPerParticipant {
		return false
	}
	h.sockets[key]++
	return true
}

func (h *Handler) release(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sockets[key]--; h.sockets[key] <= 0 {
		delete(h.sockets, key)
	}
}

// socket is one open WebSocket of a participant. It is a Subscriber once it subscribed to
// aws/chat. One goroutine reads; Deliver only queues, and a writing goroutine runs while the
// queue holds frames. Reads and writes are bounded by deadlines on the connection (nc)
// rather than by contexts, so neither allocates per frame.
type socket struct {
	h                          *Handler
	conn                       *websocket.Conn
	nc                         net.Conn        // the hijacked connection (deadlines)
	ctx                        context.Context // outlives the request; bounds nothing
	id                         string          // connectionId in error frames
	inst, contact, participant string

	mu sync.Mutex
	// queue holds the frames the writer has not taken yet; pending counts them and the
	// frames the writer took but has not written; writing is set while the writer runs.
	queue   []outFrame
	pending int
	writing bool
	closing bool
	unsub   func()
	// holding is set while an aws/subscribe is answered: items the fan-out delivers then are
	// kept in held and queued after the subscription's reply, so that a client never sees
	// an item before the reply that tells it to catch up from the transcript.
	holding bool
	held    []outFrame
}

// outFrame is a frame to write, or (close set) the instruction to close after the frames
// before it.
type outFrame struct {
	b      []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

// Deliver implements Subscriber.
func (s *socket) Deliver(d Delivery) {
	s.mu.Lock()
	if s.holding {
		if d.Frame != nil {
			s.held = append(s.held, outFrame{b: d.Frame})
		}
		switch {
		case d.Close == CloseContact:
			s.held = append(s.held, outFrame{close: true, code: websocket.StatusNormalClosure, reason: "chat ended"})
		case d.Close == CloseParticipant && d.ParticipantID == s.participant:
			s.held = append(s.held, outFrame{close: true, code: websocket.StatusNormalClosure, reason: "participant left"})
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if d.Frame != nil {
		s.enqueue(outFrame{b: d.Frame})
	}
	switch {
	case d.Close == CloseContact:
		s.finish(websocket.StatusNormalClosure, "chat ended")
	case d.Close == CloseParticipant && d.ParticipantID == s.participant:
		s.finish(websocket.StatusNormalClosure, "participant left")
	}
}

// enqueue queues a frame without blocking; a socket with socketQueue frames waiting is
// dropped.
func (s *socket) enqueue(f outFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	if s.pending >= socketQueue {
		s.closing = true
		go s.conn.Close(websocket.StatusTryAgainLater, "too slow: reconnect and fetch the transcript")
		return
	}
	s.queue = append(s.queue, f)
	s.pending++
	if !s.writing {
		s.writing = true
		go s.write()
	}
}

// finish closes the socket once the frames queued before are written.
func (s *socket) finish(code websocket.StatusCode, reason string) {
	s.enqueue(outFrame{close: true, code: code, reason: reason})
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
}

func (s *socket) run() {
	ctx := s.ctx
	defer func() {
		s.mu.Lock()
		unsub := s.unsub
		s.unsub = nil
		s.mu.Unlock()
		if unsub != nil {
			unsub()
		}
	}()
	defer s.conn.CloseNow()
	for {
		// An idle socket is closed: the read fails at the deadline.
		_ = s.nc.SetReadDeadline(time.Now().Add(s.h.cfg.SocketIdle))
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			s.enqueue(s.errorFrame("frames must be JSON text"))
			continue
		}
		s.handle(ctx, data)
	}
}

// write sends the queued frames in order and returns once the queue is empty (enqueue starts
// it again), or for good after a close instruction or a write error.
func (s *socket) write() {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, f := range batch {
			if f.close {
				_ = s.nc.SetWriteDeadline(time.Time{})
				_ = s.conn.Close(f.code, f.reason)
				return
			}
			_ = s.nc.SetWriteDeadline(time.Now().Add(socketWrite))
			err := s.conn.Write(s.ctx, websocket.MessageText, f.b)
			if err != nil {
				s.mu.Lock()
				s.closing = true
				s.mu.Unlock()
				s.conn.CloseNow()
				return
			}
			s.mu.Lock()
			s.pending--
			s.mu.Unlock()
		}
		// The library writes pongs and close frames from the reading goroutine: no stale
		// deadline may cut them.
		_ = s.nc.SetWriteDeadline(time.Time{})
	}
}

type clientFrame struct {
	Topic   string          `json:"topic"`
	Content json.RawMessage `json:"content"`
}

type topicsContent struct {
	Topics []string `json:"topics"`
}

// handle answers one client frame.
func (s *socket) handle(ctx context.Context, data []byte) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.enqueue(s.errorFrame("frame is not JSON"))
		return
	}
	switch f.Topic {
	case "aws/heartbeat":
		s.enqueue(outFrame{b: []byte(`{"topic":"aws/heartbeat"}`)})
	case "aws/ping":
		s.enqueue(outFrame{b: []byte(`{"topic":"aws/ping","statusCode":200,"statusContent":"OK"}`)})
	case "aws/subscribe", "aws/unsubscribe":
		var tc topicsContent
		_ = json.Unmarshal(f.Content, &tc)
		chat := false
		for _, t := range tc.Topics {
			chat = chat || t == TopicChat
		}
		status, topics := "success", []string{TopicChat}
		if !chat {
			status, topics = "failure", []string{}
		} else if f.Topic == "aws/subscribe" {
			s.subscribe(ctx)
		} else {
			s.unsubscribe()
		}
		b, _ := json.Marshal(map[string]any{"topic": f.Topic, "content": map[string]any{"status": status, "topics": topics}})
		s.enqueue(outFrame{b: b})
		s.release()
	default:
		s.enqueue(s.errorFrame("unsupported topic"))
	}
}

// subscribe registers the socket for the contact's items. The chat may have ended between
// the token check and now; then the socket closes at once.
func (s *socket) subscribe(ctx context.Context) {
	// Only the reader goroutine subscribes and unsubscribes; s.mu is not held while the
	// fan-out takes its own lock (Publish holds that lock while it calls Deliver).
	s.mu.Lock()
	skip := s.unsub != nil || s.closing
	s.mu.Unlock()
	if skip {
		return
	}
	s.mu.Lock()
	s.holding = true
	s.mu.Unlock()
	unsub := s.h.svc.fanout.Subscribe(s.inst, s.contact, s)
	s.mu.Lock()
	s.unsub = unsub
	s.mu.Unlock()
	var live binding
	err := s.h.svc.cfg.Store.View(ctx, nil, func(ctx context.Context, tx Tx) error {
		return s.h.svc.bind(ctx, tx, s.inst, s.participant, s.h.svc.now(), &live)
	})
	if apierr.HasCode(err, apierr.CodeAccessDenied) {
		s.finish(websocket.StatusNormalClosure, "chat ended")
	}
}

// release queues, after the subscription's reply, what the fan-out delivered while the
// subscription was being answered (holding), in order.
func (s *socket) release() {
	s.mu.Lock()
	held := s.held
	s.held, s.holding = nil, false
	s.mu.Unlock()
	for _, f := range held {
		if f.close {
			s.finish(f.code, f.reason)
			continue
		}
		s.enqueue(f)
	}
}

func (s *socket) unsubscribe() {
	s.mu.Lock()
	unsub := s.unsub
	s.unsub = nil
	s.mu.Unlock()
	if unsub != nil {
		unsub()
	}
}

func (s *socket) errorFrame(msg string) outFrame {
	b, _ := json.Marshal(map[string]string{"message": msg, "connectionId": s.id, "requestId": s.h.svc.cfg.NewID()})
	return outFrame{b: b}
}

var _ Subscriber = (*socket)(nil)
