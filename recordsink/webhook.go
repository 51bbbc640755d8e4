package recordsink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/egress"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/secret"
)

const (
	// WebhookContentType is the media type of a webhook body: JSON Lines (one contact record
	// per line, each line ending in '\n').
	WebhookContentType = "application/x-ndjson"
	// MaxWebhookBodyBytes is the largest body the webhook sink sends in one POST: a batch
	// larger than this goes out as several POSTs, in order (a single larger record is sent
	// alone).
	MaxWebhookBodyBytes = 1 << 20
	// maxWebhookResponseBytes caps what the receiver may answer.
	maxWebhookResponseBytes = 64 << 10
)

// WebhookConfig configures a Webhook sink.
type WebhookConfig struct {
	// URL is the https URL batches are POSTed to; the egress rules apply (a receiver on a
	// private network must be allowlisted in Egress.AllowHosts or Egress.AllowCIDRs).
	URL string
	// Secret keys the HMAC-SHA256 signature; at least extfn.MinSecretBytes (16) bytes.
	Secret secret.Value[string]
	// Timeout bounds one POST, body and answer included; 0 means egress.MaxTimeout (8 s),
	// which is also the most allowed.
	Timeout time.Duration
	// Egress is the base egress configuration (allowlist, root CAs, resolver, dialler). The
	// sink sets response size, redirect and header-stripping limits itself.
	Egress egress.Config
	// Now is the clock of the signature timestamps; nil means time.Now.
	Now func() time.Time
}

// Webhook POSTs contact records to an HTTPS endpoint through the guarded egress client.
//
// Each POST carries a JSON Lines body (Content-Type WebhookContentType) and the same signature
// headers as an external-function call (extfn.HeaderTimestamp and extfn.HeaderSignature, made
// by extfn.Sign: "v1=" and the lower-case hex HMAC-SHA256 over the timestamp, ".", and the body
// bytes), so a receiver checks it with extfn.VerifyRequest. Redirects are not followed. Any
// answer but 2xx, a transport error or a timeout fails the delivery, and the Runner sends the
// batch again after a back-off.
type Webhook struct {
	url     *url.URL
	secret  secret.Value[string]
	timeout time.Duration
	client  *egress.Client
	now     func() time.Time
}

// NewWebhook checks cfg and returns a Webhook. It fails when the URL is not one the egress
// rules admit, when the secret is too short, or when the timeout is out of range.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if n := len(cfg.Secret.Reveal()); n < extfn.MinSecretBytes {
		return nil, fmt.Errorf("recordsink: webhook: signing secret of %d bytes, want at least %d", n, extfn.MinSecretBytes)
	}
	if cfg.Timeout < 0 || cfg.Timeout > egress.MaxTimeout {
		return nil, fmt.Errorf("recordsink: webhook: timeout %s outside (0, %s]", cfg.Timeout, egress.MaxTimeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = egress.MaxTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("recordsink: webhook: URL does not parse")
	}
	ec := cfg.Egress
	ec.MaxResponseBytes = maxWebhookResponseBytes
	ec.MaxRedirects = -1
	ec.StripOnRedirect = []string{extfn.HeaderSignature, extfn.HeaderTimestamp}
	client, err := egress.New(ec)
	if err != nil {
		return nil, fmt.Errorf("recordsink: webhook: %w", err)
	}
	if err := client.Check(u); err != nil {
		return nil, fmt.Errorf("recordsink: webhook: URL: %w", err)
	}
	return &Webhook{url: u, secret: cfg.Secret, timeout: cfg.Timeout, client: client, now: cfg.Now}, nil
}

// Name returns "webhook".
func (w *Webhook) Name() string { return "webhook" }

// Close releases pooled connections.
func (w *Webhook) Close() { w.client.CloseIdleConnections() }

// Deliver POSTs the records, in order, in as few bodies of at most MaxWebhookBodyBytes as fit.
func (w *Webhook) Deliver(ctx context.Context, records []contact.RecordEntry) error {
	var body bytes.Buffer
	for _, r := range records {
		var line bytes.Buffer
		if err := json.Compact(&line, r.Body); err != nil {
			return fmt.Errorf("webhook sink: record %d (contact %s): %w", r.Seq, r.ContactID, err)
		}
		line.WriteByte('\n')
		if body.Len() > 0 && body.Len()+line.Len() > MaxWebhookBodyBytes {
			if err := w.post(ctx, body.Bytes()); err != nil {
				return err
			}
			body.Reset()
		}
		body.Write(line.Bytes())
	}
	if body.Len() == 0 {
		return nil
	}
	return w.post(ctx, body.Bytes())
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, w.url.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook sink: build request: %w", err)
	}
	ts := w.now().Unix()
	req.Header.Set("Content-Type", WebhookContentType)
	req.Header.Set(extfn.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(extfn.HeaderSignature, extfn.Sign(w.secret, ts, body))
	resp, err := w.client.Do(ctx, req, w.timeout)
	if err != nil {
		return fmt.Errorf("webhook sink: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook sink: receiver answered status %d", resp.StatusCode)
	}
	return nil
}
