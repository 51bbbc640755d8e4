package contact

import (
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/redact"
)

// Redactors holds the redactors data protection uses: one that masks card numbers whole and
// one that keeps BIN and last four digits. Build one per process with NewRedactors; it is
// safe for concurrent use.
type Redactors struct {
	mask, binLast4 *redact.Redactor
}

// NewRedactors returns the redactors of both card policies.
func NewRedactors() *Redactors {
	return &Redactors{mask: redact.New(redact.Policy{Card: redact.CardMaskAll}), binLast4: redact.New(redact.Policy{Card: redact.CardBINLast4})}
}

// Protection applies an instance's data-protection settings to its contacts
// (docs/data-protection.md): what is redacted before a contact is stored, what a contact
// record leaves out, and what a viewer sees. Get one with Redactors.For.
type Protection struct {
	settings instance.DataProtection
	store    *redact.Redactor
	mask     *redact.Redactor
}

// For returns the Protection of an instance's settings.
func (r *Redactors) For(d instance.DataProtection) Protection {
	p := Protection{settings: d, store: r.mask, mask: r.mask}
	if d.Card() == instance.CardBINLast4 {
		p.store = r.binLast4
	}
	return p
}

// Settings returns the settings p applies.
func (p Protection) Settings() instance.DataProtection { return p.settings }

// IsSensitive reports whether the attribute key is marked sensitive.
func (p Protection) IsSensitive(key string) bool { return p.settings.IsSensitive(key) }

// redactedReference reports whether references of type t hold free text that is redacted
// before storage: STRING and NUMBER. URL, ATTACHMENT, DATE and EMAIL values are identifiers
// kept as given (a ticket URL must keep working).
func redactedReference(t string) bool { return t == "STRING" || t == "NUMBER" }

// Sanitize redacts, in place, what c holds in free text before it is stored: a task's Name
// and Description, the values of STRING and NUMBER references, and the value of every
// attribute not marked sensitive (card numbers, CVVs next to card context, SSNs, IBANs and
// routing numbers, as package redact finds them; card numbers per the card policy).
// Sensitive attributes are kept exactly as set: they are sealed at rest, left out of contact
// records, flow logs and search, and shown only to viewers allowed to see them. An attribute
// value that is encrypted customer input (inputcrypt.IsEncryptedInput) is kept as well: it
// holds no clear digits and redaction would break it. Redacting twice changes nothing.
func (p Protection) Sanitize(c *Contact) {
	c.Name = p.redact(p.store, c.Name)
	c.Description = p.redact(p.store, c.Description)
	for k, r := range c.References {
		if redactedReference(r.Type) {
			if v := p.redact(p.store, r.Value); v != r.Value {
				r.Value = v
				c.References[k] = r
			}
		}
	}
	for k, v := range c.Attributes {
		if p.settings.IsSensitive(k) || inputcrypt.IsEncryptedInput(v) {
			continue
		}
		if red := p.redact(p.store, v); red != v {
			c.Attributes[k] = red
		}
	}
}

func (p Protection) redact(r *redact.Redactor, s string) string {
	if s == "" {
		return s
	}
	out, _ := r.Redact(s)
	return out
}

// Searchable returns the attributes that go to the search index (contact.Store.
// IndexAttributes): every attribute not marked sensitive, with its stored (redacted) value.
func (p Protection) Searchable(attrs map[string]string) map[string]string {
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		if !p.settings.IsSensitive(k) {
			out[k] = v
		}
	}
	return out
}

// Viewer says what the reader of a contact may see beyond the stored, redacted contact.
type Viewer struct {
	// SensitiveAttributes shows attributes marked sensitive (identity's
	// ActionViewSensitiveAttributes); without it they are left out.
	SensitiveAttributes bool
	// CardBINLast4 shows card numbers stored under the bin-last4 policy as BIN and last four
	// (identity's ActionViewCardBINLast4); without it they read "[CARD]".
	CardBINLast4 bool
}

// View returns what v sees of a stored contact: a copy without the sensitive attributes
// unless v may see them, and with card numbers stored as BIN and last four masked whole
// unless v may see those. c is not modified.
func (p Protection) View(c Contact, v Viewer) Contact {
	attrs := make(map[string]string, len(c.Attributes))
	for k, val := range c.Attributes {
		switch {
		case p.settings.IsSensitive(k):
			if v.SensitiveAttributes {
				attrs[k] = val
			}
		case v.CardBINLast4 || inputcrypt.IsEncryptedInput(val):
			attrs[k] = val
		default:
			attrs[k] = p.redact(p.mask, val)
		}
	}
	c.Attributes = attrs
	if !v.CardBINLast4 {
		c.Name = p.redact(p.mask, c.Name)
		c.Description = p.redact(p.mask, c.Description)
		if len(c.References) > 0 {
			refs := make(map[string]Reference, len(c.References))
			for k, r := range c.References {
				if redactedReference(r.Type) {
					r.Value = p.redact(p.mask, r.Value)
				}
				refs[k] = r
			}
			c.References = refs
		}
	}
	return c
}

// ForRecord returns c as its contact record may show it: no sensitive attribute and card
// numbers masked whole (records leave the instance for sinks whose readers Ringfence does
// not know).
func (p Protection) ForRecord(c Contact) Contact { return p.View(c, Viewer{}) }
