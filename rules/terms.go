package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Fuzzy matching: a term of at least fuzzyMinLen folded characters tolerates
// one edit, and a term of at least fuzzyLongLen tolerates two. Candidates are
// found with a deletion neighbourhood (each term indexed under itself and
// every form with one character deleted; each piece of text looked up the
// same way), so the cost per lookup does not depend on the number of terms.
// Deleting one character on each side finds every variant within one edit,
// and of the two-edit variants those made of a missing plus an extra letter.
const (
	fuzzyMinLen  = 5
	fuzzyLongLen = 10
	// maxWindowTokens bounds how many OCR tokens one term may span; OCR
	// splits words, so this is more than the longest term's word count.
	maxWindowTokens = 8
	// hashedMaxTokens bounds the window for hashed terms, whose word count
	// is not known.
	hashedMaxTokens = 6
)

func editBudget(n int) int {
	switch {
	case n >= fuzzyLongLen:
		return 2
	case n >= fuzzyMinLen:
		return 1
	}
	return 0
}

type termEntry struct {
	folded   string // folded, token-joined without separators
	tokens   int
	fuzzy    bool
	accented bool // written with accents: its marks are in termIndex.marks
}

// termIndex matches a list of terms of one rule against token windows.
type termIndex struct {
	terms []termEntry
	// table maps the hash of a folded form (or of a one-deletion variant) to
	// term ids: an open-addressing multimap built once by build, because a
	// Go map growing to millions of entries is what made loading slow.
	table   hashTable
	nkeys   int
	foldBuf []byte
	maxLen  int // longest folded term, in bytes
	maxTok  int
	anyFz   bool
	// marks holds foldMarks of the fuzzy terms written with accents, by id.
	marks map[int32][]rune

	// Case-sensitive terms: exact match on the raw tokens.
	exactCase map[string]struct{}
	caseTok   map[int]bool // token counts present among case-sensitive terms

	// Hashed terms: hex sha256(salt + folded) → present.
	salt   string
	hashed map[[32]byte]struct{}

	// words is a Bloom filter of the terms' folded words (wordHashes until
	// build), each as a word a term runs on after (not its last) and as
	// one a term continues with (not its first): see mayWrap.
	words      bitSet
	wordHashes []uint64
}

func newTermIndex() *termIndex {
	return &termIndex{exactCase: map[string]struct{}{}, caseTok: map[int]bool{}}
}

// add indexes one term. caseSensitive terms match only as written, as whole
// words; others match folded and, when fuzzy, within the edit budget.
func (ix *termIndex) add(term string, caseSensitive, fuzzy bool) {
	if caseSensitive {
		toks := termTokens(term)
		if len(toks) == 0 {
			return
		}
		ix.exactCase[strings.Join(toks, "\x00")] = struct{}{}
		for i, t := range toks {
			ix.addWord(hashString(fold(t)), i, len(toks))
		}
		ix.caseTok[len(toks)] = true
		ix.maxTok = max(ix.maxTok, len(toks))
		return
	}
	// Fold token by token, as the text side does, into one reused buffer:
	// loading 100,000 terms must not allocate per token.
	b := ix.foldBuf[:0]
	ntok, prev := 0, uint64(0)
	tokenSpans(term, func(start, end int) {
		n := len(b)
		b = foldAppend(b, term[start:end])
		// Each word is known as a term's next one when the one after it
		// comes: the last word only continues.
		if ntok > 0 {
			ix.addWord(prev, ntok-1, ntok+1)
		}
		prev = hashString(bytesString(b[n:]))
		ntok++
	})
	ix.foldBuf = b
	if ntok == 0 || len(b) == 0 {
		return
	}
	ix.addWord(prev, ntok-1, ntok)
	f := string(b)
	fz := fuzzy && utf8.RuneCountInString(f) >= fuzzyMinLen
	accented := fz && hasAccent(term)
	if accented {
		var m []rune
		tokenSpans(term, func(start, end int) { m = foldMarks(m, term[start:end]) })
		if ix.marks == nil {
			ix.marks = map[int32][]rune{}
		}
		ix.marks[int32(len(ix.terms))] = m
	}
	ix.terms = append(ix.terms, termEntry{folded: f, tokens: ntok, fuzzy: fz, accented: accented})
	ix.maxLen = max(ix.maxLen, len(f))
	ix.maxTok = max(ix.maxTok, ntok)
	ix.nkeys++
	if fz {
		ix.anyFz = true
		ix.nkeys += len(f)
	}
}

// reserve makes room for about n more terms, so a long terms file does not
// pay for repeated slice growth.
func (ix *termIndex) reserve(n int) {
	ix.terms = slices.Grow(ix.terms, n)
	// A name has two or three words, each recorded once or twice (addWord).
	ix.wordHashes = slices.Grow(ix.wordHashes, 4*n)
}

// build makes the lookup table once every term is known: sizing it from the
// exact key count means one allocation and no staging copy of the keys,
// which is what loading 100,000 names spent its time and memory on.
//
// It stops early, leaving a useless index, when ctx is done: a few million
// names take seconds, and the caller then discards the whole load.
func (ix *termIndex) build(ctx context.Context) {
	ix.table = newHashTable(ix.nkeys)
	for i, t := range ix.terms {
		if i&0xffff == 0xffff && ctx.Err() != nil {
			break
		}
		id := int32(i)
		ix.table.put(hashString(t.folded), id)
		if t.fuzzy {
			forEachDeletion(t.folded, func(h uint64) { ix.table.put(h, id) })
		}
	}
	ix.foldBuf = nil
	ix.words = newBitSet(ix.wordHashes)
	ix.wordHashes = nil
}

// wrapWordLen: beside a line break, a term's word of at least this many
// folded bytes is enough for mayWrap; a shorter one needs the other word.
const wrapWordLen = 4

// wordContinues marks a word's hash as one a term continues with.
const wordContinues = 0x9E3779B97F4A7C15

// addWord records word i (hash h) of a term of n words for mayWrap.
func (ix *termIndex) addWord(h uint64, i, n int) {
	if i < n-1 {
		ix.wordHashes = append(ix.wordHashes, h)
	}
	if i > 0 {
		ix.wordHashes = append(ix.wordHashes, h^wordContinues)
	}
}

// mayWrap reports whether a term may run across a line break between the
// folded words x (the end of a line) and y (the start of the next): x is a
// word some term runs on after, or y one some term continues with (a word
// under wrapWordLen counts only if the other does too), or the line ends
// with a hyphen (a word hyphenated). This keeps the cross-line step cheap:
// most line breaks are beside no term's word, and a fuzzy lookup costs a
// probe per letter. The price: a wrapped term is missed when OCR misread
// (beyond what folding mends) both words beside the break, or the one
// beside a short word. Hashed terms' words are not known: always tried.
func (ix *termIndex) mayWrap(x, y string, hyphen bool) bool {
	if hyphen || ix.hashed != nil {
		return true
	}
	runsOn, continues := ix.words.has(hashString(x)), ix.words.has(hashString(y)^wordContinues)
	// A short word (of, and, 12, 4) is in many terms and beside many line
	// breaks: it counts only together with the other word.
	return runsOn && continues || runsOn && len(x) >= wrapWordLen || continues && len(y) >= wrapWordLen
}

// bitSet is a Bloom filter of 64-bit hashes with two bits each, about 16
// bits an entry: false positives about 1.5%.
type bitSet struct {
	bits []uint64
	mask uint64
}

func newBitSet(hashes []uint64) bitSet {
	n := uint64(64)
	for n < 16*uint64(len(hashes)) {
		n *= 2
	}
	s := bitSet{bits: make([]uint64, n/64), mask: n - 1}
	for _, h := range hashes {
		for _, i := range [2]uint64{h & s.mask, (h >> 32) & s.mask} {
			s.bits[i/64] |= 1 << (i % 64)
		}
	}
	return s
}

func (s bitSet) has(h uint64) bool {
	if len(s.bits) == 0 {
		return false
	}
	for _, i := range [2]uint64{h & s.mask, (h >> 32) & s.mask} {
		if s.bits[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

// hashTable is a linear-probing multimap from 64-bit hashes to term ids.
// Each slot packs a 32-bit fingerprint of the hash with id+1 (0 = empty), so
// the table is one zeroed array of 8-byte slots: building it allocates once
// and a lookup touches one cache line. A fingerprint collision only costs a
// candidate that verification rejects.
type hashTable struct {
	slots []uint64
	mask  uint64
	shift uint
}

func newHashTable(entries int) hashTable {
	size, bits := uint64(16), uint(4)
	for size*3 < uint64(4*entries) { // load factor at most 3/4
		size *= 2
		bits++
	}
	return hashTable{slots: make([]uint64, size), mask: size - 1, shift: 64 - bits}
}

// put stores id under key h; storing the same pair twice keeps one.
func (t *hashTable) put(h uint64, id int32) {
	v := fingerprint(h)<<32 | uint64(uint32(id)+1)
	i := t.slot(h)
	for t.slots[i] != 0 && t.slots[i] != v {
		i = (i + 1) & t.mask
	}
	t.slots[i] = v
}

func fingerprint(h uint64) uint64 { return h >> 32 }

func (t *hashTable) slot(h uint64) uint64 { return (h * 0x9E3779B97F4A7C15) >> t.shift }

// each calls fn for every id stored under h.
func (t *hashTable) each(h uint64, fn func(id int32)) {
	if len(t.slots) == 0 {
		return
	}
	fp := fingerprint(h)
	for i := t.slot(h); t.slots[i] != 0; i = (i + 1) & t.mask {
		if v := t.slots[i]; v>>32 == fp {
			fn(int32(uint32(v)) - 1)
		}
	}
}

func (ix *termIndex) addHashed(salt string, hexes []string) error {
	ix.salt = salt
	if ix.hashed == nil {
		ix.hashed = map[[32]byte]struct{}{}
	}
	for _, h := range hexes {
		var k [32]byte
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return errBadHash
		}
		copy(k[:], b)
		ix.hashed[k] = struct{}{}
	}
	return nil
}

// HashTerm is how terms_sha256 entries are made: hex SHA-256 of the salt and
// the folded term, so the same OCR look-alike folding applies to hashed terms.
func HashTerm(salt, term string) string {
	var b []byte
	for _, t := range termTokens(term) {
		b = foldAppend(b, t)
	}
	sum := sha256.Sum256(append([]byte(salt), b...))
	return hex.EncodeToString(sum[:])
}

// FNV-1a, computed without building the deleted strings.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// forEachDeletion calls fn with the hash of s with each one rune removed.
func forEachDeletion(s string, fn func(uint64)) {
	prev := -1
	for i := range s {
		_, size := utf8.DecodeRuneInString(s[i:])
		// Deleting one of a run of equal runes gives the same string: once.
		if prev >= 0 && s[prev:i] == s[i:i+size] {
			prev = i
			continue
		}
		prev = i
		h := uint64(fnvOffset)
		for j := 0; j < i; j++ {
			h ^= uint64(s[j])
			h *= fnvPrime
		}
		for j := i + size; j < len(s); j++ {
			h ^= uint64(s[j])
			h *= fnvPrime
		}
		fn(h)
	}
}

// termHit is a term match over tokens lo..hi of a line.
type termHit struct {
	lo, hi int
	dist   int
}

// windowTokens is the most OCR tokens one match may span.
func (ix *termIndex) windowTokens() int {
	maxTok := ix.maxTok + 1 // OCR may split one word in two
	if ix.hashed != nil {
		maxTok = max(maxTok, hashedMaxTokens)
	}
	return min(maxTok, maxWindowTokens)
}

// longWindow reports whether a window whose folded form is n bytes long
// cannot match, nor can any longer one: no term is that long. (Exact-case
// and hashed terms are not bounded by maxLen.)
func (ix *termIndex) longWindow(n int) bool {
	return n > ix.maxLen+2 && ix.hashed == nil && len(ix.exactCase) == 0
}

// matchWindow checks one window of tokens, win, whose folded forms joined
// are buf: whether it matches a term, and with how many edits.
func (ix *termIndex) matchWindow(buf []byte, win []token, scratch *matchScratch) (int, bool) {
	// Inside a product code only a long term counts (shortInCode).
	code := win[0].codeLeft || win[len(win)-1].codeRight
	d, ok := ix.lookup(buf, win, code, scratch)
	if code && shortInCode(bytesString(buf)) {
		return d, ok
	}
	n := len(win)
	if len(ix.exactCase) > 0 && ix.caseTok[n] && ix.matchCase(win, scratch) {
		return 0, true
	}
	if !ok && ix.hashed != nil && n <= hashedMaxTokens && ix.matchHashed(buf) {
		return 0, true
	}
	return d, ok
}

// find returns non-overlapping matches in the line, preferring at each
// position the longest window, then the fewest edits.
func (ix *termIndex) find(lt *lineText, scratch *matchScratch) []termHit {
	toks := lt.tokens
	var hits []termHit
	maxTok := ix.windowTokens()
	for i := 0; i < len(toks); {
		best := termHit{lo: -1}
		buf := scratch.buf[:0]
		for j := i; j < len(toks) && j-i < maxTok; j++ {
			buf = append(buf, toks[j].folded...)
			if ix.longWindow(len(buf)) {
				break
			}
			if d, ok := ix.matchWindow(buf, toks[i:j+1], scratch); ok {
				if best.lo < 0 || j > best.hi || d < best.dist {
					best = termHit{lo: i, hi: j, dist: d}
				}
			}
		}
		scratch.buf = buf
		if best.lo < 0 {
			i++
			continue
		}
		if best.dist > 0 && best.hi > best.lo {
			best = ix.trim(toks, best, scratch)
		}
		hits = append(hits, best)
		i = best.hi + 1
	}
	return hits
}

// findAcross looks for a term running from the end of one line onto the
// start of the next: tail is the first line's last tokens, head the next
// line's first tokens, and a window holds the last token of tail and the
// first of head. There is one line break, so one match at most: the window
// with the fewest edits, then the longest (a stray neighbour is not
// absorbed into a fuzzy match, and the longest term wins as in find). lo
// indexes tail, hi head.
func (ix *termIndex) findAcross(tail, head []token, scratch *matchScratch) (lo, hi, dist int, ok bool) {
	maxTok := ix.windowTokens()
	found, bestD, bestN := false, 0, 0
	tailBuf := scratch.across[:0]
	for k := 1; k <= len(tail) && k < maxTok; k++ {
		s := len(tail) - k
		// The tail grows leftwards: rebuild its folded form.
		tailBuf = tailBuf[:0]
		for _, t := range tail[s:] {
			tailBuf = append(tailBuf, t.folded...)
		}
		if ix.longWindow(len(tailBuf)) {
			break
		}
		win := append(scratch.win[:0], tail[s:]...)
		buf := append(scratch.buf[:0], tailBuf...)
		for e := 0; e < len(head) && k+e < maxTok; e++ {
			buf = append(buf, head[e].folded...)
			if ix.longWindow(len(buf)) {
				break
			}
			win = append(win, head[e])
			if d, ok := ix.matchWindow(buf, win, scratch); ok {
				if n := k + e + 1; !found || d < bestD || (d == bestD && n > bestN) {
					found, bestD, bestN, lo, hi = true, d, n, s, e
				}
			}
		}
		scratch.buf, scratch.win = buf, win
	}
	scratch.across = tailBuf
	return lo, hi, bestD, found
}

// exactTerm reports whether a term match with dist edits over the tokens
// of parts makes an Exact finding (see Finding.Exact): no edit, and at
// least exactTermLen folded characters (an exact match's folded tokens
// are the term's).
func exactTerm(dist int, parts ...[]token) bool {
	if dist != 0 {
		return false
	}
	n := 0
	for _, toks := range parts {
		for _, t := range toks {
			n += utf8.RuneCountInString(t.folded)
		}
	}
	return n >= exactTermLen
}

// trim prefers a window without its first or last token when that matches
// with fewer edits: the longest-window rule would otherwise absorb a stray
// neighbour ("9 - Internal Only" for Internal Only) into a fuzzy match.
func (ix *termIndex) trim(toks []token, h termHit, scratch *matchScratch) termHit {
	best := h
	for _, c := range [][2]int{{h.lo + 1, h.hi}, {h.lo, h.hi - 1}, {h.lo + 1, h.hi - 1}} {
		if c[0] > c[1] {
			continue
		}
		buf := scratch.buf[:0]
		for j := c[0]; j <= c[1]; j++ {
			buf = append(buf, toks[j].folded...)
		}
		scratch.buf = buf
		code := toks[c[0]].codeLeft || toks[c[1]].codeRight
		if d, ok := ix.lookup(buf, toks[c[0]:c[1]+1], code, scratch); ok && d < best.dist {
			best = termHit{lo: c[0], hi: c[1], dist: d}
		}
	}
	return best
}

func (ix *termIndex) matchCase(toks []token, scratch *matchScratch) bool {
	b := scratch.caseBuf[:0]
	for k, t := range toks {
		if k > 0 {
			b = append(b, 0)
		}
		b = append(b, t.raw...)
	}
	scratch.caseBuf = b
	_, ok := ix.exactCase[string(b)]
	return ok
}

func (ix *termIndex) matchHashed(folded []byte) bool {
	if len(folded) < 2 {
		return false
	}
	h := sha256.New()
	h.Write([]byte(ix.salt))
	h.Write(folded)
	var k [32]byte
	h.Sum(k[:0])
	_, ok := ix.hashed[k]
	return ok
}

// lookup checks one window (its tokens win, whose folded forms joined are w;
// code: the window is part of a product code) against the index; it returns
// the smallest edit distance to an accepted term.
func (ix *termIndex) lookup(w []byte, win []token, code bool, scratch *matchScratch) (int, bool) {
	if len(ix.terms) == 0 || len(w) > ix.maxLen+2 {
		return 0, false
	}
	s := bytesString(w)
	best, found := 0, false
	try := func(h uint64) {
		ix.table.each(h, func(id int32) {
			if d, ok := ix.accept(id, s, win, code, scratch); ok && (!found || d < best) {
				best, found = d, true
			}
		})
	}
	try(hashString(s))
	if found && best == 0 {
		return 0, true
	}
	if ix.anyFz && utf8.RuneCountInString(s) >= fuzzyMinLen-1 {
		forEachDeletion(s, try)
	}
	return best, found
}

// accept verifies a candidate: hashes collide and the deletion index
// over-generates, so the real distance decides.
func (ix *termIndex) accept(id int32, w string, win []token, code bool, scratch *matchScratch) (int, bool) {
	t := ix.terms[id]
	n := len(win)
	if code && shortInCode(t.folded) {
		return 0, false
	}
	// A short term must be whole words: joining split tokens is allowed only
	// for terms long enough to be distinctive.
	if !t.fuzzy && t.tokens != n && len(t.folded) < fuzzyMinLen {
		return 0, false
	}
	if n > t.tokens+1 || n < t.tokens-1 {
		return 0, false
	}
	if w == t.folded {
		return 0, true
	}
	if !t.fuzzy {
		return 0, false
	}
	// An inflection is not an OCR error: "privilege" is not "Privileged".
	if strings.HasPrefix(w, t.folded) || strings.HasPrefix(t.folded, w) {
		return 0, false
	}
	budget := editBudget(utf8.RuneCountInString(t.folded))
	d := osaDistance(w, t.folded, budget, scratch)
	if d > budget {
		return d, false
	}
	// A fuzzy match must leave accents in place (see accentDistance).
	if t.accented || anyAccented(win) {
		wm := scratch.wm[:0]
		for _, tk := range win {
			wm = foldMarks(wm, tk.raw)
		}
		scratch.wm = wm
		d = accentDistance(w, wm, t.folded, ix.marks[id], budget, scratch)
	}
	return d, d <= budget
}

// shortInCode reports whether a term of this folded form, found as part of
// a hyphenated code with a digit in another part (ACR-122U, SKU-ACR-7,
// X1-ACR), is not the term: a term under fuzzyMinLen characters is an
// acronym or a short word, which codes are made of. A longer term is
// distinctive, and a file name such as Walmart-Q3-2026.pdf still shows it.
func shortInCode(folded string) bool {
	return utf8.RuneCountInString(folded) < fuzzyMinLen
}

func anyAccented(win []token) bool {
	for _, tk := range win {
		if tk.accented {
			return true
		}
	}
	return false
}

// accentDistance is osaDistance for a fuzzy match where the text a or the
// term b has accents (am, bm: their foldMarks; bm nil when the term has
// none). An accent is where languages put their distinctions, and OCR's
// error there is dropping it, not misreading the letter under it: so no
// edit may touch an accented letter on either side, and a text letter's
// accent must be the term's. A term's accent read without it costs nothing.
// "telefonía" is not Telefónica (the text's í is not in the term), nor
// "Miller" Müller (the edit is at ü); "Telefonca" still is.
func accentDistance(a string, am []rune, b string, bm []rune, limit int, scratch *matchScratch) int {
	ra := append(scratch.ra[:0], []rune(a)...)
	rb := append(scratch.rb[:0], []rune(b)...)
	scratch.ra, scratch.rb = ra, rb
	n, m := len(ra), len(rb)
	if len(am) != n || (bm != nil && len(bm) != m) {
		return limit + 1 // cannot happen: marks are made by the same fold
	}
	termMark := func(j int) rune {
		if bm == nil {
			return 0
		}
		return bm[j]
	}
	const never = 1 << 20
	w := m + 1
	need := 3 * w
	if cap(scratch.dp) < need {
		scratch.dp = make([]int, need)
	}
	dp := scratch.dp[:need]
	prev2, prev, cur := dp[0:w], dp[w:2*w], dp[2*w:3*w]
	prev[0] = 0
	for j := 1; j <= m; j++ {
		prev[j] = prev[j-1] + 1
		if termMark(j-1) != 0 {
			prev[j] = never
		}
	}
	for i := 1; i <= n; i++ {
		ta := am[i-1]
		cur[0] = prev[0] + 1
		if ta != 0 {
			cur[0] = never
		}
		rowMin := cur[0]
		for j := 1; j <= m; j++ {
			tb := termMark(j - 1)
			sub := never
			switch {
			case ra[i-1] == rb[j-1] && (ta == 0 || ta == tb):
				sub = 0 // equal, or the term's accent dropped
			case ra[i-1] != rb[j-1] && ta == 0 && tb == 0:
				sub = 1
			}
			del, ins := 1, 1 // an extra letter in the text, a missing one
			if ta != 0 {
				del = never
			}
			if tb != 0 {
				ins = never
			}
			v := min(prev[j]+del, cur[j-1]+ins, prev[j-1]+sub)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] &&
				ta == 0 && am[i-2] == 0 && tb == 0 && termMark(j-2) == 0 {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = min(v, never)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[m], limit+1)
}

// osaDistance is the optimal-string-alignment edit distance (Levenshtein
// plus adjacent transposition), cut off above limit.
func osaDistance(a, b string, limit int, scratch *matchScratch) int {
	ra := append(scratch.ra[:0], []rune(a)...)
	rb := append(scratch.rb[:0], []rune(b)...)
	scratch.ra, scratch.rb = ra, rb
	n, m := len(ra), len(rb)
	if d := n - m; d > limit || -d > limit {
		return limit + 1
	}
	w := m + 1
	need := 3 * w
	if cap(scratch.dp) < need {
		scratch.dp = make([]int, need)
	}
	dp := scratch.dp[:need]
	prev2, prev, cur := dp[0:w], dp[w:2*w], dp[2*w:3*w]
	for j := 0; j <= m; j++ {
		prev[j] = j
	}
	for i := 1; i <= n; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= m; j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[m]
}

// matchScratch holds buffers reused across one Match call.
type matchScratch struct {
	buf, caseBuf []byte
	across       []byte  // a line's tail, folded (findAcross)
	win          []token // a window across a line break
	ra, rb       []rune
	wm           []rune // foldMarks of the window being verified
	dp           []int
}

// bytesString views the scratch buffer as a string without copying; the
// string is used only until the buffer is next appended to.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
