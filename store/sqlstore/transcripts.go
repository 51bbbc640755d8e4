package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/channel/chat"
	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// errNoTranscriptHasher refuses transcript searches on a store without a keyed hasher.
var errNoTranscriptHasher = apierr.InvalidParameter("searching contacts by transcript is not available: the store has no index key")

// transcriptTerm is the index term of a transcript word: the keyed hash of "transcript", the
// instance and the word, NUL-separated. Attribute terms begin with the instance ID (a UUID),
// so no transcript term equals an attribute term of the same text.
func (t *txn) transcriptTerm(instanceID, word string) string {
	sum := t.s.opts.Hasher.SumString(secret.New("transcript\x00" + instanceID + "\x00" + word))
	return strings.TrimPrefix(sum, keyring.HashPrefix)
}

// transcriptRowsPerInsert is how many index rows one INSERT statement writes.
const transcriptRowsPerInsert = 200

// IndexTranscriptWords writes the index rows of the words the store has not committed to the
// index of this contact and role yet (see termCache): a word the writer remembers costs
// neither its keyed hash nor a probe of the index.
func (t *txn) IndexTranscriptWords(ctx context.Context, instanceID, contactID string, role chat.Role, words []string) error {
	if t.s.opts.Hasher == nil || len(words) == 0 {
		return nil
	}
	if len(words) > contact.MaxTranscriptWords {
		words = words[:contact.MaxTranscriptWords]
	}
	var (
		cache = t.terms()
		set   string
		now   time.Time
		refs  []termRef
	)
	if cache != nil {
		set, now = termSetKey(instanceID, contactID, string(role)), t.s.opts.Now()
		refs = make([]termRef, 0, len(words))
	}
	terms := make([]string, 0, len(words))
	seen := make(map[string]bool, len(words))
	for _, w := range words {
		if w == "" || strings.ContainsRune(w, 0) || seen[w] {
			continue
		}
		seen[w] = true
		if cache != nil {
			fp := cache.fingerprint(w)
			if cache.known(set, fp, now) {
				continue
			}
			refs = append(refs, termRef{set: set, word: fp})
		}
		terms = append(terms, t.transcriptTerm(instanceID, w))
	}
	for len(terms) > 0 {
		n := min(len(terms), transcriptRowsPerInsert)
		args := make([]any, 0, 4*n)
		for _, term := range terms[:n] {
			args = append(args, instanceID, contactID, string(role), term)
		}
		q := `INSERT INTO contact_transcript_index (instance_id, contact_id, participant_role, term) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", n), ", ") + ` ON CONFLICT DO NOTHING`
		if _, err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("index transcript words: %w", err)
		}
		terms = terms[n:]
	}
	// Remembered once the caller's change commits (runOne, runBatch).
	t.opTerms = append(t.opTerms, refs...)
	return nil
}

func (t *txn) ChatTranscriptSummary(ctx context.Context, instanceID, contactID string) (chat.TranscriptSummary, error) {
	var s chat.TranscriptSummary
	if _, err := t.GetChat(ctx, instanceID, contactID); err != nil {
		return s, err
	}
	var first, last int64
	err := t.row(ctx, `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN type = ? AND participant_role = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN type = ? AND participant_role = ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN type = ? AND participant_role = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(absolute_time_ms), 0), COALESCE(MAX(absolute_time_ms), 0)
		FROM chat_items WHERE instance_id = ? AND contact_id = ?`,
		string(chat.TypeMessage), string(chat.RoleAgent), string(chat.TypeMessage), string(chat.RoleCustomer),
		string(chat.TypeMessage), string(chat.RoleSystem), instanceID, contactID).
		Scan(&s.Items, &s.AgentMessages, &s.CustomerMessages, &s.SystemMessages, &first, &last)
	if err != nil {
		return s, fmt.Errorf("chat transcript summary: %w", err)
	}
	if s.Items > 0 {
		s.First, s.Last = fromMS(first), fromMS(last)
	}
	return s, nil
}

// transcriptWhere returns the condition and arguments that select contacts matching the
// transcript criteria of q, or "" when it has none. Each search text becomes one probe of the
// index (keyed by contact, role and term) per candidate contact: the contact's messages of
// the role hold every word of the text (the index keeps one row per contact, role and word,
// so counting the matched rows counts the distinct words). The index has no order by term:
// writes stay local to the contact, and a search costs a probe per contact of its time range.
func (t *txn) transcriptWhere(instanceID string, q contact.Query) (string, []any, error) {
	if len(q.Transcript) == 0 {
		return "", nil, nil
	}
	if t.s.opts.Hasher == nil {
		return "", nil, errNoTranscriptHasher
	}
	var (
		crits []string
		args  []any
	)
	for _, c := range q.Transcript {
		var texts []string
		for _, words := range c.Texts {
			terms := map[string]bool{}
			var targs []any
			for _, w := range words {
				if term := t.transcriptTerm(instanceID, w); !terms[term] {
					terms[term] = true
					targs = append(targs, term)
				}
			}
			if len(targs) == 0 {
				texts = append(texts, "1 = 0")
				continue
			}
			const probe = `FROM contact_transcript_index x WHERE x.instance_id = contacts.instance_id AND x.contact_id = contacts.id
				AND x.participant_role = ? AND x.term `
			if len(targs) == 1 {
				texts = append(texts, `EXISTS (SELECT 1 `+probe+`= ?)`)
			} else {
				texts = append(texts, `(SELECT COUNT(*) `+probe+`IN (`+placeholders(len(targs))+`)) = `+fmt.Sprint(len(targs)))
			}
			args = append(append(args, c.ParticipantRole), targs...)
		}
		if len(texts) == 0 {
			texts = append(texts, "1 = 0")
		}
		join := " AND "
		if c.MatchAny {
			join = " OR "
		}
		crits = append(crits, "("+strings.Join(texts, join)+")")
	}
	join := " AND "
	if q.TranscriptMatchAny {
		join = " OR "
	}
	return "(" + strings.Join(crits, join) + ")", args, nil
}
