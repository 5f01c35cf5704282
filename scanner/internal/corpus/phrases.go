package corpus

import (
	"image/color"
	"strings"
)

// phrase fills a template's %s with the item, keeping the item a separate
// segment so its box can be recorded.
func phrase(tmpl string, item seg) []seg {
	before, after, ok := strings.Cut(tmpl, "%s")
	if !ok {
		panic("corpus: template without %s: " + tmpl)
	}
	var out []seg
	if before != "" {
		out = append(out, txt(before))
	}
	out = append(out, item)
	if after != "" {
		out = append(out, txt(after))
	}
	return out
}

var bulletTemplates = map[string][]string{
	KindAmount: {
		"Pipeline closed at %s for the quarter",
		"Board approved %s for the expansion",
		"Renewal book worth %s in the second half",
		"Total contract value: %s over three years",
		"Forecast raised to %s after the review",
	},
	KindCustomer: {
		"%s went live on the new platform",
		"Pilot with %s extended to all regions",
		"Expansion signed with %s in June",
		"Case study with %s ready for review",
		"%s asked for a roadmap briefing",
	},
	KindEmail: {
		"Questions to %s",
		"Contact: %s",
	},
	KindClassification: {
		"Figures on this slide are %s",
		"Shared %s with the partner team",
	},
}

var chatTemplates = map[string][]string{
	KindAmount: {
		"final number is %s, can you double check?",
		"CFO approved %s for next year",
		"we landed it at %s!",
		"their budget is %s this year",
	},
	KindCustomer: {
		"%s wants a call before Friday",
		"heads up: %s is joining the demo",
		"%s just signed the renewal",
		"notes from the %s meeting are up",
	},
	KindEmail: {
		"send it to %s please",
		"cc %s on the thread",
		"their contact is %s",
	},
	KindClassification: {
		"reminder: this deck is %s",
		"the pricing tab is marked %s",
	},
}

// decoyTemplate places a decoy in a sentence that keeps its harmless sense.
func decoyTemplate(r *rng, d string) string {
	switch d {
	case "acrylic":
		return pick(r, []string{"new %s stands for the booth", "the %s sign arrived today"})
	case "across":
		return pick(r, []string{"same pricing %s all regions", "rolled out %s every team"})
	case "internal API":
		return pick(r, []string{"the %s is now versioned", "moved billing to the %s"})
	case "Do Not Disturb":
		return "status set to %s until 3pm"
	case "confidence score":
		return "model %s is 0.93 on the test set"
	case "@here":
		return "%s standup moved to 10:15"
	case "Restructured":
		return "%s the onboarding flow"
	case "classification accuracy":
		return "%s went up by 4 points"
	case "Privilege escalation":
		return "%s tests pass in CI"
	case "restriction sites":
		return "the lab mapped the %s"
	case "Distributed tracing":
		return "%s is on for all services"
	}
	if strings.HasPrefix(d, "$") || strings.HasPrefix(d, "US$") {
		return pick(r, []string{"average order is %s", "budget for the offsite: %s", "unit price is now %s", "the add-on costs %s"})
	}
	if d[0] >= '0' && d[0] <= '9' {
		return pick(r, []string{"we passed %s this month", "crossed %s since launch"})
	}
	return pick(r, []string{"met with %s about a reseller deal", "%s sent over their brochure", "lunch with the %s team"})
}

// planted returns a sentence holding one item of the given kind (or a decoy).
func (p *planter) planted(kind string, tmpls map[string][]string) []seg {
	var it seg
	switch kind {
	case KindAmount:
		it = p.amount()
	case KindCustomer:
		it = p.customer()
	case KindEmail:
		it = p.email()
	case KindClassification:
		it = p.classification()
	case KindDecoy:
		it = p.decoy()
		return phrase(capFirst(tmpls, decoyTemplate(p.rng, it.text)), it)
	}
	return phrase(pick(p.rng, tmpls[kind]), it)
}

// capFirst capitalises templates used as slide bullets.
func capFirst(tmpls map[string][]string, t string) string {
	if tmpls[KindAmount][0] == bulletTemplates[KindAmount][0] && t != "" && t[0] >= 'a' && t[0] <= 'z' {
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return t
}

func hex(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

var (
	white = hex(0xFFFFFF)
)
