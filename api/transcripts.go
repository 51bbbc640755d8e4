package api

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/identity"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/redact"
	"github.com/ringfence/ringfence/store"
)

// transcriptOperations is Ringfence's transcript read for administrators
// (identity.ActionGetContactTranscript). Connect shows a chat's transcript on the Contact
// details page and gives only participants an API for it (the Participant Service's
// GetTranscript); Ringfence serves it at GET /contact-transcripts/{InstanceId}/{ContactId}
// with the same SigV4 signing, audit and authorization as Connect's operations
// (docs/transcripts.md).
func transcriptOperations() []operation {
	return []operation{
		{name: identity.ActionGetContactTranscript, pattern: "GET /contact-transcripts/{InstanceId}/{ContactId}", handle: (*Server).getContactTranscript},
	}
}

// getContactTranscript answers a page of one chat contact's stored transcript, oldest first:
// {"InitialContactId": "...", "Transcript": [Item...], "NextToken": "..."}, each Item in the
// shape of the Participant Service's GetTranscript (AbsoluteTime, Content, ContentType, Id,
// Type, ParticipantId, DisplayName, ParticipantRole, ContactId), content redacted as it was
// stored. maxResults is 1–500 (default 100). A contact of another instance and an unknown
// contact are ResourceNotFoundException; a contact of another channel (a task) is
// InvalidRequestException: it has no transcript.
func (s *Server) getContactTranscript(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("ContactId")
	if err := contactID("ContactId", id); err != nil {
		return nil, err
	}
	c.ev.Resource = instance.ARN(s.cfg.Region, s.cfg.AccountID, inst) + "/contact/" + id
	p, err := readPage(c, "transcript", 100, chat.MaxTranscriptPage)
	if err != nil {
		return nil, err
	}
	after := int64(0)
	if p.after != "" {
		if after, err = strconv.ParseInt(p.after, 10, 64); err != nil || after < 1 {
			return nil, apierr.InvalidParameter("nextToken is not valid")
		}
	}
	var page chat.TranscriptPage
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		ct, err := tx.GetContact(ctx, inst, id)
		if err != nil {
			return err
		}
		if ct.Channel != contact.ChannelChat {
			return apierr.New(apierr.CodeInvalidRequest, "contact %s is a %s contact; only chat contacts have transcripts", id, ct.Channel)
		}
		if s.cfg.Chat == nil {
			return apierr.New(apierr.CodeServiceUnavailable, "this node runs no chat channel")
		}
		page, err = s.cfg.Chat.ReadTranscript(ctx, tx, inst, id, after, p.limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"InitialContactId": page.InitialContactID, "Transcript": page.Items}
	if page.NextSeq > 0 {
		out["NextToken"] = pageToken("transcript", strconv.FormatInt(page.NextSeq, 10))
	}
	return out, nil
}

// Limits of ContactAnalysis.Transcript in SearchContacts: Connect's (at most 6 criteria of
// at most 100 search texts of at most 128 characters), and Ringfence's bound on the words of
// one search, which bounds the query.
const (
	maxTranscriptCriteria = 6
	maxTranscriptTexts    = 100
	maxSearchTextChars    = 128
	maxTranscriptWords    = 200
)

// transcriptCriteriaJSON is SearchCriteria.ContactAnalysis.Transcript.
type transcriptCriteriaJSON struct {
	Criteria []struct {
		ParticipantRole string   `json:"ParticipantRole"`
		SearchText      []string `json:"SearchText"`
		MatchType       string   `json:"MatchType"`
	} `json:"Criteria"`
	MatchType string `json:"MatchType"`
}

// searchRedactor finds card numbers, CVVs, SSNs and bank numbers in search texts: the
// transcripts hold them redacted, so a search for one could only ever find nothing.
var searchRedactor = redact.New(redact.Policy{})

// redactedKinds names the kinds of package redact in error messages.
var redactedKinds = map[redact.Kind]string{redact.KindCard: "card number", redact.KindCVV: "card security code",
	redact.KindSSN: "social security number", redact.KindIBAN: "bank account number (IBAN)", redact.KindRouting: "bank routing number"}

// transcriptQuery turns ContactAnalysis.Transcript into contact.Query criteria: each search
// text becomes its words (contact.TranscriptWords). MatchType MATCH_ALL (the default of the
// top level) or MATCH_ANY; MATCH_EXACT and MATCH_NONE are refused. Errors are
// InvalidParameterException naming the member, and never echo a search text (the SDKs mark
// SearchText sensitive).
func transcriptQuery(in *transcriptCriteriaJSON, q *contact.Query) error {
	matchAny := func(member, v string, required bool) (bool, error) {
		switch v {
		case "MATCH_ALL":
			return false, nil
		case "MATCH_ANY":
			return true, nil
		case "":
			if !required {
				return false, nil
			}
		}
		return false, apierr.InvalidParameter(member + " must be MATCH_ALL or MATCH_ANY")
	}
	var err error
	if q.TranscriptMatchAny, err = matchAny("ContactAnalysis.Transcript.MatchType", in.MatchType, false); err != nil {
		return err
	}
	if len(in.Criteria) < 1 || len(in.Criteria) > maxTranscriptCriteria {
		return apierr.InvalidParameter(fmt.Sprintf("ContactAnalysis.Transcript.Criteria must have 1-%d entries", maxTranscriptCriteria))
	}
	words := 0
	for i, cr := range in.Criteria {
		member := fmt.Sprintf("ContactAnalysis.Transcript.Criteria[%d]", i)
		tc := contact.TranscriptCriterion{ParticipantRole: cr.ParticipantRole}
		switch cr.ParticipantRole {
		case contact.TranscriptRoleAgent, contact.TranscriptRoleCustomer, contact.TranscriptRoleSystem,
			contact.TranscriptRoleCustomBot, contact.TranscriptRoleSupervisor:
		default:
			return apierr.InvalidParameter(member + ".ParticipantRole must be AGENT, CUSTOMER, SYSTEM, CUSTOM_BOT or SUPERVISOR")
		}
		if tc.MatchAny, err = matchAny(member+".MatchType", cr.MatchType, true); err != nil {
			return err
		}
		if len(cr.SearchText) < 1 || len(cr.SearchText) > maxTranscriptTexts {
			return apierr.InvalidParameter(fmt.Sprintf("%s.SearchText must have 1-%d entries", member, maxTranscriptTexts))
		}
		for j, text := range cr.SearchText {
			if n := len([]rune(text)); n > maxSearchTextChars {
				return apierr.InvalidParameter(fmt.Sprintf("%s.SearchText[%d] must be at most %d characters", member, j, maxSearchTextChars))
			}
			if _, found := searchRedactor.Redact(text); len(found) > 0 {
				return apierr.InvalidParameter(fmt.Sprintf("%s.SearchText[%d] holds a %s; transcripts keep such values redacted, so it cannot match",
					member, j, redactedKinds[found[0].Kind]))
			}
			w := contact.TranscriptWords(text)
			if len(w) == 0 {
				return apierr.InvalidParameter(fmt.Sprintf("%s.SearchText[%d] has no word to search for (letters or digits, at most %d in a row)",
					member, j, contact.MaxTranscriptWordRunes))
			}
			if words += len(w); words > maxTranscriptWords {
				return apierr.InvalidParameter(fmt.Sprintf("a search may hold at most %d words in all its ContactAnalysis.Transcript search texts", maxTranscriptWords))
			}
			tc.Texts = append(tc.Texts, w)
		}
		q.Transcript = append(q.Transcript, tc)
	}
	return nil
}
