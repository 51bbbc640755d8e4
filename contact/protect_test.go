package contact_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
)

const (
	pan = "4111 1111 1111 1111"
	ssn = "123-45-6789"
)

// sample is a task holding a card number, CVV and SSN everywhere a contact holds free text.
func sample(ciphertext string) contact.Contact {
	return contact.Contact{
		Name:        "Card " + pan,
		Description: "card " + pan + " cvv 737, ssn " + ssn,
		References: map[string]contact.Reference{
			"note":   {Type: "STRING", Value: "card " + pan},
			"amount": {Type: "NUMBER", Value: "4111111111111111"},
			"ticket": {Type: "URL", Value: "https://tickets.example.com/123456789"},
		},
		Attributes: map[string]string{
			"note": "ssn " + ssn, "tier": "gold", "ssn": ssn, "card_pan": pan, "EncryptedCard": ciphertext,
			"contact": "8f14e45f-ceea-467a-9af1-123456789abc",
		},
	}
}

func encrypted(t *testing.T) string {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := inputcrypt.NewProvider().ForContact("inst", "c1").EncryptInput("key-1", pemOf(t, k.PublicKey()), secret.New("4111111111111111"))
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	ct := encrypted(t)
	r := contact.NewRedactors()
	settings := instance.DataProtection{SensitiveAttributes: []string{"ssn", "card_*"}}
	for _, tc := range []struct {
		name     string
		card     instance.CardDisplay
		wantCard string
	}{
		{"mask", instance.CardMaskAll, "[CARD]"},
		{"bin-last4", instance.CardBINLast4, "[CARD 411111******1111]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := settings
			d.CardDisplay = tc.card
			p := r.For(d)
			c := sample(ct)
			p.Sanitize(&c)
			want := contact.Contact{
				Name:        "Card " + tc.wantCard,
				Description: "card " + tc.wantCard + " cvv [CVV], ssn [SSN]",
				References: map[string]contact.Reference{
					"note":   {Type: "STRING", Value: "card " + tc.wantCard},
					"amount": {Type: "NUMBER", Value: tc.wantCard},
					"ticket": {Type: "URL", Value: "https://tickets.example.com/123456789"},
				},
				Attributes: map[string]string{
					"note": "ssn [SSN]", "tier": "gold", "ssn": ssn, "card_pan": pan, "EncryptedCard": ct,
					"contact": "8f14e45f-ceea-467a-9af1-123456789abc",
				},
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("Sanitize (-want +got):\n%s", diff)
			}
			again := c
			again.Attributes = map[string]string{}
			for k, v := range c.Attributes {
				again.Attributes[k] = v
			}
			p.Sanitize(&again)
			if diff := cmp.Diff(c, again); diff != "" {
				t.Errorf("Sanitize twice changed the contact (-once +twice):\n%s", diff)
			}
		})
	}
}

func TestView(t *testing.T) {
	t.Parallel()
	ct := encrypted(t)
	p := contact.NewRedactors().For(instance.DataProtection{SensitiveAttributes: []string{"ssn", "card_*"}, CardDisplay: instance.CardBINLast4})
	stored := sample(ct)
	p.Sanitize(&stored)
	for _, tc := range []struct {
		name          string
		v             contact.Viewer
		wantSensitive bool
		wantCard      string
	}{
		{"nothing more", contact.Viewer{}, false, "[CARD]"},
		{"sensitive attributes", contact.Viewer{SensitiveAttributes: true}, true, "[CARD]"},
		{"bin and last 4", contact.Viewer{CardBINLast4: true}, false, "[CARD 411111******1111]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := p.View(stored, tc.v)
			_, hasSSN := got.Attributes["ssn"]
			_, hasCard := got.Attributes["card_pan"]
			if hasSSN != tc.wantSensitive || hasCard != tc.wantSensitive {
				t.Errorf("sensitive attributes shown = %v/%v, want %v", hasSSN, hasCard, tc.wantSensitive)
			}
			if tc.wantSensitive && (got.Attributes["ssn"] != ssn || got.Attributes["card_pan"] != pan) {
				t.Errorf("sensitive attributes = %q, %q; want them as set", got.Attributes["ssn"], got.Attributes["card_pan"])
			}
			if want := "card " + tc.wantCard + " cvv [CVV], ssn [SSN]"; got.Description != want {
				t.Errorf("Description = %q, want %q", got.Description, want)
			}
			if got.References["note"].Value != "card "+tc.wantCard || got.Attributes["EncryptedCard"] != ct || got.Attributes["tier"] != "gold" {
				t.Errorf("view = %+v", got)
			}
		})
	}
	// View does not change the stored contact.
	if stored.Attributes["ssn"] != ssn || !strings.Contains(stored.Description, "[CARD 411111") {
		t.Errorf("View modified its input: %+v", stored)
	}
	rec := p.ForRecord(stored)
	if _, ok := rec.Attributes["ssn"]; ok || strings.Contains(rec.Description, "411111") {
		t.Errorf("ForRecord = %+v: want no sensitive attribute and cards masked whole", rec)
	}
}
