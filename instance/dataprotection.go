package instance

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// CardDisplay says how much of a card number found in stored text (task names and
// descriptions, references, contact attribute values) is kept, and so the most a viewer
// allowed to see it gets. Chat messages and flow logs always mask card numbers whole.
type CardDisplay string

// Card display policies. The names are what `ringfence admin data-protection --policy` takes.
const (
	// CardMaskAll replaces a card number with "[CARD]" (the default).
	CardMaskAll CardDisplay = "mask"
	// CardBINLast4 keeps the first six and last four digits ("[CARD 411111******1111]",
	// PCI DSS v4.0.1 requirement 3.4.1) for viewers allowed identity.ActionViewCardBINLast4
	// (Connect's UnredactedData.View); everyone else, and contact records, get "[CARD]".
	CardBINLast4 CardDisplay = "bin-last4"
)

// Limits of DataProtection.
const (
	// MaxSensitiveAttributes is how many names and prefixes an instance may mark sensitive.
	MaxSensitiveAttributes = 100
)

// sensitivePattern is an attribute key (contact.ValidateAttributes: 1-127 letters, digits,
// '_', '.', '-') or such a key's prefix followed by '*'.
var sensitivePattern = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,127}\*?$`)

// DataProtection is an instance's data-protection settings (docs/data-protection.md). The
// zero value (no sensitive attributes, CardMaskAll) is what an instance has until an operator
// changes it with `ringfence admin data-protection`.
type DataProtection struct {
	InstanceID string
	// SensitiveAttributes names contact attributes marked sensitive: an exact key ("ssn") or
	// a prefix followed by '*' ("card_*" marks "card_number" and "card_cvv"). Keys are
	// case-sensitive, as Connect's. A sensitive attribute is kept exactly as set (sealed at
	// rest like every attribute), is never written to contact records or flow logs (a keyed
	// hash stands in for it), cannot be searched, and is shown only to viewers allowed
	// identity.ActionViewSensitiveAttributes (Ringfence.DecryptedFields.View) and to
	// operators. Every other attribute value is redacted before storage.
	// Stored sorted and without duplicates; at most MaxSensitiveAttributes entries.
	SensitiveAttributes []string
	// CardDisplay is the card policy; "" reads as CardMaskAll.
	CardDisplay CardDisplay
	// UpdatedTime is when the settings were last changed (UTC, milliseconds); zero when they
	// never were.
	UpdatedTime time.Time
}

// IsSensitive reports whether the attribute key is marked sensitive.
func (d DataProtection) IsSensitive(key string) bool {
	for _, p := range d.SensitiveAttributes {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(key, prefix) {
				return true
			}
		} else if p == key {
			return true
		}
	}
	return false
}

// Card returns the card policy in force (CardMaskAll when unset).
func (d DataProtection) Card() CardDisplay {
	if d.CardDisplay == "" {
		return CardMaskAll
	}
	return d.CardDisplay
}

// Normalize checks the settings and returns them with SensitiveAttributes sorted and
// deduplicated. It returns an InvalidParameterException naming the first bad entry: a name
// that is no attribute key or key prefix with '*', more than MaxSensitiveAttributes entries,
// or an unknown CardDisplay.
func (d DataProtection) Normalize() (DataProtection, error) {
	switch d.CardDisplay {
	case "", CardMaskAll, CardBINLast4:
	default:
		return d, apierr.InvalidParameter(fmt.Sprintf("card policy %q: want %q or %q", truncateName(string(d.CardDisplay)), CardMaskAll, CardBINLast4))
	}
	if d.CardDisplay == "" {
		d.CardDisplay = CardMaskAll
	}
	names := slices.Clone(d.SensitiveAttributes)
	for _, n := range names {
		if !sensitivePattern.MatchString(n) || n == "*" {
			return d, apierr.InvalidParameter(fmt.Sprintf("sensitive attribute %q must be an attribute key (1-127 letters, digits, '_', '.', '-'), optionally ending in '*' to name a prefix", truncateName(n)))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) > MaxSensitiveAttributes {
		return d, apierr.InvalidParameter(fmt.Sprintf("at most %d sensitive attribute names; got %d", MaxSensitiveAttributes, len(names)))
	}
	if len(names) == 0 {
		names = nil
	}
	d.SensitiveAttributes = names
	return d, nil
}

func truncateName(s string) string {
	if len(s) <= 40 {
		return s
	}
	return strings.ToValidUTF8(s[:40], "") + "…"
}

// DataProtectionStore persists data-protection settings, one row per instance (deleted with
// the instance).
type DataProtectionStore interface {
	// GetDataProtection returns the instance's settings; an instance that never changed them
	// gets the zero settings with InstanceID set (no error). It does not check that the
	// instance exists.
	GetDataProtection(ctx context.Context, instanceID string) (DataProtection, error)
	// PutDataProtection replaces the instance's settings (normalised by the caller).
	// ResourceNotFoundException when the instance does not exist.
	PutDataProtection(ctx context.Context, d DataProtection) error
}
