package redact

// maxSepGap is the most separator characters (spaces, dashes, dots) allowed between two digit
// groups of one number: "4111 - 1111" has three.
const maxSepGap = 3

// group is a maximal run of consecutive digits in the normalized text: first..last are nchar
// indices (inclusive), run numbers the number it belongs to (groups joined by at most
// maxSepGap separators share a run).
type group struct {
	first, last int
	digits      int
	run         int
}

// buildGroups lists the digit groups of n, appending to buf[:0].
func buildGroups(n []nchar, buf []group) []group {
	gs := buf[:0]
	run := 0
	for i := 0; i < len(n); {
		if !isDigit(n[i].c) {
			i++
			continue
		}
		j := i
		for j+1 < len(n) && isDigit(n[j+1].c) {
			j++
		}
		if len(gs) > 0 {
			prev := gs[len(gs)-1]
			joined := i-prev.last-1 <= maxSepGap
			for k := prev.last + 1; joined && k < i; k++ {
				joined = isSep(n[k].c)
			}
			if !joined {
				run++
			}
		}
		gs = append(gs, group{first: i, last: j, digits: j - i + 1, run: run})
		i = j + 1
	}
	return gs
}

// appendDigits appends the digit values ('0'..'9') of n[first..last] to dst.
func appendDigits(dst []byte, n []nchar, first, last int) []byte {
	for k := first; k <= last; k++ {
		if isDigit(n[k].c) {
			dst = append(dst, n[k].c)
		}
	}
	return dst
}
