package corpus

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// rng is splitmix64: tiny, and its output is fixed forever, unlike the
// standard library generators whose streams are not a compatibility promise.
type rng struct{ s uint64 }

func newRNG(seed, stream int64) *rng {
	r := &rng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ uint64(stream)*0xD1B54A32D192ED03}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns an int in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64url     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

func (r *rng) str(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.intn(len(alphabet))]
	}
	return string(b)
}

// deck deals values in a shuffled cycle so every variant is used before any
// repeats, which keeps kinds and forms evenly spread over the corpus.
type deck struct {
	n    int
	left []int
}

func (d *deck) draw(r *rng) int {
	if len(d.left) == 0 {
		d.left = make([]int, d.n)
		for i := range d.left {
			d.left[i] = i
		}
		for i := len(d.left) - 1; i > 0; i-- {
			j := r.intn(i + 1)
			d.left[i], d.left[j] = d.left[j], d.left[i]
		}
	}
	v := d.left[len(d.left)-1]
	d.left = d.left[:len(d.left)-1]
	return v
}

// planter hands out planted items. Its decks span the whole corpus; rng is
// replaced per screen.
type planter struct {
	rng                                          *rng
	seedRNG                                      *rng
	custD, amtD, clsD, credD, decoyD, compD, emD deck
	smallD, wordD                                deck
}

func newPlanter(seed int64) *planter {
	return &planter{
		seedRNG: newRNG(seed, -1),
		custD:   deck{n: len(customerNames)}, amtD: deck{n: len(amountForms)},
		clsD: deck{n: len(classificationMarkers)}, credD: deck{n: len(credentialRules)},
		compD: deck{n: len(decoyCompanies)}, emD: deck{n: len(emailPeople)},
		smallD: deck{n: len(smallAmounts)}, wordD: deck{n: len(decoyWords)},
		decoyD: deck{n: 3},
	}
}

// Decks draw from the corpus-wide rng so that the cycle is shared by all
// screens; values inside an item (digits, key bodies) use the screen rng.
func (p *planter) customer() seg {
	return seg{text: customerNames[p.custD.draw(p.seedRNG)], kind: KindCustomer, rule: "customers"}
}

func (p *planter) amount() seg {
	return seg{text: amountForms[p.amtD.draw(p.seedRNG)](p.rng), kind: KindAmount, rule: "large-amount"}
}

func (p *planter) classification() seg {
	return seg{text: classificationMarkers[p.clsD.draw(p.seedRNG)], kind: KindClassification, rule: "classification-marker"}
}

func (p *planter) email() seg {
	pp := emailPeople[p.emD.draw(p.seedRNG)]
	return seg{text: pp, kind: KindEmail, rule: "email-address"}
}

// credential returns a credential of the next rule in the deck, or of rule
// when given.
func (p *planter) credential(rule string) seg {
	if rule == "" {
		rule = credentialRules[p.credD.draw(p.seedRNG)]
	}
	return seg{text: makeCredential(p.rng, rule), kind: KindCredential, rule: rule}
}

// shortCredential is one that fits a chat message or a form field.
func (p *planter) shortCredential(maxLen int) seg {
	for {
		s := p.credential("")
		if len(s.text) <= maxLen {
			return s
		}
	}
}

func (p *planter) decoyCompany() seg {
	return seg{text: decoyCompanies[p.compD.draw(p.seedRNG)], kind: KindDecoy}
}

func (p *planter) decoySmall() seg {
	return seg{text: smallAmounts[p.smallD.draw(p.seedRNG)], kind: KindDecoy}
}

func (p *planter) decoyWord() seg {
	return seg{text: decoyWords[p.wordD.draw(p.seedRNG)], kind: KindDecoy}
}

// decoy returns any kind of decoy.
func (p *planter) decoy() seg {
	switch p.decoyD.draw(p.seedRNG) {
	case 0:
		return p.decoyCompany()
	case 1:
		return p.decoySmall()
	}
	return p.decoyWord()
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func tenths(r *rng, lo, hi int) string {
	v := r.between(lo*10, hi*10)
	return fmt.Sprintf("%d.%d", v/10, v%10)
}

// amountForms are the ways large amounts are written on real screens; every
// one is at least $1.1M.
var amountForms = []func(*rng) string{
	func(r *rng) string { return "$" + tenths(r, 2, 900) + " million" },
	func(r *rng) string { return "$" + tenths(r, 2, 99) + "M" },
	func(r *rng) string { return "US$ " + tenths(r, 1, 9) + "bn" },
	func(r *rng) string { return "USD " + commas(int64(r.between(2, 90))*1_000_000) },
	func(r *rng) string { return "$ " + commas(int64(r.between(11, 99))*500_000) },
	func(r *rng) string { return tenths(r, 2, 9) + " million dollars" },
	func(r *rng) string { return "$" + tenths(r, 2, 40) + "MM" },
	func(r *rng) string { return "$" + commas(int64(r.between(44, 400))*25_000) },
	func(r *rng) string { return "$" + fmt.Sprint(r.between(2, 60)) + "M" },
	func(r *rng) string { return "$" + tenths(r, 1, 4) + "B" },
}

var smallAmounts = []string{
	"$4.99", "$250K", "$999,999", "$0.9M", "$12.50", "$480K", "$75,000",
	"$0.4 million", "$99/mo", "$640,000", "US$ 950,000", "$19.99",
}

// decoyWords look like markers or amounts to a careless matcher but are not.
var decoyWords = []string{
	"3.5M downloads", "1,000,000 requests", "acrylic", "across", "internal API",
	"Do Not Disturb", "confidence score", "2.4M monthly users", "12,000,000 rows",
	"1.5 million page views", "@here", "Restructured", "classification accuracy",
	"Privilege escalation", "restriction sites", "Distributed tracing",
}

var classificationMarkers = []string{
	"Confidential", "Internal Only", "Do Not Distribute", "Privileged & Confidential",
	"Under NDA", "CONFIDENTIAL", "Restricted", "CONFIDENTIAL – Internal Only",
	"RESTRICTED", "Confidential – Do Not Distribute",
}

var credentialRules = []string{
	"aws-access-key", "private-key", "jwt", "bearer-token", "connection-string",
	"github-token", "slack-token", "stripe-key",
}

var jwtSubjects = []string{"demo-user", "svc-billing", "ops-bot", "j.doe", "report-runner", "1234567890"}

var connectionStrings = []string{
	"postgres://admin:S3cretPass@db.internal:5432/prod",
	"mongodb+srv://app_user:Xk9pLm2Qw@cluster0.fake-mongo.net/orders",
	"mysql://root:hunter2-Prod@10.20.3.7:3306/billing",
	"redis://default:p4ssw0rdRedis@cache-01.corp:6379/0",
	"postgresql://etl:Wint3r!2026@warehouse.corp:5432/analytics",
	"amqp://rabbit:N0tThePassword@mq.corp:5672/vhost",
}

// makeCredential returns obviously fake but well-formed secrets: most carry
// EXAMPLE or FAKE in the body so nobody mistakes the corpus for a leak.
func makeCredential(r *rng, rule string) string {
	switch rule {
	case "aws-access-key":
		return "AKIA" + r.str(9, upperAlnum) + "EXAMPLE"
	case "private-key":
		return pick(r, []string{
			"-----BEGIN RSA PRIVATE KEY-----",
			"-----BEGIN OPENSSH PRIVATE KEY-----",
			"-----BEGIN EC PRIVATE KEY-----",
			"-----BEGIN PRIVATE KEY-----",
		})
	case "jwt":
		enc := base64.RawURLEncoding
		// Short claims and a truncated MAC keep the token on one line.
		h := enc.EncodeToString([]byte(`{"alg":"HS256"}`))
		pl := enc.EncodeToString(fmt.Appendf(nil, `{"sub":"%s"}`, pick(r, jwtSubjects)))
		m := hmac.New(sha256.New, []byte("demoguard-fake-key"))
		m.Write([]byte(h + "." + pl))
		return h + "." + pl + "." + enc.EncodeToString(m.Sum(nil)[:16])
	case "bearer-token":
		return "Authorization: Bearer " + r.str(6, alnum) + "FAKE" + r.str(22, b64url[:62])
	case "connection-string":
		return pick(r, connectionStrings)
	case "github-token":
		return "ghp_" + r.str(10, alnum) + "FAKEdemoguard" + r.str(13, alnum)
	case "slack-token":
		return fmt.Sprintf("xoxb-%d-%d-%sFAKE%s", r.between(1e11, 9e11), r.between(1e12, 9e12), r.str(10, alnum), r.str(10, alnum))
	case "stripe-key":
		return "sk_live_" + r.str(6, alnum) + "FAKEdemo" + r.str(10, alnum)
	}
	panic("corpus: unknown credential rule " + rule)
}
