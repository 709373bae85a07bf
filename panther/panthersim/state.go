package panthersim

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/panther-triage/panther-triage/panther"
)

// AddAlert adds (or replaces) an alert with its events, and its detection
// when the seed carries one. Defaults are filled as SeedAlert describes.
func (s *Server) AddAlert(a SeedAlert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addAlertLocked(a)
}

// addAlertLocked is AddAlert for callers holding s.mu (and for New).
func (s *Server) addAlertLocked(a SeedAlert) {
	a = a.withDefaults()
	s.alerts[a.ID] = &alertState{SeedAlert: a, updatedAt: a.UpdatedAt}
	if a.Detection != nil {
		s.detections[a.Detection.Kind+"/"+a.Detection.ID] = *a.Detection
	}
	if a.Assignee != nil {
		s.users[a.Assignee.ID] = *a.Assignee
	}
	if len(a.Comments) > 0 && len(s.comments[a.ID]) == 0 {
		for _, c := range a.Comments {
			s.seq++
			s.comments[a.ID] = append(s.comments[a.ID], panther.Comment{
				ID: fmt.Sprintf("c%031x", s.seq), AlertID: a.ID, Body: c.Body,
				Format: cmp.Or(c.Format, panther.FormatPlainText), CreatedAt: c.CreatedAt.UTC(), CreatedBy: c.CreatedBy,
			})
		}
	}
}

// AddDetection adds (or replaces) a detection served by the REST routes.
func (s *Server) AddDetection(d SeedDetection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.detections[d.Kind+"/"+d.ID] = d
}

// AddUser makes a user known, so that alerts can be assigned to it.
func (s *Server) AddUser(u SeedUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// DeleteAlert removes an alert; later reads of it answer not found. Its
// comments stay, as Panther's would in its own store.
func (s *Server) DeleteAlert(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.alerts, id)
}

// SetStatus changes an alert's status (OPEN, TRIAGED, RESOLVED, CLOSED), as
// an analyst in the Panther UI would. It reports whether the alert exists.
func (s *Server) SetStatus(alertID, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[alertID]
	if !ok {
		return false
	}
	a.Status = status
	now := s.now().UTC()
	a.updatedAt = &now
	return true
}

// Alert returns the alert as the server now holds it, with defaults filled.
func (s *Server) Alert(id string) (SeedAlert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return SeedAlert{}, false
	}
	out := a.SeedAlert
	out.UpdatedAt = a.updatedAt
	return out, true
}

// Comments returns the comments on an alert in the order they were posted,
// whether through GraphQL or REST.
func (s *Server) Comments(alertID string) []panther.Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.comments[alertID])
}

// addCommentLocked stores a comment and returns it. Callers hold s.mu.
func (s *Server) addCommentLocked(alertID, body, format string) panther.Comment {
	c := panther.Comment{
		ID:        s.nextID('c'),
		AlertID:   alertID,
		Body:      body,
		Format:    cmp.Or(format, panther.FormatPlainText),
		CreatedAt: s.now().UTC(),
		CreatedBy: tokenID,
	}
	s.comments[alertID] = append(s.comments[alertID], c)
	if s.onComment != nil {
		s.onComment(c)
	}
	return c
}
