package incident

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

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
