package rules

// NearPx is the largest distance, in pixels, over which a near rule of the
// set combines findings (`within = "200px"`); 0 when no rule does. The
// audience feed holds a line read clean while unread text lies that close
// to it, since reading that text may still make the line part of a
// finding. Near rules `within = "line"` or `"block"` are not counted: their
// parts are on one screen row or in one text block, which the feed already
// holds together line by line (an unread part is itself held, so the
// combination is never on show before it is read).
func (rs *Ruleset) NearPx() int {
	n := 0
	for _, r := range rs.rules {
		if r.kind == kindNear && r.within.mode == "px" {
			n = max(n, r.within.px)
		}
	}
	return n
}
