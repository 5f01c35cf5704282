package corpus

// decoyCompanies are invented companies that are not customers; the tests
// check each is more than two edits from every customer name.
var decoyCompanies = []string{
	"Pelican Grove Software", "Tessellate Partners", "Brookvane Analytics", "Cobbleton Goods",
	"Saffron Hill Catering", "Lanternfish Labs", "Gorseway Builders", "Mirabel Skincare",
	"Hexfield Robotics", "Wicklow Bay Imports", "Outerbank Surf Co", "Cresswell Optics",
	"Dapplegrey Stables", "Ferncastle Media", "Pollardine Tools", "Quaysmith Advisory",
	"Brindlecombe Foods", "Scarborough Kites", "Tamsworth Papers", "Vellichor Books",
	"Glimmerstone Games", "Harrowgate Cycles", "Kettering Looms", "Marigold Lane Cafes",
	"Pipistrelle Audio", "Sableridge Vineyards", "Thimbleweed Crafts", "Zincwork Studios",
	"Avonlea Dairies", "Cormorant Data", "Larkhill Couriers", "Wrenwick Furnishings",
}

// emailPeople are planted email addresses on invented domains.
var emailPeople = []string{
	"priya.shah@brightlane.io", "m.okafor@halcyonlabs.com", "dana.kim@quorvex.com",
	"j.lindqvist@tessaro.net", "sam.ortega@fieldnote.dev", "alex.chen@corvanta.com",
	"r.haddad@plinthworks.io", "nina.petrova@ostrava-data.eu", "tom.baker@kelpie.co.uk",
	"lucia.romero@aldebar.com", "finance-ops@quorvex.com", "k.nakamura@sorrel.jp",
	"ben.adeyemi@lumora.io", "h.mueller@stahlkraft.de", "grace.obi@verawell.com",
	"deals@halcyonlabs.com",
}

var people = []string{
	"Priya Shah", "Marcus Lee", "Dana Kim", "Jonas Lindqvist", "Sam Ortega", "Alex Chen",
	"Rania Haddad", "Nina Petrova", "Tom Baker", "Lucia Romero", "Kenji Nakamura",
	"Ben Adeyemi", "Hanna Mueller", "Grace Obi", "Omar Farouk", "Elena Rossi", "Wei Zhang",
	"Fatima Khan", "Diego Alvarez", "Ingrid Berg", "Chloe Martin", "Arjun Mehta",
}

var slideTitles = []string{
	"Quarterly Business Review", "Roadmap: Second Half", "Customer Success Highlights",
	"Platform Reliability", "Go-to-Market Update", "Hiring Plan", "Product Launch Timeline",
	"What We Learned", "Next Steps", "Architecture Overview", "Pipeline Review",
	"Partner Program", "Pricing Changes", "Security Posture", "Team Goals for Q3",
}

var bullets = []string{
	"Latency p95 down 38% after the cache rollout",
	"Onboarding time cut from 14 days to 5",
	"Two new regions live: Frankfurt and Sydney",
	"Support backlog cleared for the first time this year",
	"Mobile app rating up from 4.1 to 4.6",
	"Migrated 212 services to the new build system",
	"Weekly active teams grew 27% quarter over quarter",
	"Churn held flat despite the price change",
	"Three design partners signed for the beta",
	"On-call pages halved since the alert review",
	"Self-serve checkout now handles 61% of new plans",
	"Release cadence moved from monthly to weekly",
	"Accessibility audit: 42 issues fixed, 6 open",
	"Hiring: 9 of 12 planned roles filled",
	"Docs traffic doubled after the search rewrite",
	"Error budget spent: 23% of the quarter",
}

var sentences = []string{
	"This document summarises the outcome of the planning sessions held last week.",
	"The team reviewed the current architecture and agreed on a phased migration.",
	"Each phase ends with a review so that we can stop or change course early.",
	"We expect the first milestone to land before the end of the quarter.",
	"Risks are tracked in the shared tracker and reviewed every Thursday.",
	"Most of the remaining work is in testing and documentation.",
	"Feedback from the pilot group was positive, with a few usability concerns.",
	"The support team asked for better search in the admin tools.",
	"Staffing for the next phase depends on the hiring plan approved in May.",
	"All figures below are preliminary and will be updated after the audit.",
	"The vendor shortlist was reduced from seven to three after the demos.",
	"Open questions are listed at the end of this section.",
	"A follow-up meeting is scheduled for the second week of next month.",
	"Performance targets were met in every region except one.",
	"We propose to retire the legacy reporting jobs once the new pipeline is stable.",
	"The proposal keeps the existing contracts and adds an optional support tier.",
	"Training material will be ready two weeks before the rollout.",
	"Please send comments on this draft by Friday.",
	"Legal has reviewed the standard terms and requested two small edits.",
	"The numbers in the appendix come from the finance dashboard as of Monday.",
	"Our recommendation is to proceed with option B and revisit in six months.",
	"Service availability was 99.95% over the period, above the target.",
}

var chatFiller = []string{
	"can you share the deck after the call?", "lgtm, merging now", "running 5 min late, start without me",
	"thanks! that fixes it", "who owns the release notes this week?", "on it", "great demo today",
	"let me check and get back to you", "the build is green again", "any update on the pricing page?",
	"moving the sync to 3pm", "ping me when the doc is ready", "sounds good to me",
	"I'll take the action items", "can we push the review to tomorrow?", "ok, booked the room",
}

var regions = []string{"EMEA", "NA East", "NA West", "APAC", "LATAM", "DACH", "Nordics", "UK&I", "ANZ"}
var segments = []string{"Enterprise", "Mid-market", "Strategic", "Commercial", "Public sector"}
var statuses = []string{"Active", "At risk", "Renewed", "In review", "Expanding", "Churned", "Pending"}

var menus = map[string][]string{
	"slides": {"File", "Edit", "View", "Insert", "Format", "Slide", "Arrange", "Tools", "Help"},
	"sheet":  {"File", "Edit", "View", "Insert", "Format", "Data", "Tools", "Extensions", "Help"},
	"doc":    {"File", "Edit", "View", "Insert", "Format", "Tools", "Extensions", "Help"},
	"editor": {"File", "Edit", "Selection", "View", "Go", "Run", "Terminal", "Help"},
}

var months = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
