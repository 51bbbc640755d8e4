package flow

import (
	"strings"
	"unicode/utf8"
)

// GetParticipantInput asks the customer for DTMF or text input: a menu (StoreInput
// "False": the input is the result, matched by Equals conditions) or stored input
// (StoreInput "True": the input goes to $.StoredCustomerInput, optionally encrypted).
// Sources: participant-actions-getparticipantinput; store-customer-input; encrypt-data.
//
//	{"Identifier": "card", "Type": "GetParticipantInput",
//	 "Parameters": {"Text": "Enter your card number, then press pound.", "StoreInput": "True",
//	   "InputTimeLimitSeconds": "6", "InputValidation": {"CustomValidation": {"MaximumLength": "20"}},
//	   "InputEncryption": {"EncryptionKeyId": "key-1", "Key": "-----BEGIN CERTIFICATE-----..."},
//	   "DTMFConfiguration": {"InputTerminationSequence": "#", "DisableCancelKey": "False"}},
//	 "Transitions": {"NextAction": "thanks", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "retry"}]}}
//
// The flow waits (WaitInput). On Resume: a menu answers with the input as result
// (timeout: InputTimeLimitExceeded, falling back to NoMatchingError); stored input
// without a reply stores "Timeout" and succeeds. Encrypted input is handed to the
// Config.Encryptor as a secret.Value and only the ciphertext is stored; without an
// Encryptor the action takes NoMatchingError. Stored input never appears in flow logs.
func getParticipantInput() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "GetParticipantInput", Category: "participant", Status: StatusExecuted, Summary: "Waits for DTMF/text input: a menu choice, or stored input (encrypted through the InputEncryptor when InputEncryption is set)."},
		params: append([]paramRule{
			{name: "InputTimeLimitSeconds", kind: pInt, min: 1, max: 180},
			{name: "StoreInput", kind: pBool},
			{name: "InputValidation", kind: pObject},
			{name: "InputEncryption", kind: pObject},
			{name: "DTMFConfiguration", kind: pObject},
		}, promptRules()...),
		check:  checkGetParticipantInput,
		run:    runGetParticipantInput,
		resume: resumeGetParticipantInput,
	}
}

func checkGetParticipantInput(c *checker, a *Action, path string) {
	checkOnePrompt(c, a, path, false)
	store, _ := parseBool(a.Parameters["StoreInput"])
	enc, hasEnc := paramObject(a.Parameters, "InputEncryption")
	if hasEnc {
		if !store {
			c.errorf(KindInvalidParameter, a.Identifier, path+".Parameters.InputEncryption", "InputEncryption needs StoreInput \"True\"")
		}
		for _, k := range []string{"EncryptionKeyId", "Key"} {
			if _, ok := paramString(enc, k); !ok {
				c.errorf(KindMissingParameter, a.Identifier, path+".Parameters.InputEncryption."+k, "InputEncryption.%s is required", k)
			}
		}
	}
	if !store && len(a.Transitions.Conditions) > 0 {
		for i, cd := range a.Transitions.Conditions {
			if cd.Condition.Operator != "Equals" && knownOperator(cd.Condition.Operator) {
				c.errorf(KindInvalidTransition, a.Identifier, path+".Transitions.Conditions["+itoa(i)+"].Condition.Operator",
					"GetParticipantInput allows only the Equals operator")
			}
		}
	}
}

func runGetParticipantInput(r *runner, a *Action) step {
	p := a.Parameters
	w := &Wait{Kind: WaitInput, TimeoutSeconds: r.intParam(p, "InputTimeLimitSeconds", 5), Input: &InputSpec{MaxDigits: 1}}
	if m, present, errType := r.message(p); errType != "" {
		return fail(errType)
	} else if present {
		w.Prompt = &m
	}
	in := w.Input
	in.Sensitive = r.boolParam(p, "StoreInput")
	_, in.Encrypted = paramObject(p, "InputEncryption")
	if dtmf, ok := paramObject(p, "DTMFConfiguration"); ok {
		in.TerminationSequence, _, _ = r.param(dtmf, "InputTerminationSequence")
		in.InterdigitSeconds = r.intParam(dtmf, "InterdigitTimeLimitSeconds", 0)
		in.DisableCancelKey = r.boolParam(dtmf, "DisableCancelKey")
	}
	if val, ok := paramObject(p, "InputValidation"); ok {
		if cv, ok := paramObject(val, "CustomValidation"); ok {
			in.MaxDigits = r.intParam(cv, "MaximumLength", 20)
		}
		if pv, ok := paramObject(val, "PhoneNumberValidation"); ok {
			in.PhoneNumber, _, _ = r.param(pv, "NumberFormat")
			in.CountryCode, _, _ = r.param(pv, "CountryCode")
			in.MaxDigits = 20
		}
	} else if in.Sensitive {
		in.MaxDigits = 20
	}
	for _, c := range a.Transitions.Conditions {
		if len(c.Condition.Operands) > 0 {
			in.Options = append(in.Options, c.Condition.Operands[0])
			if n := utf8.RuneCountInString(c.Condition.Operands[0]); n > in.MaxDigits {
				in.MaxDigits = n
			}
		}
	}
	return step{wait: w}
}

func resumeGetParticipantInput(r *runner, a *Action, ans Answer) step {
	p := a.Parameters
	store := r.boolParam(p, "StoreInput")
	if ans.ErrorType != "" {
		return step{err: ans.ErrorType, hide: store}
	}
	if !store {
		if ans.Timeout {
			return fail("InputTimeLimitExceeded")
		}
		in := ans.Input.Reveal()
		return result(in)
	}
	if ans.Timeout {
		r.s.StoredCustomerInput = "Timeout"
		return step{hide: true}
	}
	in := ans.Input.Reveal()
	if val, ok := paramObject(p, "InputValidation"); ok {
		if cv, ok := paramObject(val, "CustomValidation"); ok {
			if max := r.intParam(cv, "MaximumLength", 0); max > 0 && utf8.RuneCountInString(in) > max {
				return step{err: ErrNoMatchingError, hide: true}
			}
		}
		if pv, ok := paramObject(val, "PhoneNumberValidation"); ok {
			format, _, _ := r.param(pv, "NumberFormat")
			if !validPhone(in, format) {
				return step{err: "InvalidPhoneNumber", hide: true}
			}
		}
	}
	if enc, ok := paramObject(p, "InputEncryption"); ok {
		if r.e.cfg.Encryptor == nil {
			st := r.missing(a, "input encryption")
			st.hide = true
			return st
		}
		keyID, _, _ := r.param(enc, "EncryptionKeyId")
		key, _, _ := r.param(enc, "Key")
		ct, err := r.e.cfg.Encryptor.EncryptInput(keyID, key, ans.Input)
		if err != nil {
			r.notice(a, "encryption_failed", "input encryption failed")
			return step{err: ErrNoMatchingError, hide: true}
		}
		r.s.StoredCustomerInput = ct
		return step{hide: true}
	}
	r.s.StoredCustomerInput = in
	return step{hide: true}
}

// validPhone checks E.164 ("E164") or a local number of 4-15 digits ("Local").
func validPhone(in, format string) bool {
	if strings.EqualFold(format, "Local") {
		d := strings.TrimPrefix(in, "+")
		if len(d) < 4 || len(d) > 15 {
			return false
		}
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return true
	}
	return e164Pattern.MatchString(in)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
