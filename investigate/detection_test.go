package investigate

import (
	"context"
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
)

type noDetection struct{}

func (noDetection) Detection(context.Context, string, string) (*panther.Detection, error) {
	return nil, panther.ErrNotFound
}

func TestSayWhatIsMissing(t *testing.T) {
	t.Run("a deleted detection says what that means for the history", func(t *testing.T) {
		c := &Case{Alert: &panther.Alert{Detection: &panther.DetectionRef{ID: "Okta.Old", Deleted: true}}}
		fs, err := Detection(noDetection{}).Run(t.Context(), c)
		if err != nil || len(fs) != 1 || fs[0].Kind != "detection_missing" ||
			!strings.Contains(fs[0].Detail, "earlier alerts are still read") || !strings.Contains(fs[0].Detail, "no new ones") {
			t.Fatalf("findings %+v, %v", fs, err)
		}
	})
	t.Run("a system error says what failed and what may go undetected", func(t *testing.T) {
		c := &Case{Alert: &panther.Alert{SystemError: &panther.SystemErrorRef{Type: "SOURCE_NO_DATA", RelatedComponent: "LOG_SOURCE"},
			Context: map[string]any{"sourceLabel": "okta-prod"}}}
		fs, _ := Detection(noDetection{}).Run(t.Context(), c)
		if len(fs) != 1 || !strings.Contains(fs[0].Title, "stopped sending data (okta-prod)") || !strings.Contains(fs[0].Detail, "What may go undetected: detections on its log types cannot fire") {
			t.Fatalf("findings %+v", fs)
		}
	})
	t.Run("an unknown system error still says where to look", func(t *testing.T) {
		c := &Case{Alert: &panther.Alert{SystemError: &panther.SystemErrorRef{Type: "NEW_KIND", RelatedComponent: "DESTINATION"}}}
		fs, _ := Detection(noDetection{}).Run(t.Context(), c)
		if len(fs) != 1 || !strings.Contains(fs[0].Title, "NEW_KIND") || !strings.Contains(fs[0].Title, "destination") || !strings.Contains(fs[0].Detail, "System Health") {
			t.Fatalf("findings %+v", fs)
		}
	})
}
