package redact

// Context words. A word is a maximal run of ASCII or fullwidth Latin letters, compared
// lower-case; a phrase is consecutive words with at most phraseGap weighted characters
// between them.
const phraseGap = 2

// cvvWord reports whether w names a card security code on its own.
func cvvWord(w []byte) bool {
	switch string(w) {
	case "cvv", "cvc", "cvn", "csc", "cid", "cvd", "cav":
		return true
	}
	return false
}

// cvvPhrase reports whether the words a, b name a card security code ("security code").
func cvvPhrase(a, b []byte) bool {
	switch string(a) {
	case "security":
		switch string(b) {
		case "code", "number", "digits":
			return true
		}
	case "verification":
		switch string(b) {
		case "code", "value", "number":
			return true
		}
	case "card", "sec":
		return string(b) == "code"
	}
	return false
}

// bankWord reports whether w is bank-account context for routing numbers.
func bankWord(w []byte) bool {
	switch string(w) {
	case "routing", "aba", "rtn", "ach", "bank", "banking", "transit", "wire",
		"account", "acct", "checking", "savings", "deposit":
		return true
	}
	return false
}

// span is a range of nchar indices, inclusive.
type span struct{ first, last int }

// contexts lists, in text order, the CVV context (context words, phrases and card masks: a
// code written next to a card number is its CVV) and the bank context words of the text. It
// runs after the IBAN and card stages, so letters inside an IBAN are not read as words and
// cards found in this pass are masks.
func (s *scan) contexts() (cvv, bank []span) {
	n := s.n
	addCVV := func(sp span) {
		if len(cvv) == 0 || cvv[len(cvv)-1].last < sp.first {
			cvv = append(cvv, sp)
		}
	}
	// Words longer than maxWord letters are no context word; they are read as empty.
	const maxWord = 16
	var prevBuf, curBuf [maxWord]byte
	var prevW, curW []byte
	prev := span{-1, -1}
	for i := 0; i < len(n); {
		if n[i].c == cMaskCard || n[i].c == cBIN {
			if l := len(cvv); l > 0 && cvv[l-1].last == i-1 && (n[i-1].c == cMaskCard || n[i-1].c == cBIN) {
				cvv[l-1].last = i
			} else {
				addCVV(span{i, i})
			}
			i++
			continue
		}
		if !isLetter(n[i].c) {
			i++
			continue
		}
		j := i
		for j+1 < len(n) && isLetter(n[j+1].c) {
			j++
		}
		cur := span{i, j}
		curW = curBuf[:0]
		if j-i+1 <= maxWord {
			for k := i; k <= j; k++ {
				curW = append(curW, n[k].c)
			}
		}
		if prev.first >= 0 && s.dist(prev.last, cur.first) <= phraseGap && cvvPhrase(prevW, curW) {
			addCVV(prev)
			addCVV(cur)
		}
		if cvvWord(curW) {
			addCVV(cur)
		}
		if bankWord(curW) {
			bank = append(bank, cur)
		}
		prev = cur
		prevBuf, curBuf = curBuf, prevBuf
		prevW = prevBuf[:len(curW)]
		i = j + 1
	}
	return cvv, bank
}

// dist is the weighted distance between nchar a and a later nchar b: the number of weighted
// characters strictly between them (see weight).
func (s *scan) dist(a, b int) int32 { return s.prefix[b] - s.prefix[a+1] }

// nearer walks sorted, non-overlapping context spans alongside candidates visited in order.
type nearer struct {
	hits   []span
	k      int
	window int32
}

// near reports whether candidate c has a context span within the window before or after it.
// Candidates must be passed in increasing order and never overlap a context span.
func (nr *nearer) near(s *scan, c span) bool {
	for nr.k < len(nr.hits) && nr.hits[nr.k].last < c.first {
		nr.k++
	}
	if nr.k > 0 && s.dist(nr.hits[nr.k-1].last, c.first) <= nr.window {
		return true
	}
	if k := nr.k; k < len(nr.hits) && s.dist(c.last, nr.hits[k].first) <= nr.window {
		return true
	}
	return false
}
