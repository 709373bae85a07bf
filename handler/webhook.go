package handler

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
	"github.com/panther-triage/panther-triage/triage"
)

// testAlertID is the alertId of Panther's "Send test alert".
const testAlertID = "Test.Alert"

// knownType reports whether t is an alert type Panther documents. Others are
// accepted and noted in the delivery's log line, since Panther adds types.
func knownType(t string) bool {
	switch t {
	case "RULE", "RULE_ERROR", "POLICY", "SCHEDULED_RULE", "SCHEDULED_RULE_ERROR",
		"CORRELATION_RULE", "CORRELATION_RULE_ERROR", "SYSTEM_ERROR":
		return true
	}
	return false
}

// webhookRequest is the part of Panther's Custom Webhook body the intake
// reads. Other fields (alertContext, description, runbook, version, and any
// Panther adds) are ignored here and kept in Delivery.Payload. Any key may be
// null, which reads as empty.
type webhookRequest struct {
	AlertID   string   `json:"alertId" validate:"required"`
	ID        string   `json:"id" validate:"required"`
	Severity  string   `json:"severity" validate:"required,oneof=INFO LOW MEDIUM HIGH CRITICAL"`
	CreatedAt string   `json:"createdAt" validate:"required,awsdatetime"`
	Type      string   `json:"type" validate:"required"`
	Title     string   `json:"title"`
	Name      string   `json:"name"`
	Link      string   `json:"link"`
	Tags      []string `json:"tags"`
}

// webhookResponse is the body of every 2xx webhook answer.
type webhookResponse struct {
	Status  string `json:"status"`
	AlertID string `json:"alertId,omitempty"`
	JobID   string `json:"jobId,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// webhook takes one delivery: decode, validate, answer a test alert, filter,
// enqueue durably, answer. The body limit and the secret are checked before,
// by limitBody and requireSecret.
func (s *server) webhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return readError(err)
	}
	if !utf8.Valid(body) {
		return &httpError{
			Status: http.StatusBadRequest, Code: "invalid_json",
			Message: fmt.Sprintf("body is not valid UTF-8 (byte %d)", invalidUTF8At(body)),
		}
	}

	req, err := decodeWebhook(body)
	if err != nil {
		return err
	}
	info := deliveryFrom(r.Context())
	if info == nil {
		info = &deliveryInfo{}
	}
	info.alertID, info.detectionID, info.alertType = req.AlertID, req.ID, req.Type

	if fields, err := s.validateWebhook(req); err != nil {
		return fmt.Errorf("handler: validate webhook: %w", err)
	} else if len(fields) > 0 {
		return invalidPayload(fields)
	}

	if req.AlertID == testAlertID {
		info.outcome = "test"
		return writeJSON(w, http.StatusOK, webhookResponse{Status: "test"})
	}
	info.unknownType = !knownType(req.Type)

	d := triage.Delivery{
		AlertID:     req.AlertID,
		DetectionID: req.ID,
		Severity:    req.Severity,
		Type:        req.Type,
		Title:       req.Title,
		Name:        req.Name,
		Link:        req.Link,
		Tags:        req.Tags,
		CreatedAt:   req.CreatedAt,
		ReceivedAt:  s.now().UTC(),
		Payload:     json.RawMessage(body),
	}

	if s.cfg.Filter != nil {
		if reason := s.cfg.Filter.Filter(d); reason != "" {
			info.outcome = "filtered"
			return writeJSON(w, http.StatusOK, webhookResponse{
				Status: "filtered", AlertID: d.AlertID, Reason: reason,
			})
		}
	}

	ctx, cancel := context.WithTimeout(r.Context(), enqueueTimeout)
	defer cancel()
	enq, err := s.queue.Enqueue(ctx, d)
	if err != nil {
		return &httpError{
			Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the delivery could not be stored; retry later",
			cause:   fmt.Errorf("handler: enqueue: %w", err),
		}
	}
	info.jobID = enq.JobID
	if enq.Duplicate {
		info.outcome = "duplicate"
		return writeJSON(w, http.StatusOK, webhookResponse{Status: "duplicate", AlertID: d.AlertID})
	}
	info.outcome = "queued"
	return writeJSON(w, http.StatusAccepted, webhookResponse{
		Status: "queued", AlertID: d.AlertID, JobID: strconv.FormatInt(enq.JobID, 10),
	})
}

// decodeWebhook parses a webhook body. A body that is not JSON, or JSON but
// not an object, is a 400 invalid_json; an object whose values have the
// wrong types (such as a number for severity) is a 422 invalid_payload
// naming the field.
func decodeWebhook(body []byte) (webhookRequest, error) {
	var req webhookRequest
	err := json.Unmarshal(body, &req)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return req, &httpError{
			Status: http.StatusBadRequest, Code: "invalid_json",
			Message: fmt.Sprintf("body is not JSON: %v (byte %d)", syntaxErr, syntaxErr.Offset),
		}
	case !isObject(body):
		return req, &httpError{
			Status: http.StatusBadRequest, Code: "invalid_json",
			Message: "body must be a JSON object",
		}
	case errors.As(err, &typeErr):
		field, _, _ := strings.Cut(typeErr.Field, ".")
		return req, invalidPayload([]fieldError{{Field: field, Message: typeMessage(field)}})
	case err != nil:
		return req, &httpError{
			Status: http.StatusBadRequest, Code: "invalid_json",
			Message: "body is not JSON", cause: fmt.Errorf("handler: decode webhook: %w", err),
		}
	}
	return req, nil
}

// isObject reports whether valid JSON is an object.
func isObject(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// typeMessage says which JSON type the request field with the given JSON
// name takes.
func typeMessage(field string) string {
	t := reflect.TypeFor[webhookRequest]()
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != field {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.String:
			return "must be a string"
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			return "must be an array of strings"
		}
	}
	return "has the wrong type"
}

// invalidPayload is the 422 answer for fields that failed validation; its
// message lists them so that Panther's delivery status is readable alone.
func invalidPayload(fields []fieldError) *httpError {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + " " + f.Message
	}
	return &httpError{
		Status:  http.StatusUnprocessableEntity,
		Code:    "invalid_payload",
		Message: "invalid payload: " + strings.Join(parts, "; "),
		Fields:  fields,
	}
}

// limitBody caps the body at maxBodyBytes. A declared Content-Length over
// the cap is answered at once; otherwise reading past it fails with
// *http.MaxBytesError, which the webhook answers 413.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			s.writeError(w, r, errTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// deliveryInfo collects what the delivery's log line reports; the webhook
// and writeError fill it in.
type deliveryInfo struct {
	alertID, detectionID, alertType string
	unknownType                     bool
	outcome                         string
	jobID                           int64
}

type deliveryKey struct{}

// deliveryFrom returns the request's deliveryInfo, or nil outside /webhook.
func deliveryFrom(ctx context.Context) *deliveryInfo {
	d, _ := ctx.Value(deliveryKey{}).(*deliveryInfo)
	return d
}

// logDelivery writes one log line per webhook delivery, whatever its
// outcome: alert_id, outcome, status and duration, with the request ID.
func (s *server) logDelivery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &deliveryInfo{}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), deliveryKey{}, info)))

		status := ww.Status()
		s.observeDelivery(status, info.outcome)
		log := zerolog.Ctx(r.Context())
		ev := log.Info()
		if status >= 500 {
			ev = log.Warn()
		}
		if info.alertID != "" {
			ev = ev.Str("alert_id", logcap.String(info.alertID))
		}
		if info.detectionID != "" {
			ev = ev.Str("detection_id", logcap.String(info.detectionID))
		}
		if info.alertType != "" {
			ev = ev.Str("alert_type", logcap.String(info.alertType))
		}
		if info.unknownType {
			ev = ev.Bool("unknown_alert_type", true)
		}
		if info.jobID != 0 {
			ev = ev.Int64("job_id", info.jobID)
		}
		ev.Str("outcome", info.outcome).
			Int("status", status).
			Dur("duration", time.Since(start)).
			Msg("webhook delivery")
	})
}

// readError answers a body that could not be read: 413 past the cap, 408
// when the client stopped sending before the server's read deadline (the
// delivery may be retried as it is), 400 otherwise (the client went away or
// sent a broken chunked encoding).
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &httpError{
			Status: http.StatusRequestTimeout, Code: "timeout",
			Message: "the body did not arrive in time; retry",
		}
	}
	return &httpError{
		Status: http.StatusBadRequest, Code: "invalid_json",
		Message: "could not read the body",
	}
}

// invalidUTF8At returns the offset of the first byte of body that is not
// part of valid UTF-8.
func invalidUTF8At(body []byte) int {
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(body)
}

// requireBearer lets a webhook through only with "Authorization: Bearer
// <secret>", what Panther sends. Basic credentials are refused here: a
// browser that saved them for the page would send them with a form posted
// from any site.
func (s *server) requireBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.InsecureNoAuth || s.bearerAuthorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="panther-triage"`)
		s.writeError(w, r, errUnauthorized)
	})
}

// bearerAuthorized reports whether r carries the configured secret as a
// bearer token. With no secret configured nothing is authorized.
func (s *server) bearerAuthorized(r *http.Request) bool {
	got, ok := bearerToken(r)
	return ok && s.cfg.Secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Secret)) == 1
}

// refuseCrossSite refuses what a page on another site can make a browser
// send without asking first: a request the browser marks
// "Sec-Fetch-Site: cross-site", and a body declared as one of the three
// content types a form (or a fetch without CORS preflight) may carry. Any
// other type needs a preflight, which this service never answers, so JSON
// (with any parameters) and a body without Content-Type, as Panther may
// send, pass.
func (s *server) refuseCrossSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Sec-Fetch-Site"), "cross-site") {
			s.writeError(w, r, &httpError{
				Status: http.StatusForbidden, Code: "cross_site",
				Message: "requests from another site are refused",
			})
			return
		}
		if formContentType(r.Header.Get("Content-Type")) {
			s.writeError(w, r, &httpError{
				Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "send the body as application/json",
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// formContentType reports whether a Content-Type header declares one of the
// CORS-safelisted types: text/plain, application/x-www-form-urlencoded,
// multipart/form-data. A header that does not parse is read by its media
// type alone, as browsers do.
func formContentType(h string) bool {
	mt, _, err := mime.ParseMediaType(h)
	if err != nil {
		mt, _, _ = strings.Cut(h, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch mt {
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return true
	}
	return false
}
