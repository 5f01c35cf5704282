package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The decoded document (map[string]any) is bound to rawFile here, key by
// key, rather than by the TOML decoder: the decoder stops at the first wrong
// type, visits keys in map order (so which one is reported varies from run
// to run) and knows one line per key name, so a wrong key in any [[rules]]
// table but the last was reported at the wrong line. Binding ourselves
// reports every wrong key, at its own line, in a stable order, and keys are
// matched exactly (TOML keys are case-sensitive; the decoder folds case).

// binder binds one file; fail receives each problem.
type binder struct {
	pf   *parsedFile
	fail func(*Error)
}

// bindFile fills pf.raw from doc.
func (b *binder) bindFile(doc map[string]any) {
	raw := &b.pf.raw
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		switch k {
		case "extends":
			b.set(reflect.ValueOf(&raw.Extends).Elem(), v, k, b.topFail)
		case "allow":
			raw.Allow = &rawAllow{}
			b.table(reflect.ValueOf(raw.Allow).Elem(), v, k, b.topFail)
		case "rules":
			b.rules(v)
		default:
			b.topFail("", k, "unknown key "+strconv.Quote(k)+didYouMean(k, []string{"extends", "allow", "rules"}))
		}
	}
}

// failFunc reports a problem with the value at the dotted path at (which
// locates it) under the message field name field.
type failFunc func(field, at, msg string)

// topFail reports a problem outside the rules.
func (b *binder) topFail(field, at, msg string) {
	b.fail(&Error{File: b.pf.name, Line: b.pf.lines.topLine(at), Field: field, Msg: msg})
}

func (b *binder) rules(v any) {
	var tables []map[string]any
	switch v := v.(type) {
	case []map[string]any: // [[rules]]
		tables = v
	case []any: // rules = [{…}, …]
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				b.fail(&Error{File: b.pf.name, Line: b.pf.lines.topLine("rules"), Field: "rules",
					Msg: fmt.Sprintf("entry %d: expected a table, found %s", i+1, tomlKind(e))})
				return
			}
			tables = append(tables, m)
		}
	default:
		b.fail(&Error{File: b.pf.name, Line: b.pf.lines.topLine("rules"), Field: "rules",
			Msg: "expected [[rules]] tables, found " + tomlKind(v)})
		return
	}
	b.pf.raw.Rules = make([]rawRule, len(tables))
	for i, m := range tables {
		r := &b.pf.raw.Rules[i]
		// The id first, so every other message can name the rule.
		if id, ok := m["id"].(string); ok {
			r.ID = id
		}
		fail := func(field, at, msg string) {
			if r.bad == nil {
				r.bad = map[string]bool{}
			}
			r.bad[strings.SplitN(at, ".", 2)[0]] = true
			b.fail(&Error{File: b.pf.name, Line: b.pf.lines.rule(i, at), Rule: r.ID, Field: field, Msg: msg})
		}
		b.table(reflect.ValueOf(r).Elem(), m, "", fail)
	}
}

// table binds a TOML table to the struct dst by its fields' toml tags.
// prefix is the table's dotted path ("" for a rule, "amount" in a rule).
func (b *binder) table(dst reflect.Value, v any, prefix string, fail failFunc) {
	m, ok := v.(map[string]any)
	if !ok {
		fail(prefix, prefix, "expected a table, found "+tomlKind(v))
		return
	}
	fields := tomlFields(dst.Type())
	for _, k := range sortedKeys(m) {
		field := k
		if prefix != "" {
			field = prefix + "." + k
		}
		idx, ok := fields[k]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			sort.Strings(known)
			// The message names the key; Field is the table it is in.
			fail(prefix, field, "unknown key "+strconv.Quote(k)+didYouMean(k, known))
			continue
		}
		b.set(dst.Field(idx), m[k], field, fail)
	}
}

// set binds one value to a field of the kinds the schema uses.
func (b *binder) set(f reflect.Value, v any, field string, fail failFunc) {
	switch f.Kind() {
	case reflect.String:
		if s, ok := v.(string); ok {
			f.SetString(s)
			return
		}
		fail(field, field, "expected a string, found "+tomlKind(v))
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			fail(field, field, "expected an array of strings, found "+tomlKind(v))
			return
		}
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				fail(field, field, fmt.Sprintf("entry %d: expected a string, found %s", i+1, tomlKind(e)))
				return
			}
			out[i] = s
		}
		f.Set(reflect.ValueOf(out))
	case reflect.Pointer:
		switch f.Type().Elem().Kind() {
		case reflect.Bool:
			if x, ok := v.(bool); ok {
				f.Set(reflect.ValueOf(&x))
				return
			}
			fail(field, field, "expected true or false, found "+tomlKind(v))
		case reflect.Float64:
			var x float64
			switch n := v.(type) {
			case int64:
				x = float64(n)
			case float64:
				x = n
			default:
				fail(field, field, "expected a number, found "+tomlKind(v))
				return
			}
			f.Set(reflect.ValueOf(&x))
		case reflect.Struct:
			p := reflect.New(f.Type().Elem())
			f.Set(p)
			b.table(p.Elem(), v, field, fail)
		}
	}
}

// tomlFields maps a struct's toml tags to field indexes.
func tomlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tomlKind names a decoded value's TOML type for messages.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a value"
}
