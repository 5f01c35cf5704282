package scanner

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Mask hides matched text for alerts and logs: the first and last character
// stay (so the presenter recognises which item it is), everything else that
// is not a space becomes '*' — "Walmart" → "W*****t". Text of one or two
// characters is fully masked.
func Mask(s string) string {
	r := []rune(strings.TrimSpace(s))
	n := len(r)
	if n == 0 {
		return ""
	}
	out := make([]rune, n)
	for i, c := range r {
		switch {
		case n > 2 && (i == 0 || i == n-1):
			out[i] = c
		case unicode.IsSpace(c):
			out[i] = c
		default:
			out[i] = '*'
		}
	}
	return string(out)
}

// NewSalt returns a random salt for fingerprints: a fingerprint identifies
// the same text within one run (or across runs sharing a configured salt)
// without being a dictionary-attackable hash of a customer name.
func NewSalt() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("demoguard: no randomness for the fingerprint salt: " + err.Error())
	}
	return b
}

// Fingerprint is the salted hash of normalised matched text (case and spaces
// folded, so OCR spacing variations of one item agree), 16 hex digits.
func Fingerprint(salt []byte, text string) string {
	norm := strings.ToLower(strings.Join(strings.Fields(text), " "))
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(norm))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
