package office

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// builtinFormats are Excel's built-in number formats (ECMA-376 18.8.30, en-US).
var builtinFormats = map[int]string{
	0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
	5: `"$"#,##0_);("$"#,##0)`, 6: `"$"#,##0_);[Red]("$"#,##0)`,
	7: `"$"#,##0.00_);("$"#,##0.00)`, 8: `"$"#,##0.00_);[Red]("$"#,##0.00)`,
	9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
	14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
	19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
	37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
	40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0",
	48: "##0.0E+0", 49: "@",
}

// formatCell renders a cell's stored value the way the spreadsheet shows
// it, so that rules see "$580,400,000" and not "580400000". It covers what
// decides whether text is an amount: currency symbols and literals,
// thousands separators, decimals, percent, scaling commas, negative
// sections, dates. Non-numbers are returned as they are.
func formatCell(v, code string) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return v
	}
	secs := sections(code)
	sec := ""
	if len(secs) > 0 {
		sec = secs[0]
	}
	neg := f < 0
	switch {
	case neg && len(secs) > 1:
		sec, f, neg = secs[1], -f, false
	case f == 0 && len(secs) > 2:
		sec = secs[2]
	}
	if sec == "" || strings.EqualFold(sec, "general") || sec == "@" {
		return general(f)
	}
	var pre, post strings.Builder
	digits := false // a digit placeholder seen: literals go after
	intPh, decPh := 0, 0
	inDec, thousands, percent, sci, date := false, false, 0, false, false
	scale := 0
	lit := func(s string) {
		if digits {
			post.WriteString(s)
		} else {
			pre.WriteString(s)
		}
	}
	rs := []rune(sec)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			lit(string(rs[i+1 : min(j, len(rs))]))
			i = j
		case '\\':
			if i+1 < len(rs) {
				lit(string(rs[i+1]))
				i++
			}
		case '_', '*':
			i++ // space as wide as the next char; fill: nothing to read
		case '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			in := string(rs[i+1 : min(j, len(rs))])
			if cur, ok := strings.CutPrefix(in, "$"); ok {
				cur, _, _ = strings.Cut(cur, "-")
				lit(cur)
			} else if low := strings.ToLower(in); strings.Trim(low, "hms") == "" && low != "" {
				date = true
			}
			i = j
		case '0', '#', '?':
			if inDec {
				decPh++
			} else {
				intPh++
			}
			digits = true
			scale = 0
		case '.':
			if digits || (i+1 < len(rs) && strings.ContainsRune("0#?", rs[i+1])) {
				inDec, digits = true, true
			} else {
				lit(".")
			}
		case ',':
			if digits && i+1 < len(rs) && strings.ContainsRune("0#?", rs[i+1]) {
				thousands = true
			} else if digits {
				scale++
			} else {
				lit(",")
			}
		case '%':
			percent++
			lit("%")
		case 'E', 'e':
			if i+1 < len(rs) && (rs[i+1] == '+' || rs[i+1] == '-') {
				sci = true
				i++
				for i+1 < len(rs) && strings.ContainsRune("0#?", rs[i+1]) {
					i++
				}
			} else if c == 'e' {
				date = true
			} else {
				lit(string(c))
			}
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			date = true
		case '@':
			lit(general(f))
		default:
			lit(string(c))
		}
	}
	if date {
		return serialDate(f, strings.ContainsAny(strings.ToLower(sec), "hs"))
	}
	if !digits {
		return pre.String() + post.String()
	}
	for range percent {
		f *= 100
	}
	for range scale {
		f /= 1000
	}
	var num string
	switch {
	case sci:
		num = strconv.FormatFloat(f, 'E', decPh, 64)
	default:
		num = strconv.FormatFloat(math.Abs(f), 'f', decPh, 64)
		if thousands {
			num = groupThousands(num)
		}
		if neg {
			num = "-" + num
		}
	}
	return pre.String() + num + post.String()
}

// sections splits a format code at semicolons outside quotes.
func sections(code string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			quoted = !quoted
		case '\\':
			i++
		case ';':
			if !quoted {
				out = append(out, code[start:i])
				start = i + 1
			}
		}
	}
	return append(out, code[start:])
}

func general(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 11, 64)
}

func groupThousands(num string) string {
	intPart, frac, hasFrac := strings.Cut(num, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// serialDate turns an Excel serial day number (1900 date system) into an
// ISO date: the format's own layout (m/d/yy, d-mmm) depends on the locale;
// what matters for rules is that a date does not read as an amount.
func serialDate(f float64, withTime bool) string {
	if f < 0 || f > 2958465 {
		return general(f)
	}
	t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(f * 24 * float64(time.Hour)))
	if withTime {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02")
}
