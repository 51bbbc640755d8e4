package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/audit"
	"github.com/ringfence/ringfence/contact"
)

// TranscriptRequest is GetTranscript's input. StartPosition members that are nil are absent;
// an empty StartPosition ({} as chatjs sends) means none.
type TranscriptRequest struct {
	ConnectionToken string
	// ContactID, when set, must be the participant's contact (persistent chat across contacts
	// is not supported).
	ContactID string
	// MaxResults is 0..100; 0 means 10.
	MaxResults int
	NextToken  string
	// ScanDirection is FORWARD or BACKWARD; "" means FORWARD with a start position and
	// BACKWARD without.
	ScanDirection string
	// SortOrder is ASCENDING or DESCENDING; "" means DESCENDING.
	SortOrder string
	// StartID, StartTime and StartMostRecent are StartPosition's Id, AbsoluteTime and
	// MostRecent; at most one may be set.
	StartID         string
	StartTime       string
	StartMostRecent *int
}

// Transcript is GetTranscript's answer.
type Transcript struct {
	InitialContactID string
	Items            []Item
	// NextToken continues the scan in the same direction ("" at the end).
	NextToken string
}

// GetTranscript returns a page of the contact's transcript: messages and the
// participant.joined, participant.left and chat.ended events, content redacted. The page is
// the MaxResults items from the start position in ScanDirection, then sorted by SortOrder.
// ev is recorded. Errors: AccessDeniedException, ValidationException.
func (s *Service) GetTranscript(ctx context.Context, ev *audit.Event, req TranscriptRequest) (Transcript, error) {
	ev = orEvent(ev, "GetTranscript")
	b, err := s.auth(ctx, ev, req.ConnectionToken, ConnectionCredentials)
	if err == nil {
		err = checkTranscript(&req, b)
	}
	if err != nil {
		return Transcript{}, s.record(ctx, ev, err)
	}
	forward := req.ScanDirection == "FORWARD"
	var stored []StoredItem
	names := map[string]string{}
	err = s.cfg.Store.View(ctx, ev, func(ctx context.Context, tx Tx) error {
		from, err := s.startSeq(ctx, tx, b.chat, req, forward)
		if err != nil {
			return err
		}
		if from < 1 {
			if !forward {
				return nil
			}
			from = 1
		}
		stored, err = tx.ListChatItems(ctx, ItemQuery{InstanceID: b.chat.InstanceID, ContactID: b.chat.ContactID,
			FromSeq: from, Forward: forward, Limit: req.MaxResults + 1})
		if err != nil {
			return err
		}
		ps, err := tx.ListChatParticipants(ctx, b.chat.InstanceID, b.chat.ContactID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if names[p.ParticipantID], err = s.openName(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Transcript{}, err
	}
	out := Transcript{InitialContactID: b.chat.InitialContactID}
	if len(stored) > req.MaxResults {
		out.NextToken = encodeNextToken(stored[req.MaxResults].Seq)
		stored = stored[:req.MaxResults]
	}
	out.Items = make([]Item, 0, len(stored))
	for _, it := range stored {
		content, err := s.openContent(ctx, it)
		if err != nil {
			return Transcript{}, err
		}
		out.Items = append(out.Items, view(it, content, names[it.ParticipantID], ""))
	}
	ascending := req.SortOrder == "ASCENDING"
	if ascending != forward {
		for i, j := 0, len(out.Items)-1; i < j; i, j = i+1, j-1 {
			out.Items[i], out.Items[j] = out.Items[j], out.Items[i]
		}
	}
	return out, nil
}

func checkTranscript(req *TranscriptRequest, b binding) error {
	bad := func(msg string) error { return apierr.New(apierr.CodeValidation, "%s", msg) }
	if req.ContactID != "" && req.ContactID != b.chat.ContactID && req.ContactID != b.chat.InitialContactID {
		return apierr.AccessDenied("ContactId is not this participant's contact")
	}
	if req.MaxResults < 0 || req.MaxResults > 100 {
		return bad("MaxResults must be between 0 and 100")
	}
	if req.MaxResults == 0 {
		req.MaxResults = 10
	}
	starts := 0
	for _, set := range []bool{req.StartID != "", req.StartTime != "", req.StartMostRecent != nil} {
		if set {
			starts++
		}
	}
	if starts > 1 {
		return bad("StartPosition takes only one of Id, AbsoluteTime and MostRecent")
	}
	if req.StartMostRecent != nil && (*req.StartMostRecent < 0 || *req.StartMostRecent > 100) {
		return bad("StartPosition.MostRecent must be between 0 and 100")
	}
	switch req.ScanDirection {
	case "":
		req.ScanDirection = "BACKWARD"
		if starts > 0 {
			req.ScanDirection = "FORWARD"
		}
	case "FORWARD", "BACKWARD":
	default:
		return bad("ScanDirection must be FORWARD or BACKWARD")
	}
	switch req.SortOrder {
	case "":
		req.SortOrder = "DESCENDING"
	case "ASCENDING", "DESCENDING":
	default:
		return bad("SortOrder must be ASCENDING or DESCENDING")
	}
	if len(req.NextToken) > 1000 {
		return bad("NextToken is invalid")
	}
	return nil
}

// startSeq returns the first Seq the scan considers (inclusive): from NextToken, from the
// start position, or the newest item (BACKWARD) / the first (FORWARD). Less than 1 means
// nothing to return.
func (s *Service) startSeq(ctx context.Context, tx Tx, c Chat, req TranscriptRequest, forward bool) (int64, error) {
	switch {
	case req.NextToken != "":
		seq, ok := decodeNextToken(req.NextToken)
		if !ok {
			return 0, apierr.New(apierr.CodeValidation, "NextToken is invalid")
		}
		return seq, nil
	case req.StartID != "":
		it, err := tx.GetChatItem(ctx, c.InstanceID, c.ContactID, req.StartID)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return 0, apierr.New(apierr.CodeValidation, "StartPosition.Id is not an item of this transcript")
		}
		return it.Seq, err
	case req.StartTime != "":
		t, err := time.Parse(time.RFC3339Nano, req.StartTime)
		if err != nil {
			return 0, apierr.New(apierr.CodeValidation, "StartPosition.AbsoluteTime must be ISO 8601, e.g. 2019-11-08T02:41:28.172Z")
		}
		seq, err := tx.ChatItemSeqAt(ctx, c.InstanceID, c.ContactID, t, forward)
		if err == nil && seq == 0 && forward {
			seq = math.MaxInt64 // nothing at or after t
		}
		return seq, err
	case req.StartMostRecent != nil:
		cur, err := tx.GetChat(ctx, c.InstanceID, c.ContactID)
		if err != nil {
			return 0, err
		}
		seq := cur.LastSeq - int64(*req.StartMostRecent)
		if seq < 1 {
			seq = 1
		}
		return seq, nil
	case forward:
		return 1, nil
	default:
		return math.MaxInt64, nil
	}
}

// encodeNextToken and decodeNextToken carry the Seq where the next page starts. The token
// only moves within the caller's own transcript, so it needs no integrity protection.
func encodeNextToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "v1:%d", seq))
}

func decodeNextToken(tok string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	var seq int64
	if _, err := fmt.Sscanf(string(b), "v1:%d", &seq); err != nil || seq < 1 {
		return 0, false
	}
	return seq, true
}

// TranscriptPage is a page of a contact's transcript read by an administrator.
type TranscriptPage struct {
	InitialContactID string
	// Items are oldest first, in the shape GetTranscript gives participants (Connect's Item):
	// content redacted as stored, display names opened.
	Items []Item
	// NextSeq is the Seq to continue after (the Seq of the last item) when more items
	// follow, and 0 at the end.
	NextSeq int64
}

// MaxTranscriptPage is the most items ReadTranscript returns at once.
const MaxTranscriptPage = 500

// ReadTranscript reads up to limit (1..MaxTranscriptPage) items of the contact's transcript
// after Seq afterSeq (0 from the start) inside tx, the caller's read transaction (which
// carries the caller's audit event: administrators read through the Connect-compatible API,
// authorized there). It is not bound to a participant: the caller must have checked that the
// contact is in instanceID and that the reader may see it. Errors: ResourceNotFoundException
// when the contact has no chat, InvalidParameterException for a bad limit or afterSeq.
func (s *Service) ReadTranscript(ctx context.Context, tx Tx, instanceID, contactID string, afterSeq int64, limit int) (TranscriptPage, error) {
	if limit < 1 || limit > MaxTranscriptPage || afterSeq < 0 || afterSeq == math.MaxInt64 {
		return TranscriptPage{}, apierr.InvalidParameter(fmt.Sprintf("a transcript page holds 1 to %d items after a valid position", MaxTranscriptPage))
	}
	c, err := tx.GetChat(ctx, instanceID, contactID)
	if err != nil {
		return TranscriptPage{}, err
	}
	stored, err := tx.ListChatItems(ctx, ItemQuery{InstanceID: instanceID, ContactID: contactID, FromSeq: afterSeq + 1, Forward: true, Limit: limit + 1})
	if err != nil {
		return TranscriptPage{}, err
	}
	ps, err := tx.ListChatParticipants(ctx, instanceID, contactID)
	if err != nil {
		return TranscriptPage{}, err
	}
	names := make(map[string]string, len(ps))
	for _, p := range ps {
		if names[p.ParticipantID], err = s.openName(ctx, p); err != nil {
			return TranscriptPage{}, err
		}
	}
	out := TranscriptPage{InitialContactID: c.InitialContactID}
	if len(stored) > limit {
		stored = stored[:limit]
		out.NextSeq = stored[limit-1].Seq
	}
	out.Items = make([]Item, 0, len(stored))
	for _, it := range stored {
		content, err := s.openContent(ctx, it)
		if err != nil {
			return TranscriptPage{}, err
		}
		out.Items = append(out.Items, view(it, content, names[it.ParticipantID], ""))
	}
	return out, nil
}

// indexText returns the text of a message that goes into the transcript search index (""
// for none): the content of text/plain and text/markdown messages, and the title and
// element titles of an interactive message (a flow's menu sent as a QuickReply). JSON
// messages, interactive responses and events are not indexed.
func indexText(typ ItemType, contentType, redacted string) string {
	if typ != TypeMessage {
		return ""
	}
	switch contentType {
	case ContentTypePlain, ContentTypeMarkdown:
		return redacted
	case ContentTypeInteractive:
		var qr QuickReply
		if err := json.Unmarshal([]byte(redacted), &qr); err != nil {
			return ""
		}
		parts := []string{qr.Data.Content.Title}
		for _, e := range qr.Data.Content.Elements {
			parts = append(parts, e.Title)
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// indexWords returns the words of a message for the transcript search index (nil for none).
func indexWords(typ ItemType, contentType, redacted string) []string {
	text := indexText(typ, contentType, redacted)
	if text == "" {
		return nil
	}
	return contact.TranscriptWords(text)
}
