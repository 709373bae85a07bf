package investigate

import (
	"fmt"
	"strings"
)

// Summarize writes the report's summary: what the alert is, what its events
// hold and why the verdict is what it is, in a few sentences built only from
// the findings.
func Summarize(r Report, c *Case) string {
	var b strings.Builder
	a := r.Alert
	fmt.Fprintf(&b, "%s %s alert %q", a.Severity, strings.ReplaceAll(strings.ToLower(a.Type), "_", " "), a.Title)
	if a.Detection != nil && a.Detection.ID != "" {
		fmt.Fprintf(&b, " from detection %s", a.Detection.ID)
	}
	b.WriteString(".")
	if n := len(c.Events); n > 0 {
		fmt.Fprintf(&b, " %d event(s) read", n)
		if a.EventCount > n {
			fmt.Fprintf(&b, " of %d", a.EventCount)
		}
		b.WriteString(".")
	}
	for _, f := range r.Findings {
		if f.Kind == "system_error" || f.Kind == "detection_missing" {
			fmt.Fprintf(&b, " %s. %s", f.Title, f.Detail)
		}
	}
	if story := c.Digest.StoryIn(ActionWords); len(story) > 0 {
		b.WriteString(" What happened: " + strings.Join(story, " "))
	}
	if len(c.Indicators) > 0 {
		var top []string
		for _, ind := range c.Indicators[:min(3, len(c.Indicators))] {
			kind := ind.Kind
			if ind.Class != "" {
				kind = ind.Class + " " + ind.Kind
			}
			top = append(top, kind+" "+ind.Value)
		}
		fmt.Fprintf(&b, " Top indicators: %s.", strings.Join(top, ", "))
	}
	switch v := r.Verdict; {
	case len(v.Reasons) == 0:
		fmt.Fprintf(&b, " Verdict %s: no finding pointed either way.", v.Label)
	default:
		fmt.Fprintf(&b, " Verdict %s, mainly because: %s.", v.Label, v.Reasons[0].Title)
	}
	return b.String()
}
