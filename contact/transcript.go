package contact

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Transcript search: chat messages are indexed, when they are stored, as the keyed hashes of
// their words (see TranscriptWords), per contact and participant role; SearchContacts finds
// contacts by those words (Connect's SearchCriteria.ContactAnalysis.Transcript). The index
// never holds a word in clear, and it is built from the redacted text, so it knows no more
// than the stored transcript: a card number typed in a chat is "[CARD]" there and in no way a
// word of the index.

// Limits of the transcript index and of transcript searches.
const (
	// MaxTranscriptWordRunes is the longest word, in characters, that is indexed or searched
	// for; longer runs of letters and digits are left out of the index.
	MaxTranscriptWordRunes = 64
	// MaxTranscriptWords is the most distinct words one message adds to the index; the words
	// after them are not indexed.
	MaxTranscriptWords = 1000
)

// TranscriptWords returns the distinct words of text, in the order they first appear, as the
// transcript index keeps them and as search texts are matched:
//
//   - the text is NFKC-normalised (fullwidth letters and digits become ASCII, ligatures are
//     split), then cut into words at every character that is not a letter, a combining mark
//     or a decimal digit (spaces, punctuation, symbols, emoji); invisible format characters
//     (zero-width joiners and spaces, bidi controls) are dropped without cutting;
//   - letters are lower-cased and decimal digits of any script become ASCII digits;
//   - the replacement marks of package redact ("[CARD]", "[CVV]", "[SSN]", "[IBAN]",
//     "[ROUTING]", "[CARD 411111******1111]") and the secure-input placeholder
//     ("[SECURE INPUT]") are skipped whole: nothing of them is a word;
//   - words longer than MaxTranscriptWordRunes characters are skipped, and at most
//     MaxTranscriptWords words are returned.
//
// There is no stemming and there are no stop words: "refund" and "refunds" are different
// words, and "the" is a word. Scripts written without spaces (Chinese, Japanese, Thai) give
// one word per run between punctuation.
func TranscriptWords(text string) []string {
	text = norm.NFKC.String(text)
	var (
		out   []string
		seen  = map[string]bool{}
		word  strings.Builder
		runes int
	)
	flush := func() {
		if runes > 0 && runes <= MaxTranscriptWordRunes && len(out) < MaxTranscriptWords {
			if w := word.String(); !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
		word.Reset()
		runes = 0
	}
	for i := 0; i < len(text); {
		if text[i] == '[' {
			if n := redactionMarkLen(text[i:]); n > 0 {
				flush()
				i += n
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			flush()
		case unicode.Is(unicode.Cf, r):
			// Invisible: "ca\u200brd" is the word "card".
		case unicode.Is(unicode.Nd, r):
			word.WriteByte('0' + decimalValue(r))
			runes++
		case unicode.IsLetter(r) || unicode.In(r, unicode.Mn, unicode.Mc):
			word.WriteRune(unicode.ToLower(r))
			runes++
		default:
			flush()
		}
	}
	flush()
	return out
}

// transcriptMarks are the fixed bracketed marks that are never words: package redact's
// replacements and the chat channel's secure-input placeholder.
var transcriptMarks = []string{"[CARD]", "[CVV]", "[SSN]", "[IBAN]", "[ROUTING]", "[SECURE INPUT]"}

// redactionMarkLen returns the length of the mark s starts with, or 0: one of
// transcriptMarks, or a BIN + last 4 mark ("[CARD " then 1 to 32 digits and '*', then "]").
func redactionMarkLen(s string) int {
	for _, m := range transcriptMarks {
		if strings.HasPrefix(s, m) {
			return len(m)
		}
	}
	const bin = "[CARD "
	if !strings.HasPrefix(s, bin) {
		return 0
	}
	for i := len(bin); i < len(s) && i <= len(bin)+32; i++ {
		switch c := s[i]; {
		case c == ']' && i > len(bin):
			return i + 1
		case c != '*' && (c < '0' || c > '9'):
			return 0
		}
	}
	return 0
}

// decimalValue returns the value (0–9) of a decimal digit of any script. Unicode encodes
// decimal digits in runs of ten from zero to nine (Unicode Standard, section 4.6), and each
// range of the Nd table starts at a zero, so the value is the offset in its range modulo 10.
func decimalValue(r rune) byte {
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10)
		}
	}
	return 0
}

// Participant roles of transcript search criteria (Connect's ParticipantRole). Ringfence's
// chats have AGENT, CUSTOMER and SYSTEM participants; a criterion on CUSTOM_BOT or SUPERVISOR
// is valid and matches nothing.
const (
	TranscriptRoleAgent      = "AGENT"
	TranscriptRoleCustomer   = "CUSTOMER"
	TranscriptRoleSystem     = "SYSTEM"
	TranscriptRoleCustomBot  = "CUSTOM_BOT"
	TranscriptRoleSupervisor = "SUPERVISOR"
)

// TranscriptCriterion is one criterion of Connect's ContactAnalysis.Transcript: the messages
// of the participants of one role must hold every word of a search text (MATCH_ALL: every
// text; MATCH_ANY: at least one).
type TranscriptCriterion struct {
	// ParticipantRole is one of the TranscriptRole constants.
	ParticipantRole string
	// Texts are the SearchText entries, each as its TranscriptWords (at least one word
	// each). A text matches a contact when each of its words appears in some message of
	// that role: words, not a phrase; their order and adjacency are not checked.
	Texts [][]string
	// MatchAny asks for at least one matching text instead of all of them.
	MatchAny bool
}

// TranscriptPath is the path of the administrator read of a contact's transcript on the
// Connect-compatible API (GET, SigV4; docs/transcripts.md). Contact records name it.
func TranscriptPath(instanceID, contactID string) string {
	return "/contact-transcripts/" + instanceID + "/" + contactID
}

// TranscriptInfo describes a contact's chat transcript for its contact record: where to read
// it, how many messages it holds and when it began and ended.
type TranscriptInfo struct {
	// Location is TranscriptPath of the contact.
	Location string
	// AgentMessages, CustomerMessages and SystemMessages count the messages of each role
	// (events such as participant.joined are not messages).
	AgentMessages, CustomerMessages, SystemMessages int
	// Start and Stop are the times of the first and last item (messages and events).
	Start, Stop time.Time
}

// Messages is the number of messages of every role.
func (t TranscriptInfo) Messages() int {
	return t.AgentMessages + t.CustomerMessages + t.SystemMessages
}
